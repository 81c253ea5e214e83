import { defineConfig } from 'vitest/config'

// The server serves dist/ (ATRIUM_WEB_DIR / --web-dir); `npm run dev` proxies the API to a
// server on ATRIUM_DEV_API (default http://127.0.0.1:8080).
const api = process.env.ATRIUM_DEV_API || 'http://127.0.0.1:8080'

export default defineConfig({
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' }
  },
  build: {
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1200
  },
  server: {
    proxy: {
      '/api/v1/events': { target: api, ws: true },
      '/api': api,
      '/collab': { target: api, ws: true }
    }
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node'
  }
})
