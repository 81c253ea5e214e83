// @vitest-environment jsdom
import { describe, it, expect } from 'vitest'
import { renderMarkdown, setSelfHandle } from './markdown'

describe('renderMarkdown', () => {
  it('renders basic markdown', () => {
    const html = renderMarkdown('**bold** and `code`\n\n- one\n- two')
    expect(html).toContain('<strong>bold</strong>')
    expect(html).toContain('<code>code</code>')
    expect(html).toContain('<li>one</li>')
  })
  it('never passes raw HTML through', () => {
    const html = renderMarkdown('<img src=x onerror=alert(1)> <script>alert(2)</script> <b>hi</b>')
    expect(html).not.toMatch(/<img|<script|<b>/)
    expect(html).toContain('&lt;img')
  })
  it('neutralises dangerous links and opens links safely', () => {
    const bad = renderMarkdown('[click](javascript:alert(1))')
    expect(bad).not.toContain('javascript:')
    const good = renderMarkdown('[site](https://example.com)')
    expect(good).toContain('href="https://example.com"')
    expect(good).toContain('rel="noopener noreferrer nofollow"')
    expect(good).toContain('target="_blank"')
  })
  it('turns @handles into mention chips, marking the reader\'s own', () => {
    setSelfHandle('bob')
    const html = renderMarkdown('hi @bob and @ann, mail a@b.c')
    expect(html).toContain('<span class="mention mention-self" data-handle="bob">@bob</span>')
    expect(html).toContain('<span class="mention" data-handle="ann">@ann</span>')
    expect(html).not.toContain('data-handle="b.c"')
    setSelfHandle(null)
  })
  it('does not render remote images', () => {
    expect(renderMarkdown('![pixel](https://tracker.example/p.gif)')).not.toContain('<img')
  })
})
