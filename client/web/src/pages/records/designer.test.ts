import { describe, expect, it } from 'vitest'
import type { RecordType } from '../../lib/types'
import { draftOf, emptyDraft, newField, schemaOf, slugOf } from './designer'

describe('type designer', () => {
  it('turns a draft into the schema the server takes', () => {
    const d = emptyDraft()
    d.name = ' Purchase request '
    d.fields = [
      { ...newField('text'), name: 'code', label: 'Code', required: true, unique: true, pattern: '[A-Z]+', max: '20' },
      { ...newField('select'), name: 'priority', options: 'low, high,', defaultText: 'low' },
      { ...newField('money'), name: 'budget', min: '0' },
      { ...newField('number'), name: 'rate', min: '0.5' },
      { ...newField('link'), name: 'client', to: 'client' },
      { ...newField('table'), name: 'lines', fields: [{ ...newField('text'), name: 'item', required: true }, { ...newField('integer'), name: 'qty', defaultText: '1' }] }
    ]
    d.workflow = true
    d.states = [{ key: 'a', name: 'draft', final: false }, { key: 'b', name: 'approved', final: true }]
    d.transitions = [{ key: 't', action: 'approve', from: ['draft'], to: 'approved', roles: 'admin, accountant', selfApproval: false }]
    d.naming = { enabled: true, prefix: 'PR-', year: true, month: false, digits: '4', at: 'transition' }
    d.permissions = [{ role: 'member', action: 'read', scope: 'all' }, { role: '', action: 'write', scope: 'all' }]
    expect(schemaOf(d)).toEqual({
      name: 'Purchase request',
      fields: [
        { name: 'code', type: 'text', label: 'Code', required: true, unique: true, pattern: '[A-Z]+', max: 20 },
        { name: 'priority', type: 'select', options: ['low', 'high'], default: 'low' },
        { name: 'budget', type: 'money', min: 0 },
        { name: 'rate', type: 'number', min: '0.5' },
        { name: 'client', type: 'link', to: 'client' },
        { name: 'lines', type: 'table', fields: [{ name: 'item', type: 'text', required: true }, { name: 'qty', type: 'integer', default: 1 }] }
      ],
      workflow: {
        states: [{ name: 'draft', final_state: false }, { name: 'approved', final_state: true }],
        transitions: [{ action: 'approve', from: ['draft'], to: 'approved', roles: ['admin', 'accountant'], allow_self_approval: false }]
      },
      naming: { prefix: 'PR-', year: true, month: false, digits: 4, at: 'transition' },
      permissions: [{ role: 'member', action: 'read', scope: 'all' }]
    })
    expect(slugOf(' Purchase request!')).toBe('purchase_request')
    expect(slugOf('2026 budget')).toBe('t_2026_budget')
  })

  it('reads a type back without losing what it does not edit', () => {
    const t = {
      slug: 'order', name: 'Order', version: 2, builtin: false, archived: false, can: {} as any, permissions: [],
      fields: [{ name: 'total', type: 'money', computed: { sum: 'lines.amount' } }, { name: 'tags', type: 'multi_select', options: ['a', 'b'], default: ['a'] }],
      workflow: { states: [{ name: 'draft', final_state: false }], transitions: [], amend_from: 'draft' }
    } as unknown as RecordType
    const back = schemaOf(draftOf(t))
    expect(back.fields[0]).toEqual({ name: 'total', type: 'money', computed: { sum: 'lines.amount' } })
    expect(back.fields[1]).toEqual({ name: 'tags', type: 'multi_select', options: ['a', 'b'], default: ['a'] })
    expect(back.workflow?.amend_from).toBe('draft')
  })
})
