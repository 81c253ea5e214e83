// The organisation's invoice settings (accountants and admins change them): the seller block
// printed on every invoice, how to pay (label/value rows), the template (logo, accent colour,
// footer, paper), the e-mail templates invoice mail and reminders are written with, and the
// days after the due date on which unpaid invoices' clients are reminded. The logo is an image file of one of the org's projects: chosen from those already
// uploaded, or uploaded here through the files API.
import { useEffect, useRef, useState } from 'preact/hooks'
import { ApiError, upload } from '../../lib/api'
import { projects, toast } from '../../lib/session'
import type { FileInfo } from '../../lib/types'
import { ErrorBox, Spinner, useAsync, useTitle } from '../../ui/common'
import { typesApi } from '../records/api'
import { filesApi, invoicesApi, type InvoiceSettings, type PaymentDetail } from './api'
import { move, parseDays } from './form'
import { MailTemplates } from './MailTemplates'

const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/svg+xml']

export function InvoiceSettingsPage ({ org }: { org: string }) {
  useTitle('Invoice settings')
  const type = useAsync((signal) => typesApi.get(org, 'invoice', signal), [org])
  const current = useAsync((signal) => invoicesApi.settings(org, signal), [org])
  if (current.error || type.error) return <section class='page'><ErrorBox error={current.error ?? type.error} retry={() => { current.reload(); type.reload() }} /></section>
  if (!current.data || !type.data) return <section class='page'><Spinner /></section>
  return <SettingsForm org={org} initial={current.data} writable={type.data.can.write} onSaved={(s) => current.setData(() => s)} />
}

type Text = 'legal_name' | 'address' | 'tax_id' | 'tax_id_label' | 'tax_name' | 'state_code' | 'email' | 'phone' | 'footer_text' | 'accent_color'

