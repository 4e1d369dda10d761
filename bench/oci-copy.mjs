// Copy benchmark: our digest-preserving copy (shared/src/oci/copy.ts) against `skopeo copy --all
// --preserve-digests` with a cold blob-info cache, measured in the same run on registries this
// script starts itself (docker-registry on free 127.0.0.1 ports, temporary storage):
//   (a) between two repositories of one registry: wall-time ratio and layer bytes uploaded
//       (goal: >= 10x faster than skopeo, 0 bytes uploaded: every blob mounted);
//   (b) between two registries: wall-time ratio (goal: our time <= skopeo's);
//   (c) peak RSS of our process copying an image with one 1 GB layer between registries
//       (goal: < 150 MB).
// Our client uploads each blob in one streamed PUT (the default); the 'chunked' variant forces
// 16 MiB PATCH chunks for blobs over 32 MiB (what a registry that demands chunks gets), for
// comparison. Every request count comes from the target registry's own access log.
// The TypeScript sources are transpiled into a temporary folder first (no type-check, so a
// half-finished file elsewhere in the project cannot stop the benchmark) and bundled with ncc as
// the actions are; every copy runs in a fresh node process, like skopeo does. (a) and (b) report
// the median of --runs runs, each into a fresh repository.
// Usage: node bench/oci-copy.mjs [--runs 3] [--layer-mb 50] [--layers 5] [--big-mb 1024]
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  createWriteStream,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { arg, benchWorkspace, startRegistry } from './lib.mjs';
import { once } from 'node:events';
import ts from 'typescript';

const root = new URL('..', import.meta.url).pathname;
const LAYER_MB = arg('layer-mb', 50);
const LAYERS = arg('layers', 5);
const BIG_MB = arg('big-mb', 1024);
const RUNS = arg('runs', 3);
const MiB = 1024 * 1024;

// Every child (registries, skopeo, our copy workers) is tracked, so that whatever way the script
// ends, they are stopped and the temporary folder (registry storage, layers) is removed.
const bench = benchWorkspace('bench-oci-copy-');
const { work, finish, timed } = bench;
let pusher;
bench.atFinish(() => pusher?.close());

// 1. The sources, as plain ESM in a temporary folder.
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
writeFileSync(
  join(lib, 'package.json'),
  JSON.stringify({ type: 'module', imports: { '#shared/*': './shared/src/*' } }),
);
symlinkSync(join(root, 'node_modules'), join(lib, 'node_modules'));

// The worker copies one reference to another and prints what happened as JSON.
writeFileSync(
  join(lib, 'copy-worker.mjs'),
  `import { RegistryClient } from './shared/src/oci/client.js';
import { copyImage } from './shared/src/oci/copy.js';
import { parseReference } from './shared/src/oci/reference.js';
const [src, dst] = process.argv.slice(2);
const client = new RegistryClient({ credentials: async () => undefined, ...JSON.parse(process.env.BENCH_CLIENT_OPTIONS ?? '{}') });
const t0 = performance.now();
const r = await copyImage(client, parseReference(src), parseReference(dst), JSON.parse(process.env.BENCH_COPY_OPTIONS ?? '{}'));
const ms = performance.now() - t0;
const transfers = {};
for (const b of r.blobs) transfers[b.transfer] = (transfers[b.transfer] ?? 0) + 1;
console.log(JSON.stringify({ ms, digest: r.digest, bytesUploaded: r.bytesUploaded, bytesMounted: r.bytesMounted,
  transfers, manifests: r.manifests.length, requests: client.requestCount(), maxRssKiB: process.resourceUsage().maxRSS }));
`,
);

// The actions run as ncc bundles, so the worker does too (a JavaScript entry: ncc does not
// type-check it). Without ncc the transpiled modules run as they are.
let worker = join(lib, 'copy-worker.mjs');
const ncc = spawnSync(join(root, 'node_modules/.bin/ncc'), ['build', worker, '-o', join(work, 'bundle'), '-q'], {
  encoding: 'utf8',
});
if (ncc.status === 0) worker = join(work, 'bundle', 'index.mjs');
else console.log(`ncc failed (${ncc.stderr.trim().split('\n').at(-1)}); running the transpiled modules unbundled`);

