// The base org roles and project roles, most capable first, as the role pickers list them.
import type { OrgRole, ProjectRole } from '../../lib/types'

export const ORG_ROLES: OrgRole[] = ['owner', 'admin', 'member', 'viewer', 'guest']
export const PROJECT_ROLES: ProjectRole[] = ['manager', 'editor', 'commenter', 'viewer']
