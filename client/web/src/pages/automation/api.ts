// Automation rules, their runs and dry runs, and the org's e-mail templates over the API
// (API.md, "Integrations").
import { api, qs } from '../../lib/api'
import type {
  AutomationRule, CreateEmailTemplateRequest, CreateRuleRequest, DryRunReport, EmailTemplate,
  RenderedEmail, RuleRun, UpdateEmailTemplateRequest, UpdateRuleRequest
} from './types'

export type * from './types'
export interface RunPage { items: RuleRun[], next?: string | null }

/** The org's rules (owners and admins), or one project's (its managers), oldest first. */
export const listRules = (org: string, project?: string, signal?: AbortSignal) =>
  api.get<{ items: AutomationRule[] }>(`/api/v1/orgs/${org}/automations${qs({ project })}`, { signal })
export const createRule = (org: string, body: CreateRuleRequest) =>
  api.post<AutomationRule>(`/api/v1/orgs/${org}/automations`, body)
export const updateRule = (rule: string, body: UpdateRuleRequest) =>
  api.patch<AutomationRule>(`/api/v1/automations/${rule}`, body)
export const deleteRule = (rule: string) => api.del(`/api/v1/automations/${rule}`)
export const listRuns = (rule: string, cursor?: string, signal?: AbortSignal) =>
  api.get<RunPage>(`/api/v1/automations/${rule}/runs${qs({ cursor, limit: 50 })}`, { signal })
export const dryRun = (rule: string, events?: number) =>
  api.post<DryRunReport>(`/api/v1/automations/${rule}/dry-run`, events ? { events } : {})

export const listTemplates = (org: string, signal?: AbortSignal) =>
  api.get<{ items: EmailTemplate[] }>(`/api/v1/orgs/${org}/email-templates`, { signal })
export const createTemplate = (org: string, body: CreateEmailTemplateRequest) =>
  api.post<EmailTemplate>(`/api/v1/orgs/${org}/email-templates`, body)
export const updateTemplate = (template: string, body: UpdateEmailTemplateRequest) =>
  api.patch<EmailTemplate>(`/api/v1/email-templates/${template}`, body)
export const deleteTemplate = (template: string) => api.del(`/api/v1/email-templates/${template}`)
export const previewTemplate = (template: string, fields: Record<string, unknown>, signal?: AbortSignal) =>
  api.post<RenderedEmail>(`/api/v1/email-templates/${template}/preview`, { fields }, { signal })
