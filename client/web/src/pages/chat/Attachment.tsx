import type { Attachment } from '../../lib/types'
import { formatBytes } from '../../lib/text'

export function AttachmentView ({ a }: { a: Attachment }) {
  const src = `/api/v1/files/${a.id}/content`
  if (a.content_type.startsWith('image/')) {
    return <a class='attachment attachment-image' href={src} target='_blank' rel='noopener'><img src={`/api/v1/files/${a.id}/thumbnail`} alt={a.name} loading='lazy' /></a>
  }
  return <a class='attachment' href={src} download={a.name}><span class='file-icon'>{a.content_type === 'application/pdf' ? 'PDF' : 'FILE'}</span> {a.name} <span class='muted small'>{formatBytes(a.size)}</span></a>
}
