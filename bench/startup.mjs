// Start-up benchmark: for each bundle, the median wall time of a minimal valid run (start to
// exit, through the runner protocol) divided by bare `node -e 0`, measured alternately in the
// same run so that machine noise hits both alike. The actions that need a registry for a valid
// run (build-push merge, promote, retention-cleanup dry run) get a throwaway distribution
// registry on 127.0.0.1 holding one small image.
// Usage: npm run bench [-- runs]   (node --import ./scripts/ts-register.mjs bench/startup.mjs)
// BENCH_BASELINE_DIST=<a dist folder of another build> (e.g. `git archive main dist | tar -x -C
// /tmp/base`, then /tmp/base/dist) measures those bundles too, alternately in the same run, so a
// change's effect on start-up is read as the difference of two ratios taken under the same load.
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopProcess, which } from '../test/stack/processes.js';
import { startRegistry } from '../test/stack/registry.js';

const root = new URL('..', import.meta.url).pathname;
const runs = Number(process.argv[2] ?? 21);
const dir = mkdtempSync(join(tmpdir(), 'bench-startup-'));
const event = join(dir, 'event.json');
writeFileSync(
  event,
  JSON.stringify({
    ref: 'refs/heads/main',
    head_commit: { id: '860c1904a1ce19322e91ac35af1ab07466440c37', timestamp: '2026-11-20T10:00:00Z' },
    repository: { name: 'app', full_name: 'name/app', html_url: 'https://github.com/name/app', default_branch: 'main' },
  }),
);

const registryBin = which('docker-registry');
if (!registryBin) {
  console.error('docker-registry is not installed (Debian package docker-registry): bash scripts/install-deps.sh');
  process.exit(1);
}
const registry = await startRegistry(registryBin, 'bench', join(dir, 'registry'), { kind: 'none' });
const host = registry.endpoint.host;

/** Pushes a one-layer image (random content) and returns its manifest digest. */
async function pushImage(repo, tag) {
  const sha = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const put = async (path, body, type) => {
    const res = await fetch(`http://${host}/v2/${repo}/${path}`, {
      method: 'PUT',
      body,
      headers: { 'content-type': type },
    });
    if (res.status !== 201) throw new Error(`PUT ${path}: HTTP ${res.status}`);
  };
  const blob = async (bytes) => {
    const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    const location = new URL(start.headers.get('location'), `http://${host}`);
    location.searchParams.set('digest', sha(bytes));
    const res = await fetch(location, {
      method: 'PUT',
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    if (res.status !== 201) throw new Error(`blob upload: HTTP ${res.status}`);
    return { digest: sha(bytes), size: bytes.length };
  };
  const layer = await blob(randomBytes(4096));
  const config = await blob(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        created: '2026-11-01T00:00:00Z',
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
        config: {},
      }),
    ),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
    }),
  );
  await put(`manifests/${tag}`, manifest, 'application/vnd.oci.image.manifest.v1+json');
  return sha(manifest);
}

const digest = await pushImage('bench/app', '1.0.0');
await pushImage('bench/app', 'sha-0000001');

// A minimal valid run of each action: inputs that make it do its real work, against 127.0.0.1 only.
const cases = {
  'compute-tags': { inputs: { images: 'name/app' } },
  'registry-login': {
    inputs: { registry: '127.0.0.1:5999', username: 'u', password: 'p', verify: 'none', logout: 'true' },
  },
  // merging one pushed digest into an index: reads the image, writes the index and its tag
  'build-push': { inputs: { merge: `${host}/bench/app@${digest}`, tags: `${host}/bench/merged:1` } },
  // promoting by digest to a tag: the first run copies, the others find the tag already there
  promote: { inputs: { source: `${host}/bench/app@${digest}`, targets: `${host}/bench/app-prod:1.0.0` } },
  'retention-cleanup': { inputs: { repositories: `${host}/bench/app`, 'dry-run': 'true' } },
  // editing one manifest in the workspace: the first run writes it, the others find it up to date
  'gitops-update': { inputs: { image: 'ghcr.io/name/app', tag: '1.0.1', files: 'deploy/*.yaml', mode: 'none' } },
  // signing by key with an SBOM attestation (cosign key: scrypt included); later runs find both already there
  'sbom-sign': {
    inputs: {
      image: `${host}/bench/app@${digest}`,
      sbom: join(root, '../shared/fixtures/sbom/syft-spdx-2.3-alpine.json'),
      key: join(root, 'test/fixtures/sigstore/cosign.key'),
      'key-password': 'correct horse battery',
      attest: 'sbom',
    },
  },
};
mkdirSync(join(dir, 'deploy'));
writeFileSync(
  join(dir, 'deploy', 'app.yaml'),
  'apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: ghcr.io/name/app:1.0.0\n',
);

