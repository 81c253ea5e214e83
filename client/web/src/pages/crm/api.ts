// The routes the CRM screens call: clients, contacts, deals and payments are records of the
// built-in types (the generic records routes, records/api.ts), invoices through the invoices'
// own module, and the one CRM-only query: the deal forecast (API.md, "Records").
import { api } from '../../lib/api'
import type { components } from '../../lib/api-types'
import type { BizRecord } from '../../lib/types'
import { recordsApi } from '../records/api'

export type DealForecast = components['schemas']['DealForecast']
export type CurrencyForecast = components['schemas']['CurrencyForecast']
export type ForecastBucket = components['schemas']['ForecastBucket']
export type OwnerForecast = components['schemas']['OwnerForecast']

/** A person at a client. */
export interface ContactFields { client?: string | null, email?: string | null, phone?: string | null, role?: string | null }
export type Contact = BizRecord & ContactFields

/** A sale in the pipeline; its stage is its workflow state (`state`). */
export interface DealFields {
  client?: string | null
  /** Minor units of `currency`. */
  amount?: number | null
  currency?: string | null
  /** Percent as an exact decimal (a string; a number is read the same way). */
  probability?: string | number | null
  /** `YYYY-MM-DD`. */
  expected_close?: string | null
  /** The owner (a user id); the creator when nobody is assigned. */
  assignee?: string | null
}
export type Deal = BizRecord & DealFields

/** Lists are read in pages of the server's largest size. */
export const PAGE = 200

export const crmApi = {
  forecast: (org: string, signal?: AbortSignal) => api.get<DealForecast>(`/api/v1/orgs/${org}/deals/forecast`, { signal })
}

/**
 * Every record of `type` matching `params`, page after page, up to `max`; `complete` is false
 * when more were left unread.
 */
export async function listAll<T extends BizRecord> (org: string, type: string, params: Record<string, string | undefined>, signal?: AbortSignal, max = 2000): Promise<{ items: T[], complete: boolean }> {
  const items: T[] = []
  let cursor: string | undefined
  for (;;) {
    const page = await recordsApi.list(org, type, { ...params, limit: String(PAGE), cursor }, signal)
    items.push(...(page.items as T[]))
    if (!page.next) return { items, complete: true }
    if (items.length >= max) return { items, complete: false }
    cursor = page.next
  }
}
