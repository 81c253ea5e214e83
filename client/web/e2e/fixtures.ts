// Playwright fixtures: `server` (a fresh atrium per test on the project's backend), `baseURL`
// pointing at it, `login`, and `shot` (a named screenshot under test-results/screenshots).
import { test as base, expect, type Page, type BrowserContext } from '@playwright/test'
import path from 'node:path'
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { TestServer, type TestUser } from './harness'

const here = path.dirname(fileURLToPath(import.meta.url))
export const SCREENSHOTS = path.resolve(here, '../test-results/screenshots')

interface Fixtures {
  server: TestServer
  login: (page: Page, user: TestUser, to?: string) => Promise<void>
  shot: (page: Page, name: string) => Promise<void>
  newUserPage: (user: TestUser, to?: string, options?: { bypassCSP?: boolean, baseURL?: string }) => Promise<{ context: BrowserContext, page: Page }>
  consoleErrors: string[]
}

export const test = base.extend<Fixtures & { serverEnv: Record<string, string> }, { backend: string }>({
  backend: ['sqlite', { option: true, scope: 'worker' }],
  // Extra server settings a spec may set with `test.use({ serverEnv: {…} })`.
  serverEnv: [{}, { option: true }],
  server: async ({ backend, serverEnv }, use, testInfo) => {
    const server = await TestServer.start(backend, serverEnv)
    await use(server)
    await server.destroy(testInfo.status !== testInfo.expectedStatus)
  },
  baseURL: async ({ server }, use) => { await use(server.url) },
  // eslint-disable-next-line no-empty-pattern -- Playwright requires the object pattern
  consoleErrors: [async ({}, use) => {
    const errors: string[] = []
    await use(errors)
    // No test may leave an error — or a warning — in any page's console.
    expect(errors, 'console errors and warnings').toEqual([])
  }, { auto: true }],
  // The default page is watched too (tests that start logged out).
  page: async ({ page, consoleErrors }, use) => {
    watchConsole(page, consoleErrors)
    await use(page)
  },
  login: async ({ consoleErrors }, use) => {
    await use(async (page, user, to = '/') => {
      watchConsole(page, consoleErrors)
      await page.goto('/login?next=' + encodeURIComponent(to))
      await page.getByLabel('E-mail').fill(user.email)
      await page.getByLabel('Password').fill(user.password)
      await page.getByRole('button', { name: 'Log in' }).click()
      await expect(page).not.toHaveURL(/\/login/)
    })
  },
  newUserPage: async ({ browser, login, baseURL, consoleErrors }, use) => {
    const contexts: BrowserContext[] = []
    await use(async (user, to = '/', options = {}) => {
      const context = await browser.newContext({ baseURL, ...options })
      contexts.push(context)
      // Tabs the test opens later in this context are watched as well.
      context.on('page', (p) => watchConsole(p, consoleErrors))
      const page = await context.newPage()
      await login(page, user, to)
      return { context, page }
    })
    for (const c of contexts) await c.close().catch(() => {})
  },
  shot: async ({ backend }, use, testInfo) => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true })
    await use(async (page, name) => {
      const file = path.join(SCREENSHOTS, `${backend}-${testInfo.title.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}-${name}.png`)
      await page.screenshot({ path: file })
      await testInfo.attach(name, { path: file, contentType: 'image/png' })
    })
  }
})

const watched = new WeakSet<Page>()

/**
 * Console errors and warnings the app itself causes, once per page (network failures the tests
 * provoke on purpose are not counted: the browser reports them, not the app).
 */
function watchConsole (page: Page, errors: string[]): void {
  if (watched.has(page)) return
  watched.add(page)
  page.on('console', (msg) => {
    if (msg.type() !== 'error' && msg.type() !== 'warning') return
    const text = msg.text()
    if (/ERR_INTERNET_DISCONNECTED|net::ERR_|WebSocket connection to .* failed|Failed to load resource/.test(text)) return
    errors.push(`${msg.type()}: ${text}`)
  })
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`))
}

export { expect }
