import { Empty, useTitle } from '../../ui/common'
import { chatAvailable } from '../../chat/store'
import { ChatSettingsForm } from './ChatSettingsForm'
import { TimesheetSettingsForm } from './TimesheetSettingsForm'
import { RenameOrgForm } from './RenameOrgForm'
import { DangerZone } from './DangerZone'
import { me, orgCan } from '../../lib/session'
import { DocSharingSetting } from '../docs/export/DocSharingSetting'
import { TemplatesSection } from '../docs/templates/TemplatesSection'

/** Organisation settings: its name (owners and admins), chat (who may mention everyone, the
 * large-audience warning), timesheets (when last week's is due, and the reminder), and for
 * owners the Danger zone (export everything, delete the organisation). */
export function OrgSettings ({ org }: { org: string }) {
  useTitle('Organisation settings')
  return (
    <section class='page'>
      <h1>Organisation settings</h1>
      {orgCan(org)?.manage && <RenameOrgForm org={org} />}
      {chatAvailable.value ? <ChatSettingsForm org={org} /> : <Empty title='Chat is not available on this server yet' />}
      <TimesheetSettingsForm org={org} />
      <DocSharingSetting org={org} />
      <TemplatesSection org={org} />
      {me.value?.orgs.find((o) => o.id === org)?.role === 'owner' && <DangerZone org={org} />}
    </section>
  )
}
