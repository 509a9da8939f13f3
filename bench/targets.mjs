// The engine targets: which figures of the suite the coming engine work must reach, checked
// against one run's medians. bench/run.mjs puts the table at the top of its report.
//
// A target compares a figure of ours with a reference figure of the same run (a ratio that must
// be at least `min`, or at most `max` where lower is better) or with a fixed bound; 'report' rows
// show a ratio without a mark.

const TARGET_IDLE_CONNECTIONS = 10_000

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`
const msgs = (x) => `${Math.round(x).toLocaleString('en-US')} msg/s`
const micros = (x) => `${x.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })} µs`

/**
 * The target list for `workloads` (the echo workloads of the suite, { id, connections, label })
 * and `idleConnections` (the connection count the idle figures were measured with).
 */
export function engineTargets(workloads, idleConnections) {
  const at = (w) => `${w.connections} × ${w.label}`
  const targets = []
  for (const w of workloads) {
    targets.push({ title: `message API ≥ 1.0× uWS, echo pinned ${at(w)}`, ours: `echo:pinned:poco-message:${w.id}`, ref: `echo:pinned:uws:${w.id}`, min: 1.0, format: msgs })
  }
  for (const w of workloads) {
    targets.push({ title: `frame API ≥ 1.0× ws, echo pinned ${at(w)}`, ours: `echo:pinned:poco-frame:${w.id}`, ref: `echo:pinned:ws:${w.id}`, min: 1.0, format: msgs })
  }
  targets.push({ title: 'frame API ≥ 0.5× uWS, echo pinned 64 × 32 B', ours: 'echo:pinned:poco-frame:64x32B', ref: 'echo:pinned:uws:64x32B', min: 0.5, format: msgs })
  for (const [name, field] of [['p50', 'p50_us'], ['p99', 'p99_us']]) {
    targets.push({ title: `message API latency ${name} ≤ uWS (pinned)`, ours: 'latency:pinned:poco-message', ref: 'latency:pinned:uws', pick: (v) => v[field], max: 1.0, format: micros })
  }
  const idleNote = idleConnections === TARGET_IDLE_CONNECTIONS ? '' : ` (measured at ${idleConnections.toLocaleString('en-US')} connections)`
  targets.push({ title: `message API idle RSS ≤ 1 KiB per connection at 10,000${idleNote}`, ours: 'idle:poco-message', pick: (v) => v.perConnBytes, bound: 1024, format: kib })
  targets.push({ title: `frame API idle RSS ≤ 2 KiB per connection at 10,000${idleNote}`, ours: 'idle:poco-frame', pick: (v) => v.perConnBytes, bound: 2048, format: kib })
  for (const id of ['64x1KiB', '64x64KiB']) {
    const w = workloads.find((x) => x.id === id)
    targets.push({ title: `message API ≥ 1.3× uWS, echo unpinned ${at(w)}`, ours: `echo:unpinned:poco-message:${id}`, ref: `echo:unpinned:uws:${id}`, min: 1.3, format: msgs })
  }
  for (const w of workloads) {
    const min = w.id === '64x32B' ? 5.0 : 1.0
    targets.push({ title: `message API client ≥ ${min.toFixed(1)}× ws client, ${at(w)}`, ours: `client:poco-message:${w.id}`, ref: `client:ws:${w.id}`, min, format: msgs })
  }
  targets.push({ title: 'message API ≥ 1.0× Bun, echo pinned 64 × 32 B', ours: 'echo:pinned:poco-message:64x32B', ref: 'echo:pinned:bun:64x32B', min: 1.0, format: msgs })
  for (const w of workloads.filter((x) => x.id !== '64x32B')) {
    targets.push({ title: `message API vs Bun, echo pinned ${at(w)}`, ours: `echo:pinned:poco-message:${w.id}`, ref: `echo:pinned:bun:${w.id}`, format: msgs })
  }
  return targets
}

/**
 * One table row per target: [title, ours, reference, ratio, result]. `get(key, pick)` returns
 * { value } for a measured median, or { missing } with the reason it has none.
 */
export function evaluateTargets(targets, get) {
  return targets.map((t) => {
    const ours = get(t.ours, t.pick)
    const ref = t.ref ? get(t.ref, t.pick) : { value: t.bound }
    const oursText = ours.missing ?? t.format(ours.value)
    const refText = t.ref ? (ref.missing ?? t.format(ref.value)) : `≤ ${t.format(t.bound)}`
    const missing = ours.missing ?? ref.missing
    if (missing) return [t.title, oursText, refText, '–', missing === 'not measured' ? 'not measured' : `not measured (${missing})`]
    const ratio = ref.value > 0 ? ours.value / ref.value : Infinity
    const ratioText = Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '–'
    let result
    if (t.min !== undefined) result = ratio >= t.min ? '✓ pass' : `✗ miss (needs ≥ ${t.min.toFixed(2)}×)`
    else if (t.max !== undefined) result = ratio <= t.max ? '✓ pass' : `✗ miss (needs ≤ ${t.max.toFixed(2)}×)`
    else if (t.bound !== undefined) result = ours.value <= t.bound ? '✓ pass' : '✗ miss'
    else result = 'report'
    return [t.title, oursText, refText, ratioText, result]
  })
}
