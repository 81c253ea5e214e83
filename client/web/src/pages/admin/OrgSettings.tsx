import { Empty, useTitle } from '../../ui/common'
import { chatAvailable } from '../../chat/store'
import { ChatSettingsForm } from './ChatSettingsForm'

/** Organisation settings: chat (who may mention everyone, the large-audience warning). */
export function OrgSettings ({ org }: { org: string }) {
  useTitle('Organisation settings')
  return (
    <section class='page'>
      <h1>Organisation settings</h1>
      {chatAvailable.value ? <ChatSettingsForm org={org} /> : <Empty title='Chat is not available on this server yet' />}
    </section>
  )
}
