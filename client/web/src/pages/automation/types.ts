// The automation wire types (client/src/wire/automation.rs) as the server's OpenAPI document
// gives them (src/lib/api-types.ts).
import type { components } from '../../lib/api-types'

type Schemas = components['schemas']
export type RuleTrigger = Schemas['RuleTrigger']
export type ConditionOp = Schemas['ConditionOp']
export type RuleCondition = Schemas['RuleCondition']
export type RuleAction = Schemas['RuleAction']
export type CreateRuleRequest = Schemas['CreateRuleRequest']
export type UpdateRuleRequest = Schemas['UpdateRuleRequest']
export type AutomationRule = Schemas['AutomationRule']
export type RunOutcome = Schemas['RunOutcome']
export type ActionReport = Schemas['ActionReport']
export type RuleRun = Schemas['RuleRun']
export type DryRunRequest = Schemas['DryRunRequest']
export type DryRunEvent = Schemas['DryRunEvent']
export type DryRunReport = Schemas['DryRunReport']
export type CreateEmailTemplateRequest = Schemas['CreateEmailTemplateRequest']
export type UpdateEmailTemplateRequest = Schemas['UpdateEmailTemplateRequest']
export type EmailTemplate = Schemas['EmailTemplate']
export type PreviewEmailTemplateRequest = Schemas['PreviewEmailTemplateRequest']
export type RenderedEmail = Schemas['RenderedEmail']
