import { toast, toastError } from '../../lib/session'

/** The name the downloaded file gets. */
const FILE_NAME = 'atrium-recovery-codes.txt'

/** The file's text: what the codes are for, then one code a line. */
export function recoveryCodesText (codes: string[], email: string): string {
  return [
    `Atrium recovery codes for ${email}`,
    'Each code logs you in once, in place of a code from your authenticator app.',
    '',
    ...codes,
    ''
  ].join('\n')
}

/**
 * Freshly made recovery codes, shown once: copy them to the clipboard or download them as a
 * text file, before they are gone.
 */
export function RecoveryCodes ({ codes, email }: { codes: string[], email: string }) {
  async function copy () {
    try {
      await navigator.clipboard.writeText(codes.join('\n'))
      toast('Recovery codes copied', 'success')
    } catch (e) {
      toastError(e)
    }
  }
  function download () {
    const url = URL.createObjectURL(new Blob([recoveryCodesText(codes, email)], { type: 'text/plain;charset=utf-8' }))
    const a = document.createElement('a')
    a.href = url
    a.download = FILE_NAME
    document.body.append(a)
    a.click()
    a.remove()
    // The click has handed the blob to the download; a later revoke keeps slow browsers safe.
    setTimeout(() => URL.revokeObjectURL(url), 10_000)
  }
  return (
    <div class='banner banner-info' role='region' aria-label='Recovery codes'>
      <p>Two-factor authentication is on. Keep these single-use recovery codes somewhere safe; they are shown only once:</p>
      <pre class='codes' data-testid='recovery-codes'>{codes.join('\n')}</pre>
      <div class='row'>
        <button type='button' class='btn' onClick={copy}>Copy</button>
        <button type='button' class='btn' onClick={download}>Download</button>
      </div>
    </div>
  )
}
