// How one version differs from another, block by block: inserted text is underlined, deleted
// text struck through, each also marked by words for screen readers and a sign in the margin
// of whole blocks — never by colour alone.
import type { components } from '../../../lib/api-types'

export type VersionDiff = components['schemas']['VersionDiff']
type DiffBlock = components['schemas']['DiffBlock']
type DiffSpan = components['schemas']['DiffSpan']

const SIGN: Record<DiffBlock['op'], string> = { equal: ' ', insert: '+', delete: '−', change: '~' }
const BLOCK_LABEL: Record<DiffBlock['op'], string> = { equal: '', insert: 'Added:', delete: 'Removed:', change: 'Changed:' }

function Span ({ span }: { span: DiffSpan }) {
  if (span.op === 'insert') return <ins><span class='sr-only'>[inserted: </span>{span.text}<span class='sr-only'>]</span></ins>
  if (span.op === 'delete') return <del><span class='sr-only'>[deleted: </span>{span.text}<span class='sr-only'>]</span></del>
  return <span>{span.text}</span>
}

export function DiffView ({ diff, fromLabel, toLabel }: { diff: VersionDiff, fromLabel: string, toLabel: string }) {
  const changed = diff.blocks.some((b) => b.op !== 'equal')
  return (
    <div class='version-diff' data-testid='version-diff'>
      <p class='muted small'>Changes from <strong>{fromLabel}</strong> to <strong>{toLabel}</strong></p>
      {!changed && <p class='muted'>No differences.</p>}
      {diff.blocks.map((block, i) => (
        <div key={i} class={`diff-block diff-${block.op}`} data-op={block.op}>
          <span class='diff-sign' aria-hidden='true'>{SIGN[block.op]}</span>
          <div class='diff-text'>
            {BLOCK_LABEL[block.op] && <span class='sr-only'>{BLOCK_LABEL[block.op]} </span>}
            {block.spans.map((span, j) => <Span key={j} span={span} />)}
          </div>
        </div>
      ))}
    </div>
  )
}
