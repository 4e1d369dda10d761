// Retention benchmark: how long the retention-cleanup bundle (dist/retention-cleanup/index.js,
// run the way the runner runs it) takes to plan a dry run over 5,000 tags on 500 digests, and
// how many registry requests it makes, against the naive loop users write (`skopeo inspect` per
// tag, for each tag's digest and creation time), measured in the same run on a registry this
// script starts itself (docker-registry on a free 127.0.0.1 port, temporary storage, access log
// on). Requests are counted from the registry's access log, not from either client.
// skopeo is timed on a sample of tags and extrapolated to all of them (said so in the output).
// Goal: every manifest and config fetched at most once; the plan in under 30 s.
// Build the bundle first: node scripts/build.mjs retention-cleanup
// Usage: node bench/retention.mjs [--tags 5000] [--digests 500] [--sample 300]
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { arg, benchWorkspace, startRegistry } from './lib.mjs';

const root = new URL('..', import.meta.url).pathname;
const TAGS = arg('tags', 5000);
const DIGESTS = arg('digests', 500);
const SAMPLE = Math.min(arg('sample', 300), TAGS);
const INDEX_SHARE = 0.2; // one root in five is a two-platform index
const REPO = 'bench/app';
const DAY = 86_400_000;
const bundle = join(root, 'dist/retention-cleanup/index.js');
if (!existsSync(bundle)) {
  console.error(`${bundle} is missing: build it with node scripts/build.mjs retention-cleanup`);
  process.exit(1);
}
for (const tool of ['docker-registry', 'skopeo']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.error(`${tool} is not on PATH (Debian package ${tool === 'skopeo' ? 'skopeo' : 'docker-registry'})`);
    process.exit(1);
  }
}

const bench = benchWorkspace('bench-retention-');
const { work } = bench;

/** Access-log request lines since byte `from`: [{method, path}]. */
function requestsSince(logFile, from) {
  const text = readFileSync(logFile).subarray(from).toString('utf8');
  const out = [];
  for (const m of text.matchAll(/\] "([A-Z]+) (\S+) HTTP\/[\d.]+" (\d{3}) /g)) {
    out.push({ method: m[1], path: new URL(m[2], 'http://r').pathname, status: Number(m[3]) });
  }
  return out;
}
const logSize = (file) => statSync(file).size;

const sha256 = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function limiter(max) {
  let active = 0;
  const queue = [];
  const next = () => {
    if (active >= max || queue.length === 0) return;
    active++;
    const job = queue.shift();
    job().finally(() => {
      active--;
      next();
    });
  };
  return (task) =>
    new Promise((resolve, reject) => {
      queue.push(() => task().then(resolve, reject));
      next();
    });
}

async function ok(res, what) {
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
  return res;
}

async function pushBlob(reg, bytes) {
  const digest = sha256(bytes);
  const start = await fetch(`${reg.url}/v2/${REPO}/blobs/uploads/`, { method: 'POST' });
  await ok(start, 'start upload');
  const location = new URL(start.headers.get('location'), reg.url);
  location.searchParams.set('digest', digest);
  await ok(
    await fetch(location, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } }),
    `upload ${digest}`,
  );
  return { digest, size: bytes.length };
}

async function putManifest(reg, reference, json, mediaType) {
  const bytes = Buffer.from(JSON.stringify(json));
  await ok(
    await fetch(`${reg.url}/v2/${REPO}/manifests/${reference}`, {
      method: 'PUT',
      body: bytes,
      headers: { 'content-type': mediaType },
    }),
    `put manifest ${reference}`,
  );
  return { mediaType, digest: sha256(bytes), size: bytes.length };
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

async function pushImage(reg, created, arch) {
  const layer = await pushBlob(reg, randomBytes(256));
  const config = await pushBlob(
    reg,
    Buffer.from(
      JSON.stringify({
        created: new Date(created).toISOString(),
        architecture: arch,
        os: 'linux',
        config: {},
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
      }),
    ),
  );
  const json = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
  };
  const desc = await putManifest(reg, sha256(Buffer.from(JSON.stringify(json))), json, OCI_MANIFEST);
  return { desc, json };
}