// 2. Two registries.
/** Requests a registry logged since `from` (a byte offset into its log), by method. */
function requestsSince(reg, from) {
  const fd = openSync(reg.logFile, 'r');
  const size = statSync(reg.logFile).size;
  const buf = Buffer.alloc(size - from);
  readSync(fd, buf, 0, buf.length, from);
  closeSync(fd);
  const counts = { total: 0 };
  for (const m of buf.toString('utf8').matchAll(/"(GET|HEAD|PUT|POST|PATCH|DELETE) \/v2\/([^ ?"]*)/g)) {
    counts.total++;
    const key = m[1] === 'POST' && m[2].includes('/blobs/uploads/') ? 'POST upload' : m[1];
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
const logSize = (reg) => statSync(reg.logFile).size;

// 3. Images: gzip streams (stored blocks) of random data, so that skopeo treats the layers as
// compressed and passes them through unchanged, as it would real layers.
async function writeRandomLayer(file, bytes) {
  const { createGzip, constants } = await import('node:zlib');
  const gz = createGzip({ level: constants.Z_NO_COMPRESSION });
  const out = createWriteStream(file);
  const hash = createHash('sha256');
  let size = 0;
  gz.on('data', (d) => {
    hash.update(d);
    size += d.length;
  });
  gz.pipe(out);
  for (let left = bytes; left > 0; left -= 4 * MiB) {
    if (!gz.write(randomBytes(Math.min(left, 4 * MiB)))) await once(gz, 'drain');
  }
  gz.end();
  await once(out, 'close');
  return {
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    digest: `sha256:${hash.digest('hex')}`,
    size,
    file,
  };
}

const { RegistryClient } = await import(join(lib, 'shared/src/oci/client.js'));
const { createReadStream } = await import('node:fs');
pusher = new RegistryClient({ credentials: async () => undefined });

async function pushImage(reg, repository, tag, platforms) {
  const repo = { registry: reg.host, repository };
  const entries = [];
  for (const { platform, layers } of platforms) {
    for (const l of layers) await pusher.pushBlob(repo, l, () => createReadStream(l.file));
    const [os, architecture] = platform.split('/');
    const config = Buffer.from(
      JSON.stringify({
        architecture,
        os,
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
        config: {},
      }),
    );
    const c = await pusher.pushBlobBytes(repo, config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: c.digest, size: c.size },
        layers: layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
      }),
    );
    const m = await pusher.putManifest(repo, tag, manifest, 'application/vnd.oci.image.manifest.v1+json');
    entries.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: m.digest,
      size: manifest.length,
      platform: { os, architecture },
    });
  }
  if (entries.length === 1) return entries[0].digest;
  const index = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: entries }),
  );
  return (await pusher.putManifest(repo, tag, index, 'application/vnd.oci.image.index.v1+json')).digest;
}

async function ours(src, dst, { copy = {}, ...clientOptions } = {}) {
  const env = {
    ...process.env,
    BENCH_CLIENT_OPTIONS: JSON.stringify(clientOptions),
    BENCH_COPY_OPTIONS: JSON.stringify(copy),
  };
  const r = await timed(process.execPath, [worker, src, dst], env);
  return { wallMs: r.ms, ...JSON.parse(r.out.trim().split('\n').at(-1)) };
}

