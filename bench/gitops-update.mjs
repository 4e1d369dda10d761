// gitops-update benchmark: the bundle (dist/gitops-update/index.js, run the way the runner runs
// it, mode none) writes a new tag@digest into 500 multi-document Kubernetes manifests holding
// 5,000 image references, 50 of them the target, against Debian's `yq` (the Python jq wrapper,
// `yq -i -y`, one process over all files) doing the same edit in the same run. Both start from
// the same files; each result is checked to hold the same data (parsed), and the lines each
// changed are counted: ours must change exactly one line per target reference.
// Build the bundle first: node scripts/build.mjs gitops-update
// Usage: node bench/gitops-update.mjs [--files 500] [--refs 5000] [--targets 50] [--runs 3]
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { arg, benchWorkspace } from './lib.mjs';

const root = new URL('..', import.meta.url).pathname;
const FILES = arg('files', 500);
const REFS = arg('refs', 5000);
const TARGETS = arg('targets', 50);
const RUNS = arg('runs', 3);
const bundle = join(root, 'dist/gitops-update/index.js');
if (!existsSync(bundle)) {
  console.error(`${bundle} is missing: build it with node scripts/build.mjs gitops-update`);
  process.exit(1);
}
const yqVersion = spawnSync('yq', ['--version'], { encoding: 'utf8' });
if (yqVersion.status !== 0) {
  console.error("yq is not on PATH (Debian package yq, the jq wrapper: 'yq -i -y')");
  process.exit(1);
}

const bench = benchWorkspace('bench-gitops-');
const { work } = bench;
const TARGET = 'ghcr.io/acme/app';
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const NEW = `${TARGET}:1.5.0@${DIGEST}`;

// Files as people write them: comments, quoted and plain values, blank lines, two documents.
function manifest(i, refs, targets) {
  const lines = [`# service ${i}`, 'apiVersion: apps/v1', 'kind: Deployment', 'metadata:', `  name: svc-${i}`];
  lines.push('  labels: {app: "svc", tier: backend}', 'spec:', '  replicas: 2', '  template:', '    spec:');
  lines.push('      containers:');
  const half = Math.ceil(refs / 2);
  let t = targets;
  const ref = (k) => {
    if (t > 0) {
      t--;
      return k % 2 ? `"${TARGET}:1.4.${k}"` : `${TARGET}:1.4.${k}`;
    }
    return k % 3 === 0 ? `"quay.io/other/img-${i}-${k}:1.10"` : `docker.io/library/nginx:1.27.${k}`;
  };
  for (let k = 0; k < half; k++) {
    lines.push(
      `      - name: c${k}`,
      `        image: ${ref(k)}  # pinned by CI`,
      '        ports:',
      '        - containerPort: 8080',
    );
  }
  lines.push('', '---', 'apiVersion: batch/v1', 'kind: CronJob', 'metadata:', `  name: job-${i}`, 'spec:');
  lines.push("  schedule: '0 3 * * *'", '  jobTemplate:', '    spec:', '      template:', '        spec:');
  lines.push('          containers:');
  for (let k = half; k < refs; k++) lines.push(`          - {name: j${k}, image: ${ref(k)}, args: ["--once"]}`);
  lines.push('          restartPolicy: OnFailure', '');
  return lines.join('\n');
}

const original = join(work, 'original');
mkdirSync(join(original, 'deploy'), { recursive: true });
const perFile = Math.floor(REFS / FILES);
const every = Math.floor(FILES / TARGETS);
let targetsWritten = 0;
for (let i = 0; i < FILES; i++) {
  const targets = i % every === 0 && targetsWritten < TARGETS ? 1 : 0;
  targetsWritten += targets;
  writeFileSync(join(original, 'deploy', `svc-${i}.yaml`), manifest(i, perFile, targets));
}
const files = readdirSync(join(original, 'deploy')).map((f) => `deploy/${f}`);

function fresh(name) {
  const dir = join(work, name);
  cpSync(original, dir, { recursive: true });
  return dir;
}

function ours(dir) {
  const env = {
    PATH: process.env.PATH,
    HOME: work,
    GITHUB_WORKSPACE: dir,
    RUNNER_TEMP: work,
    GITHUB_REPOSITORY: 'acme/deploy',
    INPUT_IMAGE: TARGET,
    INPUT_TAG: '1.5.0',
    INPUT_DIGEST: DIGEST,
    INPUT_FILES: 'deploy/**/*.yaml',
    INPUT_MODE: 'none',
  };
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [bundle], { cwd: dir, env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`gitops-update failed: ${r.stdout}\n${r.stderr}`);
  return ms;
}

const yqFilter = `(.. | objects | select(has("image")) | .image) |= (if type == "string" and test("^ghcr\\\\.io/acme/app(:|@|$)") then "${NEW}" else . end)`;
function yq(dir) {
  const started = process.hrtime.bigint();
  const r = spawnSync('yq', ['-i', '-y', yqFilter, ...files.map((f) => join(dir, f))], { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`yq failed: ${r.stderr}`);
  return ms;
}

function changedLines(dir) {
  let changed = 0;
  for (const f of files) {
    const r = spawnSync(
      'diff',
      ['--unchanged-line-format=', '--old-line-format=%L', '--new-line-format=', join(original, f), join(dir, f)],
      {
        encoding: 'utf8',
      },
    );
    changed += r.stdout === '' ? 0 : r.stdout.split('\n').length - 1;
  }
  return changed;
}

const data = (dir) => files.map((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS()));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const oursMs = [];
const yqMs = [];
let oursDir;
let yqDir;
for (let run = 0; run < RUNS; run++) {
  oursDir = fresh(`ours-${run}`);
  oursMs.push(ours(oursDir));
  yqDir = fresh(`yq-${run}`);
  yqMs.push(yq(yqDir));
}

const oursChanged = changedLines(oursDir);
const yqChanged = changedLines(yqDir);
const sameData = isDeepStrictEqual(data(oursDir), data(yqDir));
const totalLines = files.reduce((n, f) => n + readFileSync(join(original, f), 'utf8').split('\n').length - 1, 0);
const secondRun = fresh('second');
ours(secondRun);
const before = files.map((f) => readFileSync(join(secondRun, f), 'utf8'));
ours(secondRun);
const noop = files.every((f, i) => readFileSync(join(secondRun, f), 'utf8') === before[i]);

const o = median(oursMs);
const y = median(yqMs);
console.log(
  `gitops-update benchmark: ${FILES} files (${totalLines} lines), ${FILES * perFile} image references, ${targetsWritten} of them ${TARGET}; median of ${RUNS} runs`,
);
console.log(`  gitops-update bundle (mode none)  ${o.toFixed(0)} ms   changed lines: ${oursChanged}`);
console.log(`  yq -i -y (Debian, jq wrapper)     ${y.toFixed(0)} ms   changed lines: ${yqChanged}`);
console.log(`  ratio yq / gitops-update: ${(y / o).toFixed(2)}x`);
console.log(
  `  same data after both edits: ${sameData ? 'yes' : 'NO'}; second gitops-update run a no-op: ${noop ? 'yes' : 'NO'}`,
);
const ok = oursChanged === targetsWritten && sameData && noop;
console.log(ok ? `OK: changed lines = target references (${targetsWritten})` : 'FAILED: see above');
await bench.finish(ok ? 0 : 1);
