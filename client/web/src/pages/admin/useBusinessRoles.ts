import { api } from '../../lib/api'
import type { BusinessRole, Page } from '../../lib/types'
import { useAsync } from '../../ui/common'

/** The org's business roles (built-in, then its own); every member may read them. */
export function useBusinessRoles (org: string) {
  return useAsync((signal) => api.get<Page<BusinessRole>>(`/api/v1/orgs/${org}/roles`, { signal }), [org])
}
