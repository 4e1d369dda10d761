// Mirror benchmark: promote's sync mode (the bundle dist/promote/index.js, run the way the runner
// runs it) against `skopeo sync --all --src docker --dest docker`, between two registries this
// script starts itself (docker-registry on free 127.0.0.1 ports, temporary storage), in the same
// run. The source repository holds 50 tags over 20 images of 5 layers each: 2 base layers shared
// by every image and 3 of its own (stored-gzip streams of random data, so skopeo passes them
// through as they are). Each tool mirrors into its own target repository twice: a first run into
// an empty repository, then a second run with nothing changed. skopeo's blob-info cache is cold
// on every run (a private tmpfs over /var/lib/containers/cache, as bench/promote.mjs does).
// Goals: first run <= 1.0x skopeo's time; second run >= 10x faster than skopeo's second run.
// Build the bundle first: node scripts/build.mjs promote
// The second run is repeated (--second-runs, alternating who goes first) and medians compared.
// Usage: node bench/mirror.mjs [--layer-mb 2] [--base-mb 8] [--images 20] [--tags 50] [--parallel 4] [--second-runs 5]
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, gzipSync } from 'node:zlib';
import { arg, benchWorkspace, pushBlob, sha256, startRegistry } from './lib.mjs';

const root = new URL('..', import.meta.url).pathname;
const LAYER_MB = arg('layer-mb', 2);
const BASE_MB = arg('base-mb', 8);
const IMAGES = arg('images', 20);
const TAGS = arg('tags', 50);
const PARALLEL = arg('parallel', 4);
const SECOND_RUNS = arg('second-runs', 5);
const MiB = 1024 * 1024;
const bundle = join(root, 'dist/promote/index.js');
if (!existsSync(bundle)) {
  console.error(`${bundle} is missing: build it with node scripts/build.mjs promote`);
  process.exit(1);
}

const bench = benchWorkspace('bench-mirror-');
const { work, finish, timed } = bench;

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

async function put(url, body, contentType) {
  const res = await fetch(url, { method: 'PUT', body, headers: { 'content-type': contentType } });
  if (!res.ok) throw new Error(`PUT ${url}: ${res.status} ${await res.text()}`);
}

const randomLayer = (mb) => gzipSync(randomBytes(Math.round(mb * MiB)), { level: constants.Z_NO_COMPRESSION });

/** 20 images (2 shared base layers + 3 own), 50 tags spread over them; returns tag -> digest. */
async function pushSource(reg, repo) {
  const layer = async (mb) => ({ mediaType: LAYER, ...(await pushBlob(reg, repo, randomLayer(mb))) });
  const base = [await layer(BASE_MB), await layer(BASE_MB / 2)];
  const digests = [];
  let bytes = base.reduce((n, l) => n + l.size, 0);
  for (let i = 0; i < IMAGES; i++) {
    const own = [];
    for (let j = 0; j < 3; j++) own.push(await layer(LAYER_MB));
    bytes += own.reduce((n, l) => n + l.size, 0);
    const layers = [...base, ...own];
    const configBytes = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        created: '2025-01-01T00:00:00Z',
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
        config: { Labels: { image: String(i) } },
      }),
    );
    const config = await pushBlob(reg, repo, configBytes);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { ...config, mediaType: 'application/vnd.oci.image.config.v1+json' },
        layers,
      }),
    );
    await put(`${reg.url}/v2/${repo}/manifests/${sha256(manifest)}`, manifest, OCI_MANIFEST);
    digests.push({ digest: sha256(manifest), bytes: manifest });
  }
  const tags = new Map();
  for (let t = 0; t < TAGS; t++) {
    const image = digests[t % IMAGES];
    const tag = `1.${Math.floor(t / 10)}.${t % 10}`;
    await put(`${reg.url}/v2/${repo}/manifests/${tag}`, image.bytes, OCI_MANIFEST);
    tags.set(tag, image.digest);
  }
  return { tags, bytes };
}

async function mirror(source, target, n) {
  const dir = join(work, `run-${n}`);
  mkdirSync(join(dir, 'home'), { recursive: true });
  const env = {
    PATH: process.env.PATH,
    HOME: join(dir, 'home'),
    GITHUB_ACTIONS: 'true',
    RUNNER_TEMP: dir,
    INPUT_SOURCE: source,
    INPUT_TARGETS: target,
    'INPUT_SYNC-TAGS': '*',
    INPUT_PARALLEL: String(PARALLEL),
  };
  for (const [k, f] of Object.entries({
    GITHUB_OUTPUT: 'output',
    GITHUB_STATE: 'state',
    GITHUB_STEP_SUMMARY: 'summary.md',
  })) {
    env[k] = join(dir, f);
    writeFileSync(env[k], '');
  }
  const r = await timed(process.execPath, [bundle], env);
  const text = readFileSync(env.GITHUB_OUTPUT, 'utf8');
  const mirrored = /^mirrored<<(.+)\n([\s\S]*?)\n\1$/m.exec(text)?.[2];
  return { ms: r.ms, mirrored };
}

