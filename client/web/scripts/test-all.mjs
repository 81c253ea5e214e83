#!/usr/bin/env node
// `npm test`: the API types' drift check, type-check, lint, unit tests, build, then the browser
// tests — in that order, stopping at the first failing step. The last line printed is one
// summary of all test counts in Vitest's format ("Tests  N failed | N passed (N)"), which
// scripts/test parses.
import { spawn } from 'node:child_process'
import { gzipSync } from 'node:zlib'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const results = path.join(root, 'test-results')
fs.mkdirSync(results, { recursive: true })
const bin = (name) => path.join(root, 'node_modules', '.bin', name)

function run (label, cmd, args) {
  console.log(`\n==> ${label}: ${path.basename(cmd)} ${args.join(' ')}`)
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', env: process.env })
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)))
    child.on('error', (e) => { console.error(e); resolve(1) })
  })
}

function readJson (file) {
  try { return JSON.parse(fs.readFileSync(file, 'utf8')) } catch { return null }
}

const counts = { passed: 0, failed: 0, skipped: 0 }
function summary (rc) {
  if (rc !== 0 && counts.failed === 0) counts.failed = 1
  const parts = []
  if (counts.failed) parts.push(`${counts.failed} failed`)
  parts.push(`${counts.passed} passed`)
  if (counts.skipped) parts.push(`${counts.skipped} skipped`)
  console.log(`\n      Tests  ${parts.join(' | ')} (${counts.passed + counts.failed + counts.skipped})`)
  process.exit(rc)
}

/** The JS a first visit loads (index.html's scripts and module preloads), gzipped, within budget. */
function firstLoadBudget () {
  const BUDGET = 300 * 1024
  const dist = path.join(root, 'dist')
  const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8')
  const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1])
  let total = 0
  for (const f of files) total += gzipSync(fs.readFileSync(path.join(dist, f))).length
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`
  console.log(`\n==> first-load JS: ${kb(total)} gzipped in ${files.length} file(s) (budget ${kb(BUDGET)}; the editor is a lazy chunk)`)
  if (!files.length || total > BUDGET) {
    console.error(files.length ? 'over the first-load budget' : 'no script found in dist/index.html')
    return 1
  }
  return 0
}

const only = process.argv[2] // optional: 'unit' or 'e2e' for quick local runs
let rc = 0
if (!only || only === 'unit') {
  // src/lib/api-types.ts must be what the server's OpenAPI document generates now (the binary:
  // $ATRIUM_BIN, which scripts/test sets to the one it built).
  rc = await run('API types up to date', process.execPath, ['scripts/gen-api.mjs', '--check'])
  if (rc) summary(rc)
  rc = await run('type-check', bin('tsc'), ['--noEmit', '-p', '.'])
  if (rc) summary(rc)
  rc = await run('lint', bin('eslint'), ['.'])
  if (rc) summary(rc)
  const unitJson = path.join(results, 'unit.json')
  fs.rmSync(unitJson, { force: true })
  rc = await run('unit tests', bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${unitJson}`])
  const unit = readJson(unitJson)
  if (unit) {
    counts.passed += unit.numPassedTests ?? 0
    counts.failed += unit.numFailedTests ?? 0
    counts.skipped += (unit.numPendingTests ?? 0) + (unit.numTodoTests ?? 0)
  }
  if (rc) summary(rc)
}
if (!only || only === 'e2e') {
  rc = await run('build', bin('vite'), ['build'])
  if (rc) summary(rc)
  rc = firstLoadBudget()
  if (rc) summary(rc)
  const e2eJson = path.join(results, 'e2e.json')
  fs.rmSync(e2eJson, { force: true })
  rc = await run('browser tests', bin('playwright'), ['test'])
  const e2e = readJson(e2eJson)
  if (e2e?.stats) {
    counts.passed += (e2e.stats.expected ?? 0) + (e2e.stats.flaky ?? 0)
    counts.failed += e2e.stats.unexpected ?? 0
    counts.skipped += e2e.stats.skipped ?? 0
  }
}
summary(rc)
