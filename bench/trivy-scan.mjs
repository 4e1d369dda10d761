// trivy-scan benchmark, every figure a ratio against a peer measured in the same run:
//   (1) parse + gate + summary of the largest recorded Trivy report (shared/fixtures/trivy),
//       in a fresh node process, against `node -e 0`;
//   (2) fetching a Trivy database artifact (one layer of --db-mb, Trivy's media types) from a
//       local registry with our registry client, unpacked into a cache folder as the action does,
//       against `oras pull` of the same artifact (download only, no unpacking) (goal <= 1.0x),
//       and against `oras pull` followed by `tar -xzf` (the same work as ours).
// oras comes from Debian trixie (scripts/install-sigstore-tools.sh, run by install-deps.sh; ORAS=<path> to use another). The
// TypeScript sources are transpiled into a temporary folder (no type-check) and run as ESM.
// Usage: node bench/trivy-scan.mjs [--runs 15] [--db-runs 5] [--db-mb 50]
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { arg, benchWorkspace, startRegistry } from './lib.mjs';

const root = new URL('..', import.meta.url).pathname;
const RUNS = arg('runs', 15);
const DB_RUNS = arg('db-runs', 5);
const DB_MB = arg('db-mb', 50);
const bench = benchWorkspace('bench-trivy-scan-');
const { work, finish } = bench;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
function timed(cmd, args, env = {}) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  return { ms, stdout: r.stdout };
}

