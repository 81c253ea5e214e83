// The document page's "Export" menu (Markdown, HTML, PDF downloads) and its "Share publicly"
// button, which opens the public-link dialog.
import { useEffect, useRef, useState } from 'preact/hooks'
import { ShareDialog } from './ShareDialog'
import './export.css'

const FORMATS: { format: string, label: string }[] = [
  { format: 'markdown', label: 'Markdown (.md)' },
  { format: 'html', label: 'Web page (.html)' },
  { format: 'pdf', label: 'PDF (.pdf)' }
]

export function DocActions ({ doc, title }: { doc: string, title: string }) {
  const menu = useRef<HTMLDetailsElement>(null)
  const [sharing, setSharing] = useState(false)
  // The menu closes on a click outside it and on Escape (focus back on its button).
  useEffect(() => {
    const onDown = (e: MouseEvent) => {
      const m = menu.current
      if (m?.open && !m.contains(e.target as Node)) m.open = false
    }
    const onKey = (e: KeyboardEvent) => {
      const m = menu.current
      if (e.key === 'Escape' && m?.open) { m.open = false; m.querySelector('summary')?.focus() }
    }
    document.addEventListener('mousedown', onDown)
    document.addEventListener('keydown', onKey)
    return () => { document.removeEventListener('mousedown', onDown); document.removeEventListener('keydown', onKey) }
  }, [])
  return (
    <div class='doc-actions'>
      <details class='export-menu' ref={menu}>
        <summary class='btn btn-small' aria-label={`Export “${title}”`}>Export</summary>
        <div class='menu' onClick={() => { if (menu.current) menu.current.open = false }}>
          {FORMATS.map((f) => (
            <a key={f.format} href={`/api/v1/docs/${doc}/export?format=${f.format}`} download data-format={f.format}>{f.label}</a>
          ))}
        </div>
      </details>
      <button type='button' class='btn btn-small' onClick={() => setSharing(true)}>Share publicly</button>
      {sharing && <ShareDialog doc={doc} title={title} onClose={() => setSharing(false)} />}
    </div>
  )
}
