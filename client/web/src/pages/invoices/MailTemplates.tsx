// The e-mail part of the invoice settings: which of the org's e-mail templates invoice mail
// and overdue reminders are written with ("Built-in wording" when none), the fields such a
// template may name, and the chosen template rendered by the server over a sample invoice —
// what the client will read. Owners and admins keep the templates (Settings → Automation) and
// alone may list them; anyone else who changes these settings sees whether one is chosen.
import { useEffect, useState } from 'preact/hooks'
import { orgCan } from '../../lib/session'
import { ErrorBox, useAsync } from '../../ui/common'
import type { EmailTemplate, RenderedEmail } from '../automation/api'
import { emailTemplatesApi, type PaymentDetail } from './api'
import { INVOICE_MAIL_FIELDS, REMINDER_MAIL_FIELDS, sampleFields } from './mailFields'

/** How long a change to the sample's seller or payment details waits before a new preview. */
const PREVIEW_DELAY_MS = 300

type Kind = 'invoice' | 'reminder'

export function MailTemplates ({ org, invoiceTemplate, reminderTemplate, errors, disabled, seller, details, onChange }: {
  org: string
  invoiceTemplate: string | null
  reminderTemplate: string | null
  errors: Record<string, string>
  disabled: boolean
  seller: string
  details: PaymentDetail[]
  onChange: (field: 'invoice_template' | 'reminder_template', id: string | null) => void
}) {
  const manage = !!orgCan(org)?.manage
  const templates = useAsync((signal) => manage ? emailTemplatesApi.list(org, signal).then((r) => r.items) : Promise.resolve(null), [org, manage])
  const common = { templates: templates.data, manage, disabled, seller, details }
  return (
    <fieldset class='settings-section' data-testid='mail-templates'>
      <legend>E-mail</legend>
      <p class='muted small'>
        Invoice e-mail and reminders are written in the built-in wording, or with one of the organisation’s e-mail templates;
        the PDF is attached either way.{' '}
        {manage
          ? <>The templates are kept under <a href={`/o/${org}/settings/automation`}>Settings → Automation</a>.</>
          : 'Owners and admins keep the templates and see which one is chosen.'}
      </p>
      {templates.error && <ErrorBox error={templates.error} retry={templates.reload} />}
      <TemplateChoice kind='invoice' label='Invoice e-mail' value={invoiceTemplate} error={errors.invoice_template} onChange={(id) => onChange('invoice_template', id)} {...common} />
      <TemplateChoice kind='reminder' label='Reminder e-mail' value={reminderTemplate} error={errors.reminder_template} onChange={(id) => onChange('reminder_template', id)} {...common} />
    </fieldset>
  )
}

/** One select, its hint or error, and the chosen template's preview over a sample invoice. */
function TemplateChoice ({ kind, label, value, templates, manage, error, disabled, seller, details, onChange }: {
  kind: Kind
  label: string
  value: string | null
  /** `undefined` while loading; `null` when the caller may not list them. */
  templates: EmailTemplate[] | null | undefined
  manage: boolean
  error?: string
  disabled: boolean
  seller: string
  details: PaymentDetail[]
  onChange: (id: string | null) => void
}) {
  const id = `is-${kind}_template`
  const chosen = templates?.find((t) => t.id === value)
  const fields = kind === 'invoice' ? INVOICE_MAIL_FIELDS : REMINDER_MAIL_FIELDS
  const [preview, setPreview] = useState<RenderedEmail | null>(null)
  const [previewError, setPreviewError] = useState<unknown>(null)
  const sample = JSON.stringify(sampleFields(kind, seller, details))
  useEffect(() => {
    setPreview(null)
    setPreviewError(null)
    if (!manage || !chosen) return
    const ctrl = new AbortController()
    const timer = setTimeout(() => {
      emailTemplatesApi.preview(chosen.id, JSON.parse(sample), ctrl.signal).then(
        (r) => { if (!ctrl.signal.aborted) setPreview(r) },
        (e) => { if (!ctrl.signal.aborted && e?.name !== 'AbortError') setPreviewError(e) }
      )
    }, PREVIEW_DELAY_MS)
    return () => { clearTimeout(timer); ctrl.abort() }
  }, [manage, chosen?.id, chosen?.updated_at, sample])

  const unlisted = value && !chosen
    ? templates === undefined ? '…' : templates === null ? 'An e-mail template' : 'A template that is no longer there'
    : null
  return (
    <div class={'field' + (error ? ' field-invalid' : '')}>
      <label for={id}>{label}</label>
      <select id={id} value={value ?? ''} disabled={disabled} aria-invalid={error ? 'true' : undefined} aria-describedby={error ? `${id}-err` : `${id}-hint`} onChange={(e) => onChange(e.currentTarget.value || null)}>
        <option value=''>Built-in wording</option>
        {(templates ?? []).map((t) => <option key={t.id} value={t.id}>{t.name}</option>)}
        {unlisted && <option value={value ?? ''}>{unlisted}</option>}
      </select>
      {error
        ? <small id={`${id}-err`} class='field-error' role='alert'>{error}</small>
        : <small id={`${id}-hint`} class='hint'>A template may name {fields.map((f) => `{{${f}}}`).join(', ')}.</small>}
      <ErrorBox error={previewError} />
      {preview && (
        <div class='card mail-preview' data-testid={`${kind}-mail-preview`} aria-live='polite'>
          <small class='muted'>Preview with a sample invoice</small>
          <strong class='mail-preview-subject'>{preview.subject}</strong>
          <pre class='mail-preview-body'>{preview.body}</pre>
        </div>
      )}
    </div>
  )
}