/** DIGESTS roots (a fifth of them two-platform indexes), TAGS tags spread evenly over them. */
async function populate(reg) {
  const limit = limiter(16);
  const now = Date.now();
  const roots = await Promise.all(
    Array.from({ length: DIGESTS }, (_, i) =>
      limit(async () => {
        const created = now - ((i % 90) + 0.5) * DAY;
        if (i < DIGESTS * INDEX_SHARE) {
          const platforms = [];
          for (const arch of ['amd64', 'arm64']) platforms.push(await pushImage(reg, created, arch));
          const json = {
            schemaVersion: 2,
            mediaType: OCI_INDEX,
            manifests: platforms.map((p, k) => ({
              ...p.desc,
              platform: { os: 'linux', architecture: k === 0 ? 'amd64' : 'arm64' },
            })),
          };
          return { ...(await putManifest(reg, sha256(Buffer.from(JSON.stringify(json))), json, OCI_INDEX)), json };
        }
        const { desc, json } = await pushImage(reg, created, 'amd64');
        return { ...desc, json };
      }),
    ),
  );
  const tags = [];
  await Promise.all(
    Array.from({ length: TAGS }, (_, t) => {
      const i = t % DIGESTS;
      const r = roots[i];
      // one root in ten carries a release tag (kept by the default keep-tags), the rest are builds
      const tag = i % 10 === 0 && t < DIGESTS ? `1.${i}.0` : `build-${i}-${Math.floor(t / DIGESTS)}`;
      tags.push(tag);
      return limit(() => putManifest(reg, tag, r.json, r.mediaType));
    }),
  );
  return { roots, tags };
}

function runBundle(inputs) {
  const dir = mkdtempSync(join(work, 'run-'));
  const files = { output: join(dir, 'output'), summary: join(dir, 'summary.md') };
  for (const f of Object.values(files)) writeFileSync(f, '');
  mkdirSync(join(dir, 'home'));
  mkdirSync(join(dir, 'temp'));
  const env = {
    PATH: process.env.PATH,
    HOME: join(dir, 'home'),
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: dir,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_RUN_ID: '1',
    RUNNER_TEMP: join(dir, 'temp'),
  };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [bundle], { cwd: dir, env, encoding: 'utf8', maxBuffer: 256 << 20 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) {
    const error = r.stdout.split('\n').find((l) => l.startsWith('::error::')) ?? r.stderr;
    throw new Error(`the bundle failed (exit ${r.status}): ${error}`);
  }
  const output = readFileSync(files.output, 'utf8');
  const value = (name) => new RegExp(`^${name}<<(.+)\\n([\\s\\S]*?)\\n\\1$`, 'm').exec(output)?.[2];
  return { ms, deleted: JSON.parse(value('deleted') ?? '[]'), planFile: value('plan-file') };
}

function skopeoInspect(reg, tag) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'skopeo',
      ['inspect', '--tls-verify=false', '--no-tags', `docker://${reg.host}/${REPO}:${tag}`],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`skopeo inspect ${tag}: ${err.trim()}`));
      const info = JSON.parse(out);
      resolve({ digest: info.Digest, created: info.Created });
    });
  });
}

const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

