// Document templates on the wire: the organisation's list (built-ins and its own, without
// content), one template with its Markdown, and the calls that change them.
import { api } from '../../../lib/api'
import type { components } from '../../../lib/api-types'

export type DocTemplate = components['schemas']['DocTemplate']

export function listTemplates (org: string, signal?: AbortSignal): Promise<{ items: DocTemplate[] }> {
  return api.get<{ items: DocTemplate[] }>(`/api/v1/orgs/${org}/doc-templates`, { signal })
}

export function getTemplate (id: string, signal?: AbortSignal): Promise<DocTemplate> {
  return api.get<DocTemplate>(`/api/v1/doc-templates/${encodeURIComponent(id)}`, { signal })
}

export interface TemplateFields { name: string, description: string, markdown: string }

export function createTemplate (org: string, body: TemplateFields | { name: string, description: string, from_doc: string }): Promise<DocTemplate> {
  return api.post<DocTemplate>(`/api/v1/orgs/${org}/doc-templates`, body)
}

export function updateTemplate (id: string, body: Partial<TemplateFields>): Promise<DocTemplate> {
  return api.patch<DocTemplate>(`/api/v1/doc-templates/${encodeURIComponent(id)}`, body)
}

export function deleteTemplate (id: string): Promise<unknown> {
  return api.del(`/api/v1/doc-templates/${encodeURIComponent(id)}`)
}
