// What the slash menu offers: the blocks a document can hold, in the order the menu lists
// them, and which of them match what was typed after the `/`. Pure, so it is unit-tested; the
// editor commands behind each id are in ./slash.
import { rank } from '../ui/palette/rank'

export type BlockId =
  | 'text' | 'h1' | 'h2' | 'h3' | 'bullets' | 'numbers' | 'checklist' | 'quote' | 'code'
  | 'table' | 'callout' | 'callout-warning' | 'callout-success' | 'callout-danger' | 'toggle'
  | 'divider' | 'image'

export interface BlockEntry {
  id: BlockId
  label: string
  /** A short line under the label. */
  hint: string
  /** Other words that find it (the Markdown shortcut, synonyms). */
  keywords: string[]
}

export const BLOCKS: BlockEntry[] = [
  { id: 'text', label: 'Text', hint: 'A plain paragraph', keywords: ['paragraph', 'p'] },
  { id: 'h1', label: 'Heading 1', hint: 'Large section heading', keywords: ['h1', 'title', '#'] },
  { id: 'h2', label: 'Heading 2', hint: 'Medium section heading', keywords: ['h2', 'subtitle', '##'] },
  { id: 'h3', label: 'Heading 3', hint: 'Small section heading', keywords: ['h3', '###'] },
  { id: 'bullets', label: 'Bulleted list', hint: 'A list with bullets', keywords: ['ul', 'unordered', '-'] },
  { id: 'numbers', label: 'Numbered list', hint: 'A list with numbers', keywords: ['ol', 'ordered', '1.'] },
  { id: 'checklist', label: 'Checklist', hint: 'Tasks with checkboxes', keywords: ['todo', 'task', '[]'] },
  { id: 'quote', label: 'Quote', hint: 'A quotation', keywords: ['blockquote', '>'] },
  { id: 'code', label: 'Code block', hint: 'Code in a fixed-width font', keywords: ['pre', '```'] },
  { id: 'table', label: 'Table', hint: 'Three by three, with a header row', keywords: ['grid'] },
  { id: 'callout', label: 'Callout', hint: 'An info box that stands out', keywords: ['info', 'note', 'aside'] },
  { id: 'callout-warning', label: 'Warning callout', hint: 'A box for cautions', keywords: ['alert'] },
  { id: 'callout-success', label: 'Success callout', hint: 'A box for good news and tips', keywords: ['tip'] },
  { id: 'callout-danger', label: 'Danger callout', hint: 'A box for what must not happen', keywords: ['error', 'caution'] },
  { id: 'toggle', label: 'Toggle', hint: 'A summary that opens to show more', keywords: ['details', 'collapse', 'expand'] },
  { id: 'divider', label: 'Divider', hint: 'A horizontal line', keywords: ['rule', 'hr', 'separator', '---'] },
  { id: 'image', label: 'Image', hint: 'Upload a picture', keywords: ['picture', 'photo', 'upload'] }
]

/** The entries matching `query` (what follows the slash), best first; `image` only when images can be inserted. */
export function matchBlocks (query: string, withImage: boolean): BlockEntry[] {
  return rank(BLOCKS.filter((b) => withImage || b.id !== 'image'), query)
}
