import type { BrowserContext, Locator, Page } from '@playwright/test'
import { expect } from './fixtures'
import type { TestUser } from './harness'

type NewUserPage = (user: TestUser, to?: string, options?: { bypassCSP?: boolean }) => Promise<{ context: BrowserContext, page: Page }>

/** The owner (page `a`, axe allowed) and Bob (page `b`) with the same document open and synced. */
export async function openTogether (newUserPage: NewUserPage, w: { owner: TestUser, org: string, project: string, doc: string, users: Record<string, TestUser> }) {
  const url = `/o/${w.org}/p/${w.project}/docs/${w.doc}`
  const a = await newUserPage(w.owner, url, { bypassCSP: true })
  const b = await newUserPage(w.users.bob, url)
  for (const p of [a.page, b.page]) await expect(p.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  const editorA: Locator = a.page.locator('.ProseMirror')
  const editorB: Locator = b.page.locator('.ProseMirror')
  return { url, a, b, editorA, editorB }
}
