// The Autobahn runner's results (see run.mjs): reads wstest's index.json per role, compares each
// agent with its expected file, prints and writes the summary, and records expected files.
//
// An agent is one API in one role: { key: 'server-frame', role, api, agent: 'poco-frame', exclude }.
// Its expected file is scripts/autobahn/expected/<key>.json: a header (agent, role, api, wstest,
// excluded) and "cases", one line per case: { "behavior": …, "behaviorClose": … }.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = path.dirname(fileURLToPath(import.meta.url))
export const ROOT = path.resolve(HERE, '../..')
export const REPORTS = path.join(ROOT, '.autobahn', 'reports')
export const EXPECTED_DIR = path.join(HERE, 'expected')
const WSTEST = 'AutobahnTestSuite 0.8.2'

export const expectedFile = (agent) => path.join(EXPECTED_DIR, `${agent.key}.json`)
const relative = (file) => path.relative(ROOT, file)

// A verdict worse than the expected one is a regression. Anything not listed ranks 0 (FAILED,
// WRONG CODE, UNCLEAN, …).
const RANK = { OK: 2, INFORMATIONAL: 2, UNIMPLEMENTED: 2, 'NON-STRICT': 1 }
const rank = (verdict) => RANK[verdict] ?? 0
/** The summary table's columns; other verdicts are counted under "other". */
const COLUMNS = ['OK', 'NON-STRICT', 'INFORMATIONAL', 'UNIMPLEMENTED', 'FAILED']

function caseOrder(a, b) {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? -1) - (pb[i] ?? -1)
    if (d !== 0) return d
  }
  return 0
}

/** The agent's cases from its role's index.json, in case order; null when it has none. */
export function readResults(agent) {
  const file = path.join(REPORTS, agent.role, 'index.json')
  if (!fs.existsSync(file)) return null
  const cases = JSON.parse(fs.readFileSync(file, 'utf8'))[agent.agent]
  if (!cases) return null
  const results = {}
  for (const id of Object.keys(cases).sort(caseOrder)) {
    const { behavior, behaviorClose, remoteCloseCode, duration, reportfile } = cases[id]
    results[id] = { behavior, behaviorClose, remoteCloseCode, duration, reportfile }
  }
  return results
}

function readExpected(agent) {
  const file = expectedFile(agent)
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null
}

function countVerdicts(results) {
  const counts = { behavior: {}, behaviorClose: {} }
  for (const r of Object.values(results)) {
    counts.behavior[r.behavior] = (counts.behavior[r.behavior] ?? 0) + 1
    counts.behaviorClose[r.behaviorClose] = (counts.behaviorClose[r.behaviorClose] ?? 0) + 1
  }
  return counts
}

const describeAgent = (agent) => `${agent.role} role, ${agent.api} API (agent ${agent.agent})`

/**
 * Compares every agent with its expected file; prints the details and a table, writes
 * .autobahn/reports/summary.{json,txt}. Returns the agents without an expected file and the
 * regressions (a verdict worse than expected, or an expected case missing).
 */
export function compare(agents, actualByKey) {
  const summary = { wstest: WSTEST, date: new Date().toISOString(), agents: {} }
  const lines = []
  const rows = []
  const regressions = []
  const improvements = []
  const changes = []
  const withoutExpected = []
  for (const agent of agents) {
    const actual = actualByKey[agent.key]
    const expected = readExpected(agent)
    const want = expected?.cases ?? null
    if (!expected) withoutExpected.push(agent)
    const entry = { role: agent.role, api: agent.api, agent: agent.agent, excluded: agent.exclude, cases: 0, counts: null, notOk: [] }
    summary.agents[agent.key] = entry
    const before = regressions.length
    const improvedBefore = improvements.length
    if (!actual) {
      lines.push(`${describeAgent(agent)}: no report (no "${agent.agent}" in .autobahn/reports/${agent.role}/index.json)`)
      if (want) regressions.push(`${agent.key}: no report at all (${Object.keys(want).length} cases expected)`)
    } else {
      entry.cases = Object.keys(actual).length
      entry.counts = countVerdicts(actual)
      const fmt = (counts) => Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')
      lines.push(`${describeAgent(agent)}, ${entry.cases} cases, excluded: ${agent.exclude.join(', ') || 'none'}:`)
      lines.push(`  behavior:      ${fmt(entry.counts.behavior)}`)
      lines.push(`  behaviorClose: ${fmt(entry.counts.behaviorClose)}`)
      for (const [id, r] of Object.entries(actual)) {
        if (r.behavior === 'OK' && r.behaviorClose === 'OK') continue
        entry.notOk.push({ id, behavior: r.behavior, behaviorClose: r.behaviorClose, remoteCloseCode: r.remoteCloseCode })
        lines.push(`  not OK: ${id.padEnd(8)} behavior ${r.behavior}, behaviorClose ${r.behaviorClose} (remoteCloseCode ${r.remoteCloseCode}) ${agent.role}/${r.reportfile}`)
      }
    }
    if (want) {
      if (expected.excluded?.join() !== agent.exclude.join()) {
        changes.push(`${agent.key}: excluded ${agent.exclude.join(', ') || 'none'}, the expected file was recorded with ${expected.excluded?.join(', ') || 'none'}`)
      }
      for (const id of Object.keys(want).sort(caseOrder)) {
        if (!actual) break
        const w = want[id]
        const a = actual[id]
        if (!a) {
          regressions.push(`${agent.key} ${id}: missing (expected ${w.behavior}/${w.behaviorClose})`)
          continue
        }
        for (const key of ['behavior', 'behaviorClose']) {
          const d = rank(a[key]) - rank(w[key])
          const text = `${agent.key} ${id} ${key}: ${w[key]} → ${a[key]}`
          if (d < 0) regressions.push(text)
          else if (d > 0) improvements.push(text)
          else if (a[key] !== w[key]) changes.push(text)
        }
      }
      for (const id of Object.keys(actual ?? {})) {
        if (!want[id]) changes.push(`${agent.key} ${id}: new case, not in ${relative(expectedFile(agent))} (${actual[id].behavior}/${actual[id].behaviorClose})`)
      }
    }
    const worse = regressions.length - before
    const better = improvements.length - improvedBefore
    entry.versusExpected = !want ? 'no expected file' : !actual ? 'no report' : worse > 0 ? `${worse} worse` : better > 0 ? `none worse, ${better} better` : 'as expected'
    rows.push(tableRow(agent, entry))
  }
  lines.push('', ...table(rows))
  summary.regressions = regressions
  summary.improvements = improvements
  summary.changes = changes
  fs.mkdirSync(REPORTS, { recursive: true })
  fs.writeFileSync(path.join(REPORTS, 'summary.json'), JSON.stringify(summary, null, 2) + '\n')
  fs.writeFileSync(path.join(REPORTS, 'summary.txt'), lines.join('\n') + '\n')
  console.log(lines.join('\n'))
  for (const text of improvements) console.log(`IMPROVED  ${text}`)
  for (const text of changes) console.log(`CHANGED   ${text}`)
  for (const text of regressions) console.log(`REGRESSED ${text}`)
  return { withoutExpected, regressions }
}

