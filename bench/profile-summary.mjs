// Summarises V8 CPU profiles (.cpuprofile, from --cpu-prof or the benchmarks' --cpu-prof <dir>): self time
// by package, the top functions by self time and by inclusive time.
//
//   node bench/profile-summary.mjs <dir> [top] [from-s] [to-s]
//
// from-s and to-s keep only the samples taken that many seconds after the profile started (the process
// start, with --cpu-prof): a benchmark's phase, e.g. the broadcasts after the subscribers connected.
import { readFileSync, readdirSync } from 'node:fs';
const dir = process.argv[2];
const top = Number(process.argv[3] ?? 40);
const fromUs = process.argv[4] === undefined ? -Infinity : Number(process.argv[4]) * 1e6;
const toUs = process.argv[5] === undefined ? Infinity : Number(process.argv[5]) * 1e6;
for (const f of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
  const p = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const counts = new Map();
  let at = 0;
  let total = 0;
  p.samples.forEach((s, i) => {
    at += p.timeDeltas[i];
    if (at < fromUs || at > toUs) return;
    counts.set(s, (counts.get(s) ?? 0) + 1);
    total += 1;
  });
  const self = new Map(), pkg = new Map(), incl = new Map();
  const key = (n) => `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/.*node_modules\//, '').replace(/.*\/work\/main\//, '')}:${n.callFrame.lineNumber}`;
  const pk = (n) => { const u = n.callFrame.url; const m = u.match(/node_modules\/((@[^/]+\/)?[^/]+)/); return m ? m[1] : u.includes('/dist/') ? 'app' : u ? 'node:' + u.split('/').pop() : n.callFrame.functionName; };
  for (const [id, c] of counts) {
    const n = byId.get(id);
    self.set(key(n), (self.get(key(n)) ?? 0) + c);
    pkg.set(pk(n), (pkg.get(pk(n)) ?? 0) + c);
    const seen = new Set();
    for (let x = id; x !== undefined; x = parent.get(x)) { const k = key(byId.get(x)); if (!seen.has(k)) { seen.add(k); incl.set(k, (incl.get(k) ?? 0) + c); } }
  }
  const show = (m, t) => { console.log(`-- ${t}`); [...m].sort((a, b) => b[1] - a[1]).slice(0, top).forEach(([k, v]) => console.log((100 * v / total).toFixed(1).padStart(5), k)); };
  console.log(`== ${f}: ${total} samples`);
  show(pkg, 'self by package'); show(self, 'self'); show(incl, 'inclusive');
}
