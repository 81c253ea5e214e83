// The invoice's PDF: a preview in the page (an iframe of `GET /records/{id}/pdf`, which the
// browser loads with the session cookie like any same-origin request), a download and a new
// tab. The preview is typeset on demand and follows the invoice's saved version.
import { useState } from 'preact/hooks'
import { invoicesApi, type Invoice } from './api'

export function PdfPanel ({ invoice, dirty }: { invoice: Invoice, dirty: boolean }) {
  const [open, setOpen] = useState(false)
  const url = invoicesApi.pdfUrl(invoice.id, invoice.version)
  return (
    <section class='pdf-panel' aria-labelledby='pdf-head'>
      <div class='section-head row wrap'>
        <h2 id='pdf-head' class='grow'>PDF</h2>
        <button type='button' class='btn btn-small' aria-expanded={open} aria-controls='pdf-preview' onClick={() => setOpen(!open)}>{open ? 'Hide the preview' : 'Preview PDF'}</button>
        <a class='btn btn-small' href={url} download={`${invoice.name}.pdf`}>Download PDF</a>
        <a class='btn btn-small' href={url} target='_blank' rel='noopener'>Open in a new tab<span class='sr-only'> (PDF)</span></a>
      </div>
      {dirty && <p class='muted small'>The PDF shows the invoice as last saved.</p>}
      <div id='pdf-preview'>
        {open && <iframe key={url} class='pdf-frame' src={url} title={`PDF of ${invoice.name}`} data-testid='pdf-preview' />}
      </div>
    </section>
  )
}
