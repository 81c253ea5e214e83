// Chat markdown, rendered safely: raw HTML in the source is shown as text (never parsed), the
// output is sanitised with DOMPurify against a short allow-list, links open in a new tab
// without an opener, and @handles become mention chips.
import { Marked, type Tokens } from 'marked'
import DOMPurify from 'dompurify'

export function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]!))
}

const HANDLE = /^@([a-z0-9][a-z0-9._-]{0,62})/i

function build (selfHandle: () => string | null): Marked {
  const m = new Marked({ gfm: true, breaks: true, async: false })
  m.use({
    renderer: {
      // Raw HTML is text here.
      html (token: Tokens.HTML | Tokens.Tag) { return escapeHtml(token.text) },
      link (token: Tokens.Link) {
        const href = token.href || ''
        const safe = /^(https?:|mailto:|\/)/i.test(href) ? href : '#'
        const text = this.parser.parseInline(token.tokens)
        return `<a href="${escapeHtml(safe)}" target="_blank" rel="noopener noreferrer nofollow">${text}</a>`
      },
      image (token: Tokens.Image) {
        // No remote images in chat (tracking pixels); show the alt text as a link instead.
        const href = /^(https?:|\/)/i.test(token.href || '') ? token.href : '#'
        return `<a href="${escapeHtml(href)}" target="_blank" rel="noopener noreferrer nofollow">${escapeHtml(token.text || 'image')}</a>`
      }
    },
    extensions: [{
      name: 'mention',
      level: 'inline',
      start (src: string) {
        const i = src.search(/(^|[^\w@])@[a-z0-9]/i)
        return i < 0 ? undefined : (src[i] === '@' ? i : i + 1)
      },
      tokenizer (src: string) {
        const match = HANDLE.exec(src)
        if (!match) return undefined
        return { type: 'mention', raw: match[0], handle: match[1] }
      },
      renderer (token) {
        const handle = String(token.handle)
        const self = selfHandle()
        const cls = self && self.toLowerCase() === handle.toLowerCase() ? 'mention mention-self' : 'mention'
        return `<span class="${cls}" data-handle="${escapeHtml(handle)}">@${escapeHtml(handle)}</span>`
      }
    }]
  })
  return m
}

let selfHandleValue: string | null = null
const marked = build(() => selfHandleValue)

/** Sets whose @mentions are drawn as "me". */
export function setSelfHandle (handle: string | null): void { selfHandleValue = handle }

const ALLOWED_TAGS = ['a', 'b', 'strong', 'i', 'em', 'del', 's', 'code', 'pre', 'p', 'br', 'ul', 'ol', 'li', 'blockquote', 'span', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'input']
const ALLOWED_ATTR = ['href', 'target', 'rel', 'class', 'data-handle', 'type', 'checked', 'disabled']

let hooked = false
/** Markdown → sanitised HTML, safe for innerHTML. */
export function renderMarkdown (source: string): string {
  const html = marked.parse(source, { async: false }) as string
  if (!hooked) {
    hooked = true
    DOMPurify.addHook('afterSanitizeAttributes', (node) => {
      if (node.tagName === 'A') {
        node.setAttribute('target', '_blank')
        node.setAttribute('rel', 'noopener noreferrer nofollow')
      }
      if (node.tagName === 'INPUT' && node.getAttribute('type') !== 'checkbox') node.remove()
    })
  }
  return DOMPurify.sanitize(html, { ALLOWED_TAGS, ALLOWED_ATTR, ALLOW_DATA_ATTR: false })
}
