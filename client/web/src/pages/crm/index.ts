// The sales side (a lazy chunk): the clients list, a client's page (its details, contacts,
// deals, invoices and payments together), and the deal pipeline with its forecast. Clients,
// contacts and deals are records of the built-in types; these screens put them together where
// the generic lists would scatter them (DESIGN.md, "Records"), reusing the records' forms and
// the invoices' status chips.
import '../records/records.css'
import '../invoices/invoices.css'
import './crm.css'
export { ClientList } from './ClientList'
export { ClientPage } from './ClientPage'
export { Pipeline } from './Pipeline'
