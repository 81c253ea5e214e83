import { describe, expect, it } from 'vitest'
import { buildEvent, operationsOf, conditionValue, fieldErrors, parseEvent, placeholders, ruleDraft, toRequest, triggerDraft, valueText } from './form'
import type { AutomationRule } from './types'

describe('the rule editor drafts', () => {
  it('turns event patterns into the picker and back', () => {
    for (const e of ['task.updated', 'task.*', 'message.created', 'record.invoice.transitioned', 'record.client.*', 'record.*', 'record.deleted']) {
      const { kind, op } = parseEvent(e)
      expect(buildEvent(kind, op)).toBe(e)
    }
    expect(parseEvent('record.invoice.transitioned')).toEqual({ kind: 'record:invoice', op: 'transitioned' })
    // Removals are one event for every record type.
    expect(operationsOf('record:invoice')).not.toContain('deleted')
    expect(operationsOf('record:*')).toEqual(['*', 'deleted'])
    expect(operationsOf('task')).toEqual(['created', 'updated', 'deleted', '*'])
  })

  it('types condition values by operator', () => {
    expect(conditionValue('changed_to', 'done')).toBe('done')
    expect(conditionValue('in', ' high, urgent ,')).toEqual(['high', 'urgent'])
    expect(conditionValue('gt', '100')).toBe(100)
    expect(conditionValue('eq', 'true')).toBe(true)
    expect(conditionValue('contains', '42')).toBe('42')
    expect(conditionValue('is_empty', 'x')).toBeNull()
    expect(conditionValue('changed', 'x')).toBeNull()
    expect(valueText(['a', 'b'])).toBe('a, b')
    expect(valueText(null)).toBe('')
  })

  it('round-trips a rule through the editor unchanged', () => {
    const rule: AutomationRule = {
      id: 'r1',
      org_id: 'o1',
      project: 'p1',
      name: 'Done → post',
      trigger: { schedule: '0 9 * * MON', timezone: 'Europe/Berlin' },
      conditions: [{ field: 'category', op: 'changed_to', value: 'done' }, { field: 'labels', op: 'in', value: ['a', 'b'] }, { field: 'due', op: 'is_empty', value: null }],
      actions: [
        { type: 'post_message', channel: 'project', text: 'Done: {{title}}' },
        { type: 'notify', users: ['u1'], roles: ['accountant'], text: 'Hi' },
        { type: 'email', to: ['a@example.com', 'field:client.email'], template: 'invoice-overdue' },
        { type: 'set_field', field: 'due', value: '{{today}}' },
        { type: 'assign', user: 'u2' },
        { type: 'move_task', column: 'c1' },
        { type: 'create_task', board: 'b1', title: 'Follow up {{name}}' },
        { type: 'create_record', record_type: 'deal', fields: { name: '{{name}}', stage: 'lead' } },
        { type: 'webhook', url: 'https://example.com/hook' }
      ],
      active: false,
      created_by: 'u1',
      created_at: 1,
      updated_at: 2
    }
    const { name, project, trigger, conditions, actions, active } = rule
    expect(toRequest(ruleDraft(rule))).toEqual({ name, project, trigger, conditions, actions, active })
  })

  it('starts due triggers in a zone and reads days', () => {
    const d = triggerDraft({ due_within_days: 2 })
    expect(d).toMatchObject({ mode: 'due', days: '2', timezone: 'UTC' })
  })

  it('finds field errors by either path spelling and keeps the rest', () => {
    const f = fieldErrors({ 'actions.0.text': 'required', 'trigger.schedule': 'not a schedule', 'conditions[1].field': 'unknown', surprise: 'x' })
    expect(f.at('actions[0].text')).toBe('required')
    expect(f.at('schedule', 'trigger.schedule')).toBe('not a schedule')
    expect(f.at('conditions[1].field')).toBe('unknown')
    expect(f.others(['actions[0].text', 'trigger.schedule', 'conditions[1].field'])).toEqual(['surprise: x'])
  })

  it('lists placeholders once, in order', () => {
    expect(placeholders('Invoice {{name}} is overdue', 'Total {{ total }} for {{name}}, {{client.email}}')).toEqual(['name', 'total', 'client.email'])
  })
})
