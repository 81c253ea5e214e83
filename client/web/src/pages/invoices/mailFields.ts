// The fields an invoice or reminder e-mail template sees (the server's invoices/send.rs names
// them), for the settings screen's hint and for previewing a template with a sample invoice
// before any invoice is sent with it.
import type { PaymentDetail } from './api'

/** What a template for invoice mail may name, most useful first. */
export const INVOICE_MAIL_FIELDS = [
  'number', 'client', 'total', 'amount_due', 'due_date', 'issue_date', 'seller', 'message',
  'payment_details', 'reference', 'currency', 'subtotal', 'tax_total', 'amount_paid', 'notes', 'state'
]

/** What a reminder's template may name: the invoice's fields and how late it is. */
export const REMINDER_MAIL_FIELDS = [...INVOICE_MAIL_FIELDS.slice(0, 5), 'days_overdue', ...INVOICE_MAIL_FIELDS.slice(5)]

/** A made-up invoice as a template sees it, with the org's own seller and payment details. */
export function sampleFields (kind: 'invoice' | 'reminder', seller: string, details: PaymentDetail[]): Record<string, string | number> {
  const fields: Record<string, string | number> = {
    number: 'INV-2026-00042',
    client: 'Globex Corporation',
    subtotal: '€1,000.00',
    tax_total: '€190.00',
    total: '€1,190.00',
    amount_paid: kind === 'reminder' ? '€190.00' : '€0.00',
    amount_due: kind === 'reminder' ? '€1,000.00' : '€1,190.00',
    currency: 'EUR',
    issue_date: '2026-03-02',
    due_date: '2026-04-01',
    reference: 'PO-7731',
    notes: 'Thank you for your business.',
    state: kind === 'reminder' ? 'overdue' : 'sent',
    seller: seller.trim() || 'Your organisation',
    message: kind === 'reminder' ? '' : 'Hello, here is our invoice for March.',
    payment_details: details.filter((d) => d.label.trim() && d.value.trim()).map((d) => `${d.label.trim()}: ${d.value.trim()}`).join('\n')
  }
  if (kind === 'reminder') fields.days_overdue = 7
  return fields
}
