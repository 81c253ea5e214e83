import { useState } from 'preact/hooks'
import { api } from '../../lib/api'
import { me, toast } from '../../lib/session'
import { Avatar, ErrorBox, useSubmit } from '../../ui/common'
import { setAvatarUrl } from '../../ui/avatars'

/** What the server takes (it reads the type from the bytes; these only guide the file picker). */
const ACCEPT = 'image/png,image/jpeg,image/webp'
const MAX_BYTES = 2 * 1024 * 1024

/**
 * Settings → Profile: the picture shown wherever you appear. Uploading sends the image itself;
 * the server crops and scales it, so the preview is what everyone sees. "Remove" goes back to
 * initials.
 */
export function ProfilePicture () {
  const m = me.value!
  const [key, setKey] = useState(0)
  const [tooLarge, setTooLarge] = useState(false)
  const s = useSubmit()
  const hasPicture = !!m.avatar_url
  async function upload (e: Event) {
    const input = e.currentTarget as HTMLInputElement
    const file = input.files?.[0]
    if (!file) return
    // Caught here to spare the upload; the server refuses it anyway (413).
    setTooLarge(file.size > MAX_BYTES)
    if (file.size > MAX_BYTES) { setKey(key + 1); return }
    const r = await s.run(() => api.put<{ avatar_url?: string }>('/api/v1/me/avatar', undefined, { body: file, headers: { 'content-type': 'application/octet-stream' } }))
    setKey(key + 1)
    if (r?.avatar_url) {
      me.value = { ...m, avatar_url: r.avatar_url }
      setAvatarUrl(m.user.id, r.avatar_url)
      toast('Profile picture saved', 'success')
    }
  }
  async function remove () {
    const ok = await s.run(async () => { await api.del('/api/v1/me/avatar'); return true })
    if (ok) {
      me.value = { ...m, avatar_url: undefined }
      setAvatarUrl(m.user.id, null)
      toast('Profile picture removed', 'success')
    }
  }
  return (
    <div class='stack' role='group' aria-labelledby='picture-heading'>
      <h2 id='picture-heading'>Picture</h2>
      <div class='row'>
        <span data-testid='picture-preview'><Avatar id={m.user.id} name={m.user.name} size={96} title={`${m.user.name} (preview)`} /></span>
        <div class='stack'>
          <label class='btn' for='avatar-file'>{hasPicture ? 'Choose another picture' : 'Upload a picture'}</label>
          <input key={key} id='avatar-file' class='sr-only' type='file' accept={ACCEPT} onChange={upload} disabled={s.pending} />
          {hasPicture && <div><button type='button' class='btn btn-danger' onClick={remove} disabled={s.pending}>Remove picture</button></div>}
          <small class='muted'>PNG, JPEG or WebP, at most 2 MB. It is cropped to a square.</small>
        </div>
      </div>
      {tooLarge && <div class='error-box' role='alert'>That file is larger than 2 MB; choose a smaller one.</div>}
      <ErrorBox error={s.error} />
    </div>
  )
}
