import { defineConfig } from '@playwright/test'

// Every test runs on SQLite, and on PostgreSQL too when scripts/test provides one.
const backends = ['sqlite', ...(process.env.ATRIUM_TEST_PG_URL ? ['postgres'] : [])]

export default defineConfig<object, { backend: string }>({
  testDir: 'e2e',
  testMatch: '*.spec.ts',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: Number(process.env.ATRIUM_E2E_WORKERS || 1),
  retries: 0,
  outputDir: 'test-results/artifacts',
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e.json' }]],
  use: {
    headless: true,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
    }
  },
  projects: backends.map((backend) => ({ name: backend, use: { backend } }))
})