async function main() {
  const reg = await startRegistry(bench);
  const t0 = Date.now();
  const { roots, tags } = await populate(reg);
  const manifests = roots.length + roots.filter((r) => r.mediaType === OCI_INDEX).length * 2;
  console.log(
    `registry ${reg.host}: ${tags.length} tags over ${roots.length} digests (${roots.filter((r) => r.mediaType === OCI_INDEX).length} two-platform indexes), ${manifests} manifests, ${manifests - roots.filter((r) => r.mediaType === OCI_INDEX).length} configs, written in ${fmt(Date.now() - t0)}`,
  );

  // ours: a dry run with an age rule, so that every image config is read as well
  const before = logSize(reg.logFile);
  const run = runBundle({
    repositories: `${reg.host}/${REPO}`,
    provider: 'oci',
    'older-than': '30d',
    untagged: 'delete',
    'max-deletions': String(TAGS * 10),
    'dry-run': 'true',
  });
  const ours = requestsSince(reg.logFile, before);
  const byKind = {};
  const perPath = new Map();
  for (const r of ours) {
    const kind = `${r.method} ${/\/manifests\/sha256:/.test(r.path) ? 'manifest by digest' : /\/manifests\//.test(r.path) ? 'manifest by tag' : /\/blobs\//.test(r.path) ? 'blob' : /\/tags\/list$/.test(r.path) ? 'tag list' : r.path}`;
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    if (r.method === 'GET') perPath.set(r.path, (perPath.get(r.path) ?? 0) + 1);
  }
  const maxGet = (re) => Math.max(0, ...[...perPath].filter(([p]) => re.test(p)).map(([, n]) => n));
  const manifestMax = maxGet(/\/manifests\//);
  const blobMax = maxGet(/\/blobs\//);
  console.log(`\nretention-cleanup bundle, dry run (older-than 30d, default keep-tags):`);
  console.log(`  plan time (bundle wall time, node start included): ${fmt(run.ms)}`);
  console.log(`  registry requests: ${ours.length}`);
  for (const [k, n] of Object.entries(byKind).sort((a, b) => b[1] - a[1]))
    console.log(`    ${String(n).padStart(6)}  ${k}`);
  console.log(`  most GETs of one manifest: ${manifestMax}, of one config blob: ${blobMax}`);
  console.log(`  would delete ${run.deleted.length} manifests`);

  // the naive loop: skopeo inspect per tag, timed on a sample and extrapolated
  const step = Math.max(1, Math.floor(tags.length / SAMPLE));
  const sample = tags.filter((_, i) => i % step === 0).slice(0, SAMPLE);
  const skopeoBefore = logSize(reg.logFile);
  const s0 = process.hrtime.bigint();
  for (const tag of sample) await skopeoInspect(reg, tag);
  const skopeoMs = Number(process.hrtime.bigint() - s0) / 1e6;
  const skopeoRequests = requestsSince(reg.logFile, skopeoBefore).length;
  const factor = tags.length / sample.length;
  const skopeoAllMs = skopeoMs * factor;
  const skopeoAllRequests = Math.round(skopeoRequests * factor);
  console.log(`\nnaive loop, \`skopeo inspect --no-tags\` per tag (one process after the other):`);
  console.log(
    `  measured on ${sample.length} of ${tags.length} tags: ${fmt(skopeoMs)}, ${skopeoRequests} requests (${(skopeoRequests / sample.length).toFixed(1)} per tag)`,
  );
  console.log(
    `  extrapolated to all ${tags.length} tags: ${fmt(skopeoAllMs)}, ${skopeoAllRequests} requests (it still sees one platform per index and no graph)`,
  );

  const goalTime = run.ms < 30_000;
  const goalOnce = manifestMax <= 1 && blobMax <= 1;
  console.log(`\nsummary: ${tags.length} tags, ${roots.length} digests`);
  console.log(
    `  plan ${fmt(run.ms)} vs skopeo loop ~${fmt(skopeoAllMs)} (extrapolated): ${(skopeoAllMs / run.ms).toFixed(1)}x faster`,
  );
  console.log(
    `  requests ${ours.length} vs ~${skopeoAllRequests} (extrapolated): ratio ${(skopeoAllRequests / ours.length).toFixed(2)} (skopeo / ours)`,
  );
  console.log(`  goal: every manifest and config fetched at most once: ${goalOnce ? 'met' : 'NOT met'}`);
  console.log(`  goal: plan under 30 s: ${goalTime ? 'met' : 'NOT met'}`);
  return goalTime && goalOnce ? 0 : 2;
}

main().then(
  (code) => bench.finish(code),
  (err) => {
    console.error(err.message);
    bench.finish(1);
  },
);
