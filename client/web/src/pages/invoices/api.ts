// The invoice routes the screens call (API.md, "Invoices"): invoices and clients are records of
// the built-in types `invoice` and `client` (the generic records routes), plus the PDF, send,
// payments and the org's invoice settings. Narrow types of our own until the generated API
// types (lib/api-types.ts) cover these endpoints.
import { api, qs } from '../../lib/api'
import { listTemplates, previewTemplate } from '../automation/api'
import type { BizRecord, FileInfo, RecordPage } from '../../lib/types'

export type InvoiceState = 'draft' | 'sent' | 'partially_paid' | 'paid' | 'overdue' | 'void'
export const STATES: InvoiceState[] = ['draft', 'sent', 'partially_paid', 'overdue', 'paid', 'void']

/** A line as the server holds it; `amount` (after discount, before tax) is computed. */
export interface InvoiceLine {
  id?: string
  description?: string
  /** Exact decimals travel as strings (a number is read the same way). */
  quantity?: string | number | null
  unit_price?: number | null
  discount?: string | number | null
  tax_rate?: string | number | null
  tax_code?: string | null
  amount?: number
}

export interface InvoiceTax { label: string, rate: string, taxable: number, amount: number }

export interface InvoiceFields {
  client?: string | null
  currency?: string | null
  issue_date?: string | null
  due_date?: string | null
  reference?: string | null
  tax_scheme?: 'standard' | 'gst' | null
  seller_state?: string | null
  client_state?: string | null
  lines?: InvoiceLine[] | null
  subtotal?: number
  discount_total?: number
  tax_total?: number
  total?: number
  amount_paid?: number
  amount_due?: number
  taxes?: InvoiceTax[]
  notes?: string | null
}

export type Invoice = BizRecord & InvoiceFields

export interface ClientFields {
  email?: string | null
  address?: string | null
  tax_id?: string | null
  state_code?: string | null
  currency?: string | null
  payment_terms_days?: number | null
}
export type Client = BizRecord & ClientFields

export interface PaymentFields { invoice?: string, amount?: number, currency?: string, date?: string, method?: string | null, reference?: string | null }
export type Payment = BizRecord & PaymentFields

export const METHODS: { value: string, label: string }[] = [
  { value: 'bank_transfer', label: 'Bank transfer' },
  { value: 'card', label: 'Card' },
  { value: 'cash', label: 'Cash' },
  { value: 'cheque', label: 'Cheque' },
  { value: 'direct_debit', label: 'Direct debit' },
  { value: 'other', label: 'Other' }
]

export interface PaymentDetail { label: string, value: string }
export interface InvoiceSettings {
  legal_name: string
  address: string
  tax_id: string
  tax_id_label: string
  tax_name: string
  state_code?: string | null
  email: string
  phone: string
  logo_file?: string | null
  payment_details: PaymentDetail[]
  accent_color: string
  footer_text: string
  paper: 'a4' | 'letter'
  reminder_days: number[]
  /** The org's e-mail template invoice mail is written with; absent: the built-in wording. */
  invoice_template?: string | null
  /** The org's e-mail template overdue reminders are written with. */
  reminder_template?: string | null
}

export interface SendBody { to?: string, cc?: string[], message?: string }
export interface PaymentBody { amount: number, date: string, method?: string, reference?: string }

type InvoicePage = Omit<RecordPage, 'items'> & { items: Invoice[] }

export const invoicesApi = {
  list: (org: string, params: Record<string, string | undefined>, signal?: AbortSignal) =>
    api.get<InvoicePage>(`/api/v1/orgs/${org}/records/invoice${qs(params)}`, { signal }),
  get: (id: string, signal?: AbortSignal) => api.get<Invoice>(`/api/v1/records/${id}`, { signal }),
  create: (org: string, fields: Record<string, unknown>) => api.post<Invoice>(`/api/v1/orgs/${org}/records/invoice`, fields),
  update: (id: string, version: number, fields: Record<string, unknown>) => api.patch<Invoice>(`/api/v1/records/${id}`, { ...fields, version }),
  remove: (id: string) => api.del(`/api/v1/records/${id}`),
  transition: (id: string, action: string) => api.post<Invoice>(`/api/v1/records/${id}/transition`, { action }),
  amend: (id: string) => api.post<Invoice>(`/api/v1/records/${id}/amend`),
  /** The PDF (`application/pdf`), as the browser loads it with the session cookie. */
  pdfUrl: (id: string, version?: number) => `/api/v1/records/${id}/pdf${version ? `?v=${version}` : ''}`,
  send: (id: string, body: SendBody) => api.post<{ invoice: Invoice, to: string, cc: string[] }>(`/api/v1/records/${id}/send`, body),
  pay: (id: string, body: PaymentBody) => api.post<{ payment: Payment, invoice: Invoice }>(`/api/v1/records/${id}/payments`, body),
  payments: (org: string, invoice: string, signal?: AbortSignal) =>
    api.get<{ items: Payment[] }>(`/api/v1/orgs/${org}/records/payment${qs({ invoice, sort: 'date', limit: 200 })}`, { signal }),
  settings: (org: string, signal?: AbortSignal) => api.get<InvoiceSettings>(`/api/v1/orgs/${org}/invoice-settings`, { signal }),
  saveSettings: (org: string, body: InvoiceSettings) => api.put<InvoiceSettings>(`/api/v1/orgs/${org}/invoice-settings`, body)
}

/** The org's e-mail templates (owners and admins keep them under Settings → Automation). */
export const emailTemplatesApi = { list: listTemplates, preview: previewTemplate }

export const clientsApi = {
  get: (id: string, signal?: AbortSignal) => api.get<Client>(`/api/v1/records/${id}`, { signal }),
  search: (org: string, q: string, signal?: AbortSignal) =>
    api.get<{ items: Client[] }>(`/api/v1/orgs/${org}/records/client${qs({ 'name.contains': q.trim() || undefined, sort: 'name', limit: 20 })}`, { signal })
}

export const filesApi = {
  list: (project: string, signal?: AbortSignal) => api.get<{ items: FileInfo[] }>(`/api/v1/projects/${project}/files`, { signal }),
  get: (id: string, signal?: AbortSignal) => api.get<FileInfo>(`/api/v1/files/${id}`, { signal }),
  contentUrl: (id: string) => `/api/v1/files/${id}/content`
}

/** Every page of a list (open invoices for the aging summary), up to `max` records. */
export async function allPages (org: string, params: Record<string, string | undefined>, signal?: AbortSignal, max = 2000): Promise<{ items: Invoice[], complete: boolean }> {
  const items: Invoice[] = []
  let cursor: string | undefined
  for (;;) {
    const page = await invoicesApi.list(org, { ...params, limit: '200', cursor }, signal)
    items.push(...page.items)
    if (!page.next) return { items, complete: true }
    if (items.length >= max) return { items, complete: false }
    cursor = page.next
  }
}
