// Invoices (a lazy chunk): the list with the receivables aging, the invoice editor with live
// totals, its PDF, sending and payments, and the org's invoice settings. Invoices and clients
// are records of the built-in types; these screens are the special ones a generic form would
// serve badly (DESIGN.md, "Records").
import './invoices.css'
export { InvoiceList } from './InvoiceList'
export { InvoicePage, NewInvoice } from './InvoiceEditor'
export { InvoiceSettingsPage } from './InvoiceSettingsPage'
