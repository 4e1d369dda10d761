// The cost of the keyless gate's trusted root, read from a file or fetched through TUF: promote's
// bundle checks the gates of one keylessly signed image (dry run) against a private Sigstore
// instance on 127.0.0.1, alternately with `trusted-root` (a file) and with `tuf-mirror` /
// `tuf-root` (a TUF repository on 127.0.0.1: cold = an empty cache each run, warm = the cache of
// the previous run, as a second gate in the same job), and prints the medians and their ratios.
// With BENCH_BASELINE_DIST=<dist of another build>, that bundle's file-based run is measured too.
// Usage: node --import ./scripts/ts-register.mjs bench/keyless-gate.mjs [runs]
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pushImage } from '../test/actions/promote/fixtures.js';
import { startOidcFake } from '../test/fakes/actions-oidc.js';
import { startSigstoreFake } from '../test/fakes/sigstore.js';
import { startTufRepository } from '../test/fakes/tuf-repository.js';
import { runAction } from '../test/harness/run-action.js';
import { stopProcess, which } from '../test/stack/processes.js';
import { startRegistry } from '../test/stack/registry.js';

const runs = Number(process.argv[2] ?? 15);
const WORKFLOW_REF = 'octo-org/octo-app/.github/workflows/release.yml@refs/heads/main';
const dir = mkdtempSync(join(tmpdir(), 'bench-keyless-'));
const registryBin = which('docker-registry');
if (!registryBin) {
  console.error('docker-registry is not installed (Debian package docker-registry): bash scripts/install-deps.sh');
  process.exit(1);
}
const registry = await startRegistry(registryBin, 'bench', join(dir, 'registry'), { kind: 'none' });
const { host, url } = registry.endpoint;
const oidc = await startOidcFake({ job_workflow_ref: WORKFLOW_REF });
const sigstore = await startSigstoreFake({ oidc });
const tuf = await startTufRepository();
tuf.publish({ 'trusted_root.json': Buffer.from(JSON.stringify(sigstore.trustedRoot)) });
const trustedRoot = join(dir, 'trusted_root.json');
writeFileSync(trustedRoot, JSON.stringify(sigstore.trustedRoot));
const tufRoot = join(dir, 'root.json');
writeFileSync(tufRoot, tuf.rootJson);

await pushImage(url, 'bench/app', { tag: 'rc' });
const signed = await runAction('sbom-sign', {
  inputs: {
    'fulcio-url': sigstore.fulcioUrl,
    'rekor-url': sigstore.rekorUrl,
    'tsa-url': sigstore.tsaUrl,
    image: `${host}/bench/app:rc`,
    sbom: 'none',
    attest: 'none',
  },
  env: { ...oidc.env, GITHUB_WORKFLOW_REF: WORKFLOW_REF },
  timeoutMs: 90_000,
});
if (signed.code !== 0) throw new Error(`sbom-sign: ${signed.errors.join('; ')}`);

const gate = {
  source: `${host}/bench/app:rc`,
  targets: 'prod',
  'dry-run': 'true',
  'certificate-identity': `https://github.com/${WORKFLOW_REF}`,
  'certificate-oidc-issuer': 'https://token.actions.githubusercontent.com',
};
const warmCache = join(dir, 'warm');
mkdirSync(warmCache);
const baseline = process.env.BENCH_BASELINE_DIST;
const cases = {
  file: { inputs: { ...gate, 'trusted-root': trustedRoot } },
  'tuf cold': { inputs: { ...gate, 'tuf-mirror': tuf.url, 'tuf-root': tufRoot }, fresh: true },
  'tuf warm': {
    inputs: { ...gate, 'tuf-mirror': tuf.url, 'tuf-root': tufRoot },
    env: { RUNNER_TOOL_CACHE: warmCache },
  },
  ...(baseline
    ? {
        'baseline file': {
          inputs: { ...gate, 'trusted-root': trustedRoot },
          bundle: join(baseline, 'promote/index.js'),
        },
      }
    : {}),
};
const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let i = 0; i <= runs; i++) {
  for (const [name, c] of Object.entries(cases)) {
    const r = await runAction('promote', {
      inputs: c.inputs,
      env: c.env ?? {},
      eventName: 'workflow_dispatch',
      bundle: c.bundle,
      timeoutMs: 90_000,
    });
    if (r.code !== 0) throw new Error(`${name}: ${r.errors.join('; ')}`);
    // the first round fills the warm cache and is not counted
    if (i > 0) times[name].push(r.durationMs);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const file = median(times.file);
console.log(`promote keyless gate (dry run), median of ${runs} runs each, alternated in the same run`);
for (const [name, xs] of Object.entries(times)) {
  console.log(`${name.padEnd(14)} ${String(median(xs)).padStart(6)} ms  ${(median(xs) / file).toFixed(2)}x file`);
}
await tuf.close();
await sigstore.close();
await oidc.close();
await stopProcess(registry.process);