function SettingsForm ({ org, initial, writable, onSaved }: { org: string, initial: InvoiceSettings, writable: boolean, onSaved: (s: InvoiceSettings) => void }) {
  const [s, setS] = useState<InvoiceSettings>(initial)
  const [days, setDays] = useState(initial.reminder_days.join(', '))
  const [details, setDetails] = useState<(PaymentDetail & { _key: number })[]>(() => initial.payment_details.map((d, i) => ({ ...d, _key: i })))
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [error, setError] = useState<unknown>(null)
  const [pending, setPending] = useState(false)
  const keySeq = useRef(initial.payment_details.length)
  const disabled = !writable || pending
  const set = (k: keyof InvoiceSettings, v: unknown) => setS((x) => ({ ...x, [k]: v }))

  async function save (e: Event) {
    e.preventDefault()
    const local: Record<string, string> = {}
    const d = parseDays(days)
    if (!d.ok) local.reminder_days = d.error
    if (!/^#[0-9a-fA-F]{6}$/.test(s.accent_color.trim())) local.accent_color = 'must be a colour as #rrggbb'
    setErrors(local)
    if (Object.keys(local).length || !d.ok) { focus(Object.keys(local)[0]); return }
    setPending(true)
    setError(null)
    try {
      const body: InvoiceSettings = { ...s, state_code: s.state_code?.trim() || null, reminder_days: d.value, payment_details: details.map(({ label, value }) => ({ label, value })) }
      const saved = await invoicesApi.saveSettings(org, body)
      setS(saved)
      setDays(saved.reminder_days.join(', '))
      setDetails(saved.payment_details.map((x) => ({ ...x, _key: ++keySeq.current })))
      onSaved(saved)
      toast('Invoice settings saved', 'success', 2500)
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length) {
        setErrors(err.fields)
        focus(Object.keys(err.fields)[0])
      } else setError(err)
    } finally { setPending(false) }
  }

  const input = (k: Text, label: string, extra: Record<string, unknown> = {}, hint?: string, cls = '') => {
    const id = `is-${k}`
    const err = errors[k]
    return (
      <div class={'field ' + cls + (err ? ' field-invalid' : '')}>
        <label for={id}>{label}</label>
        <input id={id} value={String(s[k] ?? '')} disabled={disabled} autoComplete='off' aria-invalid={err ? 'true' : undefined} aria-describedby={err ? `${id}-err` : hint ? `${id}-hint` : undefined} onInput={(e) => set(k, e.currentTarget.value)} {...extra} />
        {err ? <small id={`${id}-err`} class='field-error' role='alert'>{err}</small> : hint && <small id={`${id}-hint`} class='hint'>{hint}</small>}
      </div>
    )
  }
  const err = (k: string, id: string) => errors[k] ? <small id={`${id}-err`} class='field-error' role='alert'>{errors[k]}</small> : null
  return (
    <section class='page invoice-settings'>
      <nav class='small' aria-label='Breadcrumb'><a href={`/o/${org}/invoices`}>Invoices</a> › Settings</nav>
      <h1>Invoice settings</h1>
      {!writable && <p class='banner banner-info' role='status'>You may read these settings; accountants and admins change them.</p>}
      <form onSubmit={save} noValidate aria-label='Invoice settings'>
        <fieldset class='settings-section'>
          <legend>Seller</legend>
          <div class='settings-grid'>
            {input('legal_name', 'Legal name', { maxLength: 200 }, 'The organisation’s name when empty.')}
            {input('email', 'E-mail', { type: 'email', maxLength: 320 }, 'Printed on invoices; replies to invoice e-mail go here.')}
            {input('phone', 'Phone', { type: 'tel', maxLength: 40 })}
            <div class={'field span-all' + (errors.address ? ' field-invalid' : '')}>
              <label for='is-address'>Address</label>
              <textarea id='is-address' rows={4} maxLength={1000} value={s.address} disabled={disabled} aria-invalid={errors.address ? 'true' : undefined} aria-describedby={errors.address ? 'is-address-err' : 'is-address-hint'} onInput={(e) => set('address', e.currentTarget.value)} />
              {err('address', 'is-address') ?? <small id='is-address-hint' class='hint'>Up to 8 lines.</small>}
            </div>
            {input('tax_id', 'Tax id', { maxLength: 50 }, 'VAT number, GSTIN, EIN…')}
            {input('tax_id_label', 'Tax id label', { maxLength: 30, placeholder: 'Tax ID' }, 'What the tax id is called, e.g. VAT or GSTIN.')}
            {input('tax_name', 'Tax name', { maxLength: 30, placeholder: 'Tax' }, 'What tax is called in the summary, e.g. VAT.')}
            {input('state_code', 'GST state code', { maxLength: 2, inputMode: 'numeric', placeholder: '27' }, 'Two digits; set, new invoices are GST invoices.')}
          </div>
        </fieldset>

        <fieldset class='settings-section' data-testid='payment-details'>
          <legend>Payment details</legend>
          {errors.payment_details && <p class='field-error' role='alert'>{errors.payment_details}</p>}
          {details.length === 0 && <p class='muted small'>None: invoices say nothing about how to pay.</p>}
          {details.map((d, i) => {
            const lid = `is-pd-${i}-label`
            const vid = `is-pd-${i}-value`
            const lk = `payment_details[${i}].label`
            const vk = `payment_details[${i}].value`
            const patch = (change: Partial<PaymentDetail>) => setDetails((all) => all.map((x, j) => j === i ? { ...x, ...change } : x))
            return (
              <div key={d._key} class='detail-row'>
                <div class={'field' + (errors[lk] ? ' field-invalid' : '')}>
                  <label for={lid}>Label, row {i + 1}</label>
                  <input id={lid} value={d.label} maxLength={40} disabled={disabled} placeholder='IBAN' aria-invalid={errors[lk] ? 'true' : undefined} aria-describedby={errors[lk] ? `${lid}-err` : undefined} onInput={(e) => patch({ label: e.currentTarget.value })} />
                  {err(lk, lid)}
                </div>
                <div class={'field' + (errors[vk] ? ' field-invalid' : '')}>
                  <label for={vid}>Value, row {i + 1}</label>
                  <input id={vid} value={d.value} maxLength={200} disabled={disabled} placeholder='DE89 3704 0044 0532 0130 00' aria-invalid={errors[vk] ? 'true' : undefined} aria-describedby={errors[vk] ? `${vid}-err` : undefined} onInput={(e) => patch({ value: e.currentTarget.value })} />
                  {err(vk, vid)}
                </div>
                {!disabled && (
                  <div class='row' style={{ marginTop: '26px' }}>
                    <button type='button' class='btn-icon btn-tiny' aria-label={`Move row ${i + 1} up`} disabled={i === 0} onClick={() => setDetails((all) => move(all, i, i - 1))}>↑</button>
                    <button type='button' class='btn-icon btn-tiny' aria-label={`Move row ${i + 1} down`} disabled={i === details.length - 1} onClick={() => setDetails((all) => move(all, i, i + 1))}>↓</button>
                    <button type='button' class='btn-icon btn-tiny' aria-label={`Remove row ${i + 1}`} onClick={() => setDetails((all) => all.filter((_, j) => j !== i))}>×</button>
                  </div>
                )}
              </div>
            )
          })}
          {!disabled && details.length < 8 && <button type='button' class='btn btn-small' onClick={() => setDetails((all) => [...all, { label: '', value: '', _key: ++keySeq.current }])}>Add a payment detail</button>}
        </fieldset>

        <fieldset class='settings-section'>
          <legend>Template</legend>
          <LogoChooser org={org} value={s.logo_file ?? null} error={errors.logo_file} disabled={disabled} onChange={(id) => set('logo_file', id)} />
          <div class='settings-grid'>
            <div class={'field' + (errors.accent_color ? ' field-invalid' : '')}>
              <label for='is-accent_color'>Accent colour</label>
              <div class='colour-row'>
                <input type='color' aria-label='Accent colour picker' value={/^#[0-9a-fA-F]{6}$/.test(s.accent_color) ? s.accent_color : '#1f4e79'} disabled={disabled} onInput={(e) => set('accent_color', e.currentTarget.value)} />
                <input id='is-accent_color' value={s.accent_color} maxLength={7} disabled={disabled} aria-invalid={errors.accent_color ? 'true' : undefined} aria-describedby={errors.accent_color ? 'is-accent_color-err' : 'is-accent_color-hint'} onInput={(e) => set('accent_color', e.currentTarget.value)} />
              </div>
              {err('accent_color', 'is-accent_color') ?? <small id='is-accent_color-hint' class='hint'>As #rrggbb: headings and rules of the invoice.</small>}
            </div>
            <div class={'field' + (errors.paper ? ' field-invalid' : '')}>
              <label for='is-paper'>Paper</label>
              <select id='is-paper' value={s.paper} disabled={disabled} aria-describedby={errors.paper ? 'is-paper-err' : undefined} onChange={(e) => set('paper', e.currentTarget.value)}>
                <option value='a4'>A4</option>
                <option value='letter'>US Letter</option>
              </select>
              {err('paper', 'is-paper')}
            </div>
            {input('footer_text', 'Footer', { maxLength: 300 }, 'One line at the foot of every page.', 'span-all')}
          </div>
        </fieldset>

        <MailTemplates
          org={org} invoiceTemplate={s.invoice_template ?? null} reminderTemplate={s.reminder_template ?? null} errors={errors} disabled={disabled}
          seller={s.legal_name} details={details} onChange={(k, id) => set(k, id)}
        />

        <fieldset class='settings-section'>
          <legend>Reminders</legend>
          <div class={'field' + (errors.reminder_days ? ' field-invalid' : '')}>
            <label for='is-reminder_days'>Remind on these days after the due date</label>
            <input id='is-reminder_days' value={days} disabled={disabled} inputMode='numeric' aria-invalid={errors.reminder_days ? 'true' : undefined} aria-describedby={errors.reminder_days ? 'is-reminder_days-err' : 'is-reminder_days-hint'} onInput={(e) => setDays(e.currentTarget.value)} />
            {err('reminder_days', 'is-reminder_days') ?? <small id='is-reminder_days-hint' class='hint'>Up to 6 days from 1 to 365, separated by commas; each reminder is e-mailed once to the client of an unpaid invoice. Empty: no reminders.</small>}
          </div>
        </fieldset>

        <ErrorBox error={error} />
        {writable && <div class='row-end'><button class='btn btn-primary' disabled={pending}>Save settings</button></div>}
      </form>
    </section>
  )

  function focus (key: string | undefined) {
    if (!key) return
    const m = /^payment_details\[(\d+)\]\.(label|value)$/.exec(key)
    const id = m ? `is-pd-${m[1]}-${m[2]}` : key === 'logo_file' ? 'is-logo-upload' : `is-${key}`
    setTimeout(() => document.getElementById(id)?.focus(), 0)
  }
}

/**
 * The logo: the image chosen now (with a way to remove it), the images of a project of the org
 * to choose from, and an upload into that project.
 */
function LogoChooser ({ org, value, error, disabled, onChange }: { org: string, value: string | null, error?: string, disabled: boolean, onChange: (id: string | null) => void }) {
  const mine = projects.value.filter((p) => p.org_id === org)
  const [project, setProject] = useState<string>(mine[0]?.id ?? '')
  useEffect(() => { if (!project && mine[0]) setProject(mine[0].id) }, [mine.length])
  const files = useAsync((signal) => project ? filesApi.list(project, signal) : Promise.resolve({ items: [] as FileInfo[] }), [project])
  const chosen = useAsync((signal) => value ? filesApi.get(value, signal).catch(() => null) : Promise.resolve(null), [value])
  const [progress, setProgress] = useState<number | null>(null)
  const [uploadError, setUploadError] = useState<string | null>(null)
  const input = useRef<HTMLInputElement>(null)
  const images = (files.data?.items ?? []).filter((f) => LOGO_TYPES.includes(f.content_type))
  const target = mine.find((p) => p.id === project)
  function start (file: File) {
    if (!target) return
    setUploadError(null)
    if (!LOGO_TYPES.includes(file.type)) { setUploadError(`${file.name} is not a PNG, JPEG or SVG image.`); return }
    setProgress(0)
    upload<FileInfo>(`/api/v1/projects/${target.id}/files`, file, file.name, setProgress).promise
      .then((f) => { files.reload(); onChange(f.id); toast(`${f.name} uploaded to ${target.name} and chosen as the logo`, 'success', 3000) })
      .catch((e) => setUploadError(`${file.name} was not uploaded: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => setProgress(null))
  }
  return (
    <fieldset class={'field settings-logo' + (error ? ' field-invalid' : '')} style={{ border: 0, padding: 0, margin: '0 0 12px' }}>
      <legend class='field-label'>Logo</legend>
      <div class='logo-current' data-testid='logo-current'>
        {value
          ? (
            <>
              <img src={filesApi.contentUrl(value)} alt={`Logo: ${chosen.data?.name ?? 'chosen image'}`} />
              <span>{chosen.data?.name ?? (chosen.loading ? '…' : 'A file that is no longer there')}</span>
              {!disabled && <button type='button' class='btn btn-small' onClick={() => onChange(null)}>Remove the logo</button>}
            </>
            )
          : <span class='muted'>No logo.</span>}
      </div>
      {error && <p id='is-logo-err' class='field-error' role='alert'>{error}</p>}
      {!disabled && (mine.length === 0
        ? <p class='muted small'>A logo is an image in the files of one of the organisation’s projects; create a project to upload one.</p>
        : (
          <>
            <div class='row wrap'>
              <div class='field' style={{ margin: 0 }}>
                <label for='is-logo-project'>Images of the project</label>
                <select id='is-logo-project' value={project} onChange={(e) => setProject(e.currentTarget.value)}>
                  {mine.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
                </select>
              </div>
              <button type='button' id='is-logo-upload' class='btn' disabled={progress !== null} onClick={() => input.current?.click()}>Upload an image…</button>
              <input ref={input} type='file' accept={LOGO_TYPES.join(',')} hidden data-testid='logo-file-input' onChange={(e) => { const f = e.currentTarget.files?.[0]; if (f) start(f); e.currentTarget.value = '' }} />
              {progress !== null && <progress max={1} value={progress} aria-label='Uploading the logo' />}
            </div>
            {uploadError && <p class='field-error' role='alert'>{uploadError}</p>}
            {!files.data
              ? (files.error ? <ErrorBox error={files.error} retry={files.reload} /> : <Spinner />)
              : images.length === 0
                ? <p class='muted small'>{target?.name ?? 'This project'} has no PNG, JPEG or SVG images yet.</p>
                : (
                  <ul class='logo-choices' aria-label={`Images in ${target?.name ?? 'the project'}`}>
                    {images.map((f) => (
                      <li key={f.id}>
                        <label class='logo-choice'>
                          <input type='radio' name='logo' value={f.id} checked={f.id === value} onChange={() => onChange(f.id)} />
                          <img src={filesApi.contentUrl(f.id)} alt='' />
                          {f.name}
                        </label>
                      </li>
                    ))}
                  </ul>
                  )}
          </>
          ))}
    </fieldset>
  )
}
