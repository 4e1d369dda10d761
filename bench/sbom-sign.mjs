import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { arg, benchWorkspace, pushBlob, sha256, startRegistry } from './lib.mjs';

const root = new URL('..', import.meta.url).pathname;
const RUNS = arg('runs', 7);
const bundle = join(root, 'dist/sbom-sign/index.js');
const toolsDir = process.env.SIGSTORE_TOOLS_DIR ?? join(root, '.tools', 'sigstore');
const cosignBin = join(toolsDir, 'usr/bin/cosign');
const keyFile = join(root, 'test/fixtures/sigstore/cosign.key');
const PASSWORD = 'correct horse battery';
const sbom = join(root, '../shared/fixtures/sbom/syft-spdx-2.3-alpine.json');
for (const [path, how] of [
  [bundle, 'node scripts/build.mjs sbom-sign'],
  [cosignBin, 'bash scripts/install-sigstore-tools.sh'],
  [sbom, 'the shared fixtures beside the repository'],
]) {
  if (!existsSync(path)) {
    console.error(`${path} is missing: ${how}`);
    process.exit(1);
  }
}

const bench = benchWorkspace('bench-sbom-sign-');
const { work, finish, timed } = bench;

async function put(url, body, contentType) {
  const res = await fetch(url, { method: 'PUT', body, headers: { 'content-type': contentType } });
  if (!res.ok) throw new Error(`PUT ${url}: ${res.status} ${await res.text()}`);
}

/** A one-layer image with random content: a digest neither side has signed yet. */
async function pushImage(reg, repo) {
  const layer = await pushBlob(reg, repo, randomBytes(64 * 1024));
  const config = await pushBlob(
    reg,
    repo,
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
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
  const digest = sha256(manifest);
  await put(`${reg.url}/v2/${repo}/manifests/${digest}`, manifest, 'application/vnd.oci.image.manifest.v1+json');
  return `${reg.host}/${repo}@${digest}`;
}

/** One sbom-sign run; `format` legacy (cosign's tags) or bundle (key-signed Sigstore bundle referrers). */
async function sbomSign(image, n, format = 'legacy') {
  const dir = join(work, `run-${format}-${n}`);
  mkdirSync(join(dir, 'home'), { recursive: true });
  const env = {
    PATH: process.env.PATH,
    HOME: join(dir, 'home'),
    GITHUB_ACTIONS: 'true',
    RUNNER_TEMP: dir,
    INPUT_IMAGE: image,
    INPUT_SBOM: sbom,
    'INPUT_SBOM-FORMAT': 'spdx-json',
    INPUT_SIGN: 'key',
    INPUT_KEY: keyFile,
    'INPUT_KEY-PASSWORD': PASSWORD,
    INPUT_ATTEST: 'sbom',
    INPUT_FORMAT: format,
  };
  for (const k of ['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_STEP_SUMMARY']) {
    env[k] = join(dir, k.toLowerCase());
    writeFileSync(env[k], '');
  }
  const { ms } = await timed(process.execPath, [bundle], env);
  const out = readFileSync(env.GITHUB_OUTPUT, 'utf8');
  const signed = format === 'legacy' ? out.includes('.sig') : /@sha256:[0-9a-f]{64}/.test(out);
  if (!signed || !out.includes('https://spdx.dev/Document')) throw new Error(`sbom-sign wrote no signature: ${out}`);
  return ms;
}

async function cosign(image, n) {
  const home = join(work, `cosign-${n}`);
  mkdirSync(home, { recursive: true });
  const env = { PATH: process.env.PATH, HOME: home, COSIGN_PASSWORD: PASSWORD };
  const common = ['--key', keyFile, '--tlog-upload=false', '--allow-insecure-registry', '--allow-http-registry', '-y'];
  const sign = (await timed(cosignBin, ['sign', ...common, image], env)).ms;
  const attest = (await timed(cosignBin, ['attest', ...common, '--type', 'spdxjson', '--predicate', sbom, image], env))
    .ms;
  return sign + attest;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

try {
  const reg = await startRegistry(bench);
  const ours = [];
  const bundles = [];
  const theirs = [];
  // one warm-up each: page cache, the registry's first requests
  await sbomSign(await pushImage(reg, 'bench/ours'), 'warm');
  await sbomSign(await pushImage(reg, 'bench/bundle'), 'warm', 'bundle');
  await cosign(await pushImage(reg, 'bench/cosign'), 'warm');
  for (let i = 0; i < RUNS; i++) {
    const a = await pushImage(reg, 'bench/ours');
    const b = await pushImage(reg, 'bench/cosign');
    const c = await pushImage(reg, 'bench/bundle');
    // the order rotates so that no side always runs first
    const steps = [
      async () => ours.push(await sbomSign(a, i)),
      async () => theirs.push(await cosign(b, i)),
      async () => bundles.push(await sbomSign(c, i, 'bundle')),
    ];
    for (let k = 0; k < steps.length; k++) await steps[(i + k) % steps.length]();
  }
  const o = median(ours);
  const u = median(bundles);
  const t = median(theirs);
  const list = (xs) => xs.map((x) => x.toFixed(0)).join(', ');
  console.log(`runs: ${RUNS} (median), one image signed + SPDX SBOM attested per run, same key, tlog off`);
  console.log(`sbom-sign format: legacy:   ${o.toFixed(0)} ms  [${list(ours)}]`);
  console.log(
    `sbom-sign format: bundle:   ${u.toFixed(0)} ms  [${list(bundles)}] (referrers tag schema: no referrers API here)`,
  );
  console.log(`cosign sign + cosign attest: ${t.toFixed(0)} ms  [${list(theirs)}]`);
  console.log(`ratio (sbom-sign legacy / cosign): ${(o / t).toFixed(2)}x (goal <= 1.0x)`);
  console.log(`ratio (sbom-sign bundle / cosign): ${(u / t).toFixed(2)}x`);
  console.log(`ratio (sbom-sign bundle / legacy): ${(u / o).toFixed(2)}x`);
  await finish(0);
} catch (err) {
  console.error(err);
  await finish(1);
}