/** One agent's line of the summary table: behavior counts, then behaviorClose verdicts not OK. */
function tableRow(agent, entry) {
  const behavior = entry.counts?.behavior ?? {}
  const other = Object.entries(behavior).filter(([verdict]) => !COLUMNS.includes(verdict)).reduce((sum, [, n]) => sum + n, 0)
  const closeNotOk = Object.entries(entry.counts?.behaviorClose ?? {}).filter(([verdict]) => verdict !== 'OK' && verdict !== 'INFORMATIONAL').reduce((sum, [, n]) => sum + n, 0)
  const counts = entry.counts ? [entry.cases, ...COLUMNS.map((c) => behavior[c] ?? 0), other, closeNotOk] : Array(COLUMNS.length + 3).fill('-')
  return [agent.role, agent.agent, ...counts, entry.versusExpected]
}

function table(rows) {
  const header = ['role', 'agent', 'cases', ...COLUMNS, 'other', 'close not OK', 'vs expected']
  const all = [header, ...rows].map((row) => row.map(String))
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i].length)))
  // Names and the last column left-aligned, numbers right-aligned.
  const textColumn = (i) => i < 2 || i === header.length - 1
  return all.map((row) => row.map((cell, i) => (textColumn(i) ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd())
}

/**
 * Records every agent's results as its expected file. With `merge`, a case keeps the worse of its
 * recorded and its new verdict (repeated runs record timing-dependent cases at their worst).
 * Throws, writing nothing, when an agent has no report or one API's two roles ran different cases.
 */
export function writeExpected(agents, actualByKey, { merge }) {
  for (const agent of agents) {
    const actual = actualByKey[agent.key]
    if (!actual || Object.keys(actual).length === 0) throw new Error(`${agent.key} produced no report; no expected file written`)
  }
  for (const agent of agents) {
    const other = agents.find((a) => a.api === agent.api && a.role !== agent.role)
    if (other && Object.keys(actualByKey[agent.key]).join() !== Object.keys(actualByKey[other.key]).join()) {
      throw new Error(`the ${agent.api} API ran different cases in the two roles; no expected file written`)
    }
  }
  fs.mkdirSync(EXPECTED_DIR, { recursive: true })
  for (const agent of agents) {
    const previous = merge ? readExpected(agent)?.cases ?? {} : {}
    const cases = {}
    for (const [id, r] of Object.entries(actualByKey[agent.key])) {
      const old = previous[id]
      const pick = (key) => (old && rank(old[key]) < rank(r[key]) ? old[key] : r[key])
      cases[id] = { behavior: pick('behavior'), behaviorClose: pick('behaviorClose') }
    }
    const header = { agent: agent.agent, role: agent.role, api: agent.api, wstest: WSTEST, excluded: agent.exclude }
    fs.writeFileSync(expectedFile(agent), formatExpected(header, cases))
    console.log(`${merge ? 'merged this run into' : 'wrote'} ${relative(expectedFile(agent))} (${Object.keys(cases).length} cases)`)
  }
}

/** JSON with one line per case, so that a changed verdict is a one-line diff. */
function formatExpected(header, cases) {
  const ids = Object.keys(cases)
  return [
    '{',
    ...Object.entries(header).map(([key, value]) => ` ${JSON.stringify(key)}: ${JSON.stringify(value)},`),
    ' "cases": {',
    ...ids.map((id, i) => `  ${JSON.stringify(id)}: ${JSON.stringify(cases[id])}${i < ids.length - 1 ? ',' : ''}`),
    ' }',
    '}',
    '',
  ].join('\n')
}