function runOnce(args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, code: r.status, out: `${r.stdout}${r.stderr}` };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const baselineDist = process.env.BENCH_BASELINE_DIST;
const rows = [];
for (const [name, spec] of Object.entries(cases)) {
  const bundle = join(root, 'dist', name, 'index.js');
  if (!existsSync(bundle)) continue;
  const baselineBundle = baselineDist ? join(baselineDist, name, 'index.js') : undefined;
  const withBaseline = baselineBundle !== undefined && existsSync(baselineBundle);
  const files = Object.fromEntries(
    ['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_STEP_SUMMARY'].map((k) => [
      k,
      join(dir, `${name}-${k}`),
    ]),
  );
  const home = join(dir, `${name}-home`);
  mkdirSync(home, { recursive: true });
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    DOCKER_CONFIG: join(home, '.docker'),
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_EVENT_PATH: event,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_SHA: '860c1904a1ce19322e91ac35af1ab07466440c37',
    GITHUB_REPOSITORY: 'name/app',
    GITHUB_RUN_NUMBER: '7',
    GITHUB_WORKSPACE: dir,
    RUNNER_TEMP: dir,
    ...files,
  };
  for (const [k, v] of Object.entries(spec.inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const ours = [];
  const bare = [];
  const base = [];
  for (let i = 0; i < runs; i++) {
    for (const f of Object.values(files)) writeFileSync(f, '');
    const r = runOnce([bundle], env);
    if (r.code !== 0) {
      console.error(`${name}: the minimal run failed (exit ${r.code}):\n${r.out.slice(-2000)}`);
      process.exit(1);
    }
    ours.push(r.ms);
    bare.push(runOnce(['-e', '0'], env).ms);
    if (withBaseline) {
      for (const f of Object.values(files)) writeFileSync(f, '');
      const b = runOnce([baselineBundle], env);
      if (b.code !== 0) {
        console.error(`${name}: the baseline run failed (exit ${b.code}):\n${b.out.slice(-2000)}`);
        process.exit(1);
      }
      base.push(b.ms);
    }
  }
  rows.push({ name, ours: median(ours), bare: median(bare), base: withBaseline ? median(base) : undefined });
}
await stopProcess(registry.process);
rmSync(dir, { recursive: true, force: true });

console.log(`start-up, median of ${runs} runs each, bundle vs bare node -e 0 in the same run`);
const baseHead = baselineDist ? ['baseline'.padStart(9), 'change'.padStart(8)] : [];
console.log('action'.padEnd(20), 'bundle ms'.padStart(10), 'node ms'.padStart(10), 'ratio'.padStart(7), ...baseHead);
for (const r of rows) {
  const ratio = r.ours / r.bare;
  const baseCols =
    r.base === undefined
      ? []
      : [`${(r.base / r.bare).toFixed(2)}x`.padStart(9), `${(ratio - r.base / r.bare).toFixed(2)}x`.padStart(8)];
  console.log(
    r.name.padEnd(20),
    r.ours.toFixed(1).padStart(10),
    r.bare.toFixed(1).padStart(10),
    `${ratio.toFixed(2)}x`.padStart(7),
    ...baseCols,
  );
}
process.exit(0);
