// The automation wire types (client/src/wire/automation.rs), written by hand until the server's
// OpenAPI document carries them and src/lib/api-types.ts is regenerated.

/** What starts a rule: exactly one of `event`, `schedule` or `due_within_days`. */
export interface RuleTrigger {
  event?: string | null
  schedule?: string | null
  due_within_days?: number | null
  timezone?: string | null
}

export type ConditionOp = 'eq' | 'ne' | 'gt' | 'lt' | 'in' | 'changed_to' | 'changed' | 'contains' | 'is_empty'

export interface RuleCondition { field: string, op: ConditionOp, value?: unknown }

export type RuleAction =
  | { type: 'post_message', channel: string, text: string }
  | { type: 'notify', users?: string[], roles?: string[], text: string }
  | { type: 'email', to: string[], template: string }
  | { type: 'set_field', field: string, value: unknown }
  | { type: 'assign', user: string }
  | { type: 'move_task', column: string }
  | { type: 'create_task', board: string, title: string }
  | { type: 'create_record', record_type: string, fields: Record<string, unknown> }
  | { type: 'webhook', url: string }

export interface CreateRuleRequest {
  name: string
  project?: string | null
  trigger: RuleTrigger
  conditions?: RuleCondition[]
  actions: RuleAction[]
  active?: boolean | null
}

export interface UpdateRuleRequest {
  name?: string | null
  trigger?: RuleTrigger | null
  conditions?: RuleCondition[] | null
  actions?: RuleAction[] | null
  active?: boolean | null
}

export interface AutomationRule {
  id: string
  org_id: string
  project?: string | null
  name: string
  trigger: RuleTrigger
  conditions: RuleCondition[]
  actions: RuleAction[]
  active: boolean
  created_by: string
  created_at: number
  updated_at: number
}

export type RunOutcome = 'pending' | 'done' | 'failed' | 'stopped'

export interface ActionReport { type: string, summary: string, error?: string | null }

export interface RuleRun {
  id: string
  rule_id: string
  trigger: string
  entity_id?: string | null
  outcome: RunOutcome
  depth: number
  actions: ActionReport[]
  error?: string | null
  created_at: number
  finished_at?: number | null
}

export interface DryRunRequest { events?: number | null }

export interface DryRunEvent {
  event_type: string
  entity_id: string
  at: number
  matched: boolean
  reason?: string | null
  actions: ActionReport[]
}

export interface DryRunReport { events: DryRunEvent[] }

export interface CreateEmailTemplateRequest { name: string, subject: string, body: string }
export interface UpdateEmailTemplateRequest { name?: string | null, subject?: string | null, body?: string | null }

export interface EmailTemplate {
  id: string
  org_id: string
  name: string
  subject: string
  body: string
  created_by: string
  created_at: number
  updated_at: number
}

export interface PreviewEmailTemplateRequest { fields?: Record<string, unknown> }
export interface RenderedEmail { subject: string, body: string }