const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['-m', 'true']).status === 0;
function skopeoSync(src, dst, n) {
  const args = [
    'sync',
    '--all',
    '--src',
    'docker',
    '--dest',
    'docker',
    '--src-tls-verify=false',
    '--dest-tls-verify=false',
    src,
    dst,
  ];
  if (canUnshare) {
    const script =
      'mkdir -p /var/lib/containers/cache && mount -t tmpfs tmpfs /var/lib/containers/cache && exec skopeo "$@"';
    return timed('unshare', ['-m', 'sh', '-c', script, 'sh', ...args]);
  }
  const home = join(work, `skopeo-home-${n}`);
  mkdirSync(home);
  return timed('env', [`HOME=${home}`, `XDG_DATA_HOME=${home}`, 'skopeo', ...args]);
}

/** Requests the target registry logged for `repo` since byte `from`: writes, blob uploads, all. */
function requestsSince(reg, repo, from) {
  const fd = openSync(reg.logFile, 'r');
  const size = statSync(reg.logFile).size;
  const buf = Buffer.alloc(size - from);
  readSync(fd, buf, 0, buf.length, from);
  closeSync(fd);
  const lines = buf
    .toString('utf8')
    .split('\n')
    .filter((l) => l.includes(` /v2/${repo}/`) && /"(GET|HEAD|PUT|POST|PATCH|DELETE) /.test(l));
  return {
    all: lines.length,
    writes: lines.filter((l) => /"(PUT|POST|PATCH|DELETE) /.test(l)).length,
    uploads: lines.filter((l) => /"PUT [^"]*\/blobs\/uploads\//.test(l)).length,
  };
}

async function checkDigests(reg, repo, tags) {
  for (const [tag, digest] of tags) {
    const res = await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, {
      method: 'HEAD',
      headers: { accept: OCI_MANIFEST },
    });
    const got = res.headers.get('docker-content-digest');
    if (got !== digest) throw new Error(`${repo}:${tag} is ${got}, expected ${digest}`);
  }
}

const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;

const src = await startRegistry(bench, 'source');
const dst = await startRegistry(bench, 'target');
console.log(
  `registries ${src.host} -> ${dst.host}; skopeo cache: ${canUnshare ? 'fresh tmpfs per run' : 'fresh HOME per run'}`,
);
const source = await pushSource(src, 'bench/app');
console.log(
  `source ${src.host}/bench/app: ${TAGS} tags over ${IMAGES} images, 5 layers each (2 shared base), ${(source.bytes / MiB).toFixed(1)} MiB of blobs`,
);

const results = { promote: [], skopeo: [] };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const passes = ['first', ...Array.from({ length: SECOND_RUNS }, (_, i) => `second-${i + 1}`)];
for (const [n, pass] of passes.entries()) {
  // Alternate who goes first so that neither always runs on a warmer page cache.
  const order = n % 2 === 0 ? ['skopeo', 'promote'] : ['promote', 'skopeo'];
  for (const who of order) {
    spawnSync('sync');
    const repo = who === 'skopeo' ? 'skopeo/app' : 'promote/app';
    const mark = statSync(dst.logFile).size;
    const r =
      who === 'skopeo'
        ? await skopeoSync(`${src.host}/bench/app`, `${dst.host}/skopeo`, pass)
        : await mirror(`${src.host}/bench/app`, `${dst.host}/${repo}`, pass);
    const q = requestsSince(dst, repo, mark);
    await checkDigests(dst, repo, source.tags);
    results[who].push({ ms: r.ms, ...q });
    console.log(
      `${pass.padEnd(8)} ${who.padEnd(7)} ${fmt(r.ms)}: ${q.all} requests to the target, ${q.writes} writes, ${q.uploads} blob uploads${r.mirrored ? ` (${r.mirrored})` : ''}`,
    );
  }
}

// The floor every run of the bundle pays on this machine now: node starting and exiting.
const floor = [];
for (let i = 0; i < 5; i++) floor.push((await timed(process.execPath, ['-e', '0'])).ms);

const [p1, ...p2] = results.promote;
const [s1, ...s2] = results.skopeo;
const second = median(s2.map((r) => r.ms)) / median(p2.map((r) => r.ms));
console.log('\nsummary (every tag checked against the source digest at both targets)');
console.log(
  `  first run:  promote ${fmt(p1.ms)} vs skopeo sync ${fmt(s1.ms)}: promote takes ${(p1.ms / s1.ms).toFixed(2)}x skopeo's time (goal <= 1.0x)`,
);
console.log(
  `  second run (median of ${SECOND_RUNS}): promote ${fmt(median(p2.map((r) => r.ms)))} (${median(p2.map((r) => r.all))} requests to the target, ${Math.max(...p2.map((r) => r.writes))} writes) vs skopeo sync ${fmt(median(s2.map((r) => r.ms)))} (${median(s2.map((r) => r.all))} requests, ${Math.max(...s2.map((r) => r.writes))} writes): promote is ${second.toFixed(1)}x faster (goal >= 10x)`,
);
console.log(`  node -e 0 on this machine now: ${fmt(median(floor))} (median of 5)`);
await finish(0);
