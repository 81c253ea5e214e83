import { useEffect, useState } from 'preact/hooks'
import { navigate } from '../../lib/router'
import { Empty, Spinner } from '../../ui/common'
import { channels, channelsLoading, chatAvailable } from '../../chat/store'
import { NewChannelDialog } from './NewChannelDialog'

export function ChatHome ({ org }: { org: string }) {
  const [creating, setCreating] = useState(false)
  const first = channels.value.find((c) => c.kind === 'channel' && !c.archived) ?? channels.value[0]
  useEffect(() => { if (first) navigate(`/o/${org}/chat/${first.id}`, { replace: true }) }, [first?.id])
  if (!chatAvailable.value) return <section class='page'><Empty title='Chat is not available on this server yet' /></section>
  if (channelsLoading.value) return <section class='page'><Spinner /></section>
  return (
    <section class='page'>
      <Empty title='No channels yet'><button class='btn btn-primary' onClick={() => setCreating(true)}>Create a channel</button></Empty>
      {creating && <NewChannelDialog org={org} onClose={() => setCreating(false)} />}
    </section>
  )
}
