// Webhooks over the API: the types are the server's OpenAPI schemas (src/lib/api-types.ts).
import { api, qs } from '../../lib/api'
import type { components } from '../../lib/api-types'

type Schemas = components['schemas']
export type Webhook = Schemas['Webhook']
export type WebhookDelivery = Schemas['WebhookDelivery']
export type WebhookSecret = Schemas['WebhookSecret']
export type CreateWebhookRequest = Schemas['CreateWebhookRequest']
export type UpdateWebhookRequest = Schemas['UpdateWebhookRequest']
export interface DeliveryPage { items: WebhookDelivery[], next?: string | null }

export const listWebhooks = (org: string, signal?: AbortSignal) =>
  api.get<Webhook[]>(`/api/v1/orgs/${org}/webhooks`, { signal })
export const createWebhook = (org: string, body: CreateWebhookRequest) =>
  api.post<WebhookSecret>(`/api/v1/orgs/${org}/webhooks`, body)
export const updateWebhook = (hook: string, body: UpdateWebhookRequest) =>
  api.patch<Webhook>(`/api/v1/webhooks/${hook}`, body)
export const deleteWebhook = (hook: string) => api.del(`/api/v1/webhooks/${hook}`)
export const rotateSecret = (hook: string) =>
  api.post<WebhookSecret>(`/api/v1/webhooks/${hook}/rotate-secret`, {})
export const sendTest = (hook: string) =>
  api.post<WebhookDelivery>(`/api/v1/webhooks/${hook}/test`, {})
export const listDeliveries = (hook: string, cursor?: string, signal?: AbortSignal) =>
  api.get<DeliveryPage>(`/api/v1/webhooks/${hook}/deliveries${qs({ cursor, limit: 50 })}`, { signal })
export const redeliver = (hook: string, delivery: string) =>
  api.post<WebhookDelivery>(`/api/v1/webhooks/${hook}/deliveries/${delivery}/redeliver`, {})
