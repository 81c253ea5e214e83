// The organisation's administration screens: one concern per file in this folder.
export { AuditLog } from './AuditLog'
export { OrgMembers } from './Members'
export { OrgSettings } from './OrgSettings'
export { ProjectSettings } from './ProjectSettings'
export { RolesPage } from './RolesPage'