// 1. The sources as plain ESM.
const lib = join(work, 'lib');
function transpileTree(src, dst) {
  for (const entry of readdirSync(src, { withFileTypes: true })) {
    const from = join(src, entry.name);
    if (entry.isDirectory()) transpileTree(from, join(dst, entry.name));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      const { outputText } = ts.transpileModule(readFileSync(from, 'utf8'), {
        fileName: from,
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      mkdirSync(dst, { recursive: true });
      writeFileSync(join(dst, entry.name.replace(/\.ts$/, '.js')), outputText);
    }
  }
}
transpileTree(join(root, 'shared/src'), join(lib, 'shared/src'));
transpileTree(join(root, 'actions/trivy-scan/src'), join(lib, 'actions/trivy-scan/src'));
writeFileSync(
  join(lib, 'package.json'),
  JSON.stringify({ type: 'module', imports: { '#shared/*': './shared/src/*' } }),
);
symlinkSync(join(root, 'node_modules'), join(lib, 'node_modules'));

// (1) parse + gate + summary
const fixtures = join(root, '../shared/fixtures/trivy');
const largest = readdirSync(fixtures)
  .filter((f) => f.endsWith('.json'))
  .map((f) => join(fixtures, f))
  .sort((a, b) => statSync(b).size - statSync(a).size)[0];
writeFileSync(
  join(lib, 'gate-worker.mjs'),
  `import { readFileSync } from 'node:fs';
import { parseTrivyReport } from './shared/src/trivy/report.js';
import { writeSummary } from './shared/src/action/summary.js';
import { evaluateGate } from './actions/trivy-scan/src/gate.js';
import { parseExemptions } from './actions/trivy-scan/src/exemptions.js';
import { writeScanSummary } from './actions/trivy-scan/src/summary.js';
const file = process.argv[2];
const report = parseTrivyReport(readFileSync(file, 'utf8'), file);
const limits = { CRITICAL: 0, HIGH: 5 };
const now = new Date();
const gate = evaluateGate(report, { severities: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'], limits, ignoreUnfixed: true,
  exemptions: parseExemptions(['CVE-2025-14104 until 2099-01-01 reason bench']), now });
writeScanSummary({ scanned: 'bench', report, gate, limits, policy: 'warn', dbUpdatedAt: now, now });
await writeSummary();
process.stdout.write(JSON.stringify({ vulnerabilities: report.vulnerabilities.length, counted: gate.counted.length }));
`,
);
const summaryFile = join(work, 'summary.md');
const bare = [];
const ours = [];
let shape;
for (let i = 0; i < RUNS; i++) {
  bare.push(timed(process.execPath, ['-e', '0']).ms);
  writeFileSync(summaryFile, '');
  const r = timed(process.execPath, [join(lib, 'gate-worker.mjs'), largest], { GITHUB_STEP_SUMMARY: summaryFile });
  ours.push(r.ms);
  shape = JSON.parse(r.stdout);
}
const b = median(bare);
const o = median(ours);
console.log(
  `(1) parse + gate + summary of ${largest.split('/').at(-1)} (${(statSync(largest).size / 1e6).toFixed(2)} MB, ${shape.vulnerabilities} findings): ` +
    `${o.toFixed(0)} ms vs node -e 0 ${b.toFixed(0)} ms = ${(o / b).toFixed(2)}x (median of ${RUNS})`,
);

// (2) database fetch vs oras pull
const orasCandidates = [process.env.ORAS, join(root, '.tools/sigstore/usr/bin/oras'), '/usr/bin/oras'].filter(Boolean);
const oras = orasCandidates.find((p) => existsSync(p));
if (!oras) {
  console.log('(2) skipped: no oras (run scripts/install-sigstore-tools.sh, or set ORAS=<path>)');
  await finish(0);
}
const registry = await startRegistry(bench);
const dbDir = join(work, 'db-src');
mkdirSync(dbDir);
writeFileSync(join(dbDir, 'trivy.db'), randomBytes(DB_MB * 1024 * 1024));
writeFileSync(join(dbDir, 'metadata.json'), JSON.stringify({ Version: 2, UpdatedAt: new Date().toISOString() }));
spawnSync('tar', ['-czf', join(dbDir, 'db.tar.gz'), '-C', dbDir, 'trivy.db', 'metadata.json']);
const layer = readFileSync(join(dbDir, 'db.tar.gz'));
writeFileSync(
  join(lib, 'push-worker.mjs'),
  `import { readFileSync } from 'node:fs';
import { RegistryClient } from './shared/src/oci/client.js';
const [host, file] = process.argv.slice(2);
const c = new RegistryClient({ credentials: async () => undefined });
const repo = { registry: host, repository: 'aquasecurity/trivy-db' };
const cfg = await c.pushBlobBytes(repo, Buffer.from('{}'));
const l = await c.pushBlobBytes(repo, readFileSync(file));
const m = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.aquasec.trivy.config.v1+json', digest: cfg.digest, size: cfg.size },
  layers: [{ mediaType: 'application/vnd.aquasec.trivy.db.layer.v1.tar+gzip', digest: l.digest, size: l.size,
    annotations: { 'org.opencontainers.image.title': 'db.tar.gz' } }] };
const r = await c.putManifest(repo, '2', Buffer.from(JSON.stringify(m)), m.mediaType);
await c.close();
process.stdout.write(r.digest);
`,
);
const dbDigest = timed(process.execPath, [
  join(lib, 'push-worker.mjs'),
  registry.host,
  join(dbDir, 'db.tar.gz'),
]).stdout;
writeFileSync(
  join(lib, 'fetch-worker.mjs'),
  `import { RegistryClient } from './shared/src/oci/client.js';
import { parseReference } from './shared/src/oci/reference.js';
import { downloadDb, resolveDb, TRIVY_DB } from './shared/src/trivy/db.js';
const [ref, cacheDir] = process.argv.slice(2);
const client = new RegistryClient({ credentials: async () => undefined });
const sources = [parseReference(ref)];
const resolved = await resolveDb({ last: client }, sources, TRIVY_DB);
await downloadDb({ last: client }, sources, resolved, cacheDir, TRIVY_DB);
await client.close();
process.stdout.write(resolved.digest);
`,
);
const ref = `${registry.host}/aquasecurity/trivy-db:2`;
const oursDb = [];
const orasDb = [];
const orasTarDb = [];
const want = createHash('sha256')
  .update(readFileSync(join(dbDir, 'trivy.db')))
  .digest('hex');
for (let i = 0; i < DB_RUNS; i++) {
  const cacheDir = join(work, `cache-${i}`);
  const r = timed(process.execPath, [join(lib, 'fetch-worker.mjs'), ref, cacheDir]);
  if (r.stdout !== dbDigest) throw new Error(`fetched ${r.stdout}, pushed ${dbDigest}`);
  const got = createHash('sha256')
    .update(readFileSync(join(cacheDir, 'db', 'trivy.db')))
    .digest('hex');
  if (got !== want) throw new Error('the unpacked trivy.db differs from the one pushed');
  oursDb.push(r.ms);
  rmSync(cacheDir, { recursive: true });
  const out = join(work, `oras-${i}`);
  orasDb.push(timed(oras, ['pull', '--plain-http', '--no-tty', '-o', out, ref]).ms);
  if (statSync(join(out, 'db.tar.gz')).size !== layer.length) throw new Error('oras pulled something else');
  rmSync(out, { recursive: true });
  // the same work as ours: pull, then unpack
  const out2 = join(work, `oras-tar-${i}`);
  orasTarDb.push(
    timed('sh', [
      '-c',
      `"$0" pull --plain-http --no-tty -o "$1" "$2" >/dev/null && tar -xzf "$1/db.tar.gz" -C "$1"`,
      oras,
      out2,
      ref,
    ]).ms,
  );
  rmSync(out2, { recursive: true });
}
const od = median(oursDb);
const rd = median(orasDb);
const rt = median(orasTarDb);
console.log(
  `(2) database fetch of ${(layer.length / 1e6).toFixed(1)} MB: ours (fetch + unpack) ${od.toFixed(0)} ms vs oras pull (download only) ${rd.toFixed(0)} ms = ${(od / rd).toFixed(2)}x; ` +
    `vs oras pull + tar -xzf (the same work) ${rt.toFixed(0)} ms = ${(od / rt).toFixed(2)}x (median of ${DB_RUNS})`,
);
await finish(0);