// skopeo keeps a blob-info cache in /var/lib/containers/cache (root); it has no flag to move it.
// A private mount namespace with an empty tmpfs there gives every run a cold cache without
// touching the machine's own.
const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['-m', 'true']).status === 0;
async function skopeo(src, dst) {
  const copy = [
    'copy',
    '--all',
    '--preserve-digests',
    '--src-tls-verify=false',
    '--dest-tls-verify=false',
    `docker://${src}`,
    `docker://${dst}`,
  ];
  if (canUnshare) {
    const script =
      'mkdir -p /var/lib/containers/cache && mount -t tmpfs tmpfs /var/lib/containers/cache && exec skopeo "$@"';
    return timed('unshare', ['-m', 'sh', '-c', script, 'sh', ...copy]);
  }
  const home = join(work, `home-${Date.now()}`);
  mkdirSync(home);
  return timed('env', [`HOME=${home}`, `XDG_DATA_HOME=${home}`, 'skopeo', ...copy]);
}

function digestOf(ref) {
  const r = spawnSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`]);
  if (r.status !== 0) throw new Error(`skopeo inspect ${ref}: ${r.stderr}`);
  return `sha256:${createHash('sha256').update(r.stdout).digest('hex')}`;
}

const fmtMs = (ms) => `${(ms / 1000).toFixed(2)} s`;
const fmtMB = (b) => `${(b / MiB).toFixed(1)} MiB`;

const regA = await startRegistry(bench, 'registry-a');
const regB = await startRegistry(bench, 'registry-b');
console.log(
  `registries: ${regA.host} and ${regB.host}; skopeo cache: ${canUnshare ? 'fresh tmpfs per run' : 'fresh HOME per run'}`,
);

console.log(`generating 2 platforms x ${LAYERS} layers x ${LAYER_MB} MB of random data...`);
const platforms = [];
for (const platform of ['linux/amd64', 'linux/arm64']) {
  const layers = [];
  for (let i = 0; i < LAYERS; i++)
    layers.push(await writeRandomLayer(join(work, `${platform.replace('/', '-')}-${i}.gz`), LAYER_MB * MiB));
  platforms.push({ platform, layers });
}
const layerBytes = platforms.flatMap((p) => p.layers).reduce((n, l) => n + l.size, 0);
const srcDigest = await pushImage(regA, 'bench/source', 'v1', platforms);
for (const p of platforms) for (const l of p.layers) rmSync(l.file);
console.log(`source ${regA.host}/bench/source:v1 = ${srcDigest} (${fmtMB(layerBytes)} of layers)`);

// The client's default upload streams each blob in one PUT; the variant sends blobs over 32 MiB
// in 16 MiB PATCH chunks, as the client did before and still does for a registry demanding chunks.
const CHUNKED = { monolithicMaxBytes: 32 * MiB };

function describeOurs(o, req) {
  return (
    `${fmtMs(o.wallMs)} (copy itself ${fmtMs(o.ms)}); blobs ${JSON.stringify(o.transfers)}; ` +
    `layer bytes uploaded ${fmtMB(o.bytesUploaded)}, mounted ${fmtMB(o.bytesMounted)}; manifests put ${o.manifests}; ` +
    `our requests ${o.requests}; target registry requests ${JSON.stringify(req)}; peak RSS ${fmtMB(o.maxRssKiB * 1024)}`
  );
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

// Before each timed copy the page cache is written back (sync), so that no contender pays for
// the disk writes of the one before it; the order of the contenders rotates from run to run.
function settle() {
  spawnSync('sync');
}

async function compare(label, dstReg, variants) {
  const src = `${regA.host}/bench/source:v1`;
  console.log(`\n${label} (median of ${RUNS} runs, order rotating, page cache synced before each copy)`);
  const times = { skopeo: [] };
  const last = {};
  const contenders = ['skopeo', ...Object.keys(variants)];
  for (let run = 0; run < RUNS; run++) {
    const order = contenders.map((_, i) => contenders[(i + run) % contenders.length]);
    for (const name of order) {
      settle();
      const mark = logSize(dstReg);
      if (name === 'skopeo') {
        const target = `${dstReg.host}/bench/skopeo-${run}:v1`;
        const s = await skopeo(src, target);
        times.skopeo.push(s.ms);
        last.skopeo = requestsSince(dstReg, mark);
        if (digestOf(target) !== srcDigest) throw new Error(`${label}: skopeo changed the digest`);
        continue;
      }
      const repo = `${dstReg.host}/bench/ours-${name}-${run}:v1`;
      const o = await ours(src, repo, variants[name]);
      // counted before skopeo inspect adds its own requests
      last[name] = { o, req: requestsSince(dstReg, mark) };
      if (digestOf(repo) !== srcDigest) throw new Error(`${label}: our copy (${name}) changed the digest`);
      times[name] = [...(times[name] ?? []), o.wallMs];
    }
  }
  console.log(
    `  every run (s): ${Object.entries(times)
      .map(([name, ms]) => `${name} ${ms.map((t) => (t / 1000).toFixed(2)).join(' ')}`)
      .join('; ')}`,
  );
  const sMs = median(times.skopeo);
  console.log(`  skopeo copy --all: ${fmtMs(sMs)}; target registry requests ${JSON.stringify(last.skopeo)}`);
  const results = {};
  for (const name of Object.keys(variants)) {
    const ms = median(times[name]);
    console.log(`  ours (${name}): ${fmtMs(ms)}; last run: ${describeOurs(last[name].o, last[name].req)}`);
    console.log(
      `    skopeo time / our time: ${(sMs / ms).toFixed(2)}; our time / skopeo time: ${(ms / sMs).toFixed(2)}`,
    );
    results[name] = { ...last[name].o, wallMs: ms };
  }
  console.log(`  every target digest matched the source: ${srcDigest}`);
  return { s: { ms: sMs }, o: results };
}

const a = await compare('(a) same registry, another repository', regA, { default: {} });
const b = await compare('(b) another registry', regB, { default: {}, chunked: CHUNKED });

console.log(`\n(c) peak RSS copying one ${BIG_MB} MB layer between registries`);
const big = await writeRandomLayer(join(work, 'big.gz'), BIG_MB * MiB);
await pushImage(regA, 'bench/big', 'v1', [{ platform: 'linux/amd64', layers: [big] }]);
rmSync(big.file);
const c = {};
for (const [name, options] of Object.entries({ default: {}, chunked: CHUNKED })) {
  settle();
  const mark = logSize(regB);
  c[name] = await ours(`${regA.host}/bench/big:v1`, `${regB.host}/bench/big-${name}:v1`, options);
  const o = c[name];
  console.log(
    `  ours (${name}): ${fmtMs(o.wallMs)}, uploaded ${fmtMB(o.bytesUploaded)}, our requests ${o.requests}, ` +
      `target registry requests ${JSON.stringify(requestsSince(regB, mark))}, peak RSS ${fmtMB(o.maxRssKiB * 1024)}`,
  );
}
settle();
const markBig = logSize(regB);
const sBig = await skopeo(`${regA.host}/bench/big:v1`, `${regB.host}/bench/big-skopeo:v1`);
console.log(`  skopeo: ${fmtMs(sBig.ms)}; target registry requests ${JSON.stringify(requestsSince(regB, markBig))}`);

console.log('\nsummary');
console.log(
  `  (a) same registry:  ${(a.s.ms / a.o.default.wallMs).toFixed(1)}x faster than skopeo (goal >= 10x); layer bytes uploaded ${a.o.default.bytesUploaded} (goal 0)`,
);
for (const name of Object.keys(b.o)) {
  console.log(
    `  (b) cross registry, ${name} upload: our time / skopeo time = ${(b.o[name].wallMs / b.s.ms).toFixed(2)} (goal <= 1.0); ` +
      `layer bytes uploaded ${fmtMB(b.o[name].bytesUploaded)}`,
  );
}
for (const name of Object.keys(c)) {
  console.log(`  (c) 1 GB layer, ${name} upload: peak RSS ${fmtMB(c[name].maxRssKiB * 1024)} (goal < 150 MiB)`);
}
await finish(0);
