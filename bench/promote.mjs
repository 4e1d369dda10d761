// Promote benchmark: the promote action bundle (dist/promote/index.js, run the way the runner
// runs it: INPUT_* variables, GITHUB_OUTPUT/GITHUB_STEP_SUMMARY files) promoting an image to
// another repository of the same registry, against `skopeo copy --all --preserve-digests` with
// a cold blob-info cache, measured in the same run on a registry this script starts itself
// (docker-registry on a free 127.0.0.1 port, temporary storage). Same image and skopeo setup as
// bench/oci-copy.mjs: a two-platform index, each platform 5 layers x 50 MB of random data
// (stored-gzip streams, so skopeo passes them through as compressed layers).
// Goal: the promote bundle >= 10x faster than skopeo, with 0 layer bytes uploaded.
// Build the bundle first: node scripts/build.mjs promote
// Usage: node bench/promote.mjs [--layer-mb 50] [--layers 5] [--runs 3]
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { arg, benchWorkspace, pushBlob, sha256, startRegistry } from './lib.mjs';
import { constants, gzipSync } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;
const LAYER_MB = arg('layer-mb', 50);
const LAYERS = arg('layers', 5);
const RUNS = arg('runs', 3);
const MiB = 1024 * 1024;
const bundle = join(root, 'dist/promote/index.js');
if (!existsSync(bundle)) {
  console.error(`${bundle} is missing: build it with node scripts/build.mjs promote`);
  process.exit(1);
}

// Every child (the registry, skopeo, the promote bundle) is tracked, so that whatever way the
// script ends, they are stopped and the temporary folder (registry storage) is removed.
const bench = benchWorkspace('bench-promote-');
const { work, finish, timed } = bench;

/** Blob uploads (by completed digest) and mounts the registry logged for `repo` since byte `from`. */
function transfersSince(reg, repo, from) {
  const fd = openSync(reg.logFile, 'r');
  const size = statSync(reg.logFile).size;
  const buf = Buffer.alloc(size - from);
  readSync(fd, buf, 0, buf.length, from);
  closeSync(fd);
  const text = buf.toString('utf8');
  const esc = repo.replace(/[/.]/g, (c) => `\\${c}`);
  const uploaded = new Set();
  for (const m of text.matchAll(
    new RegExp(`"PUT /v2/${esc}/blobs/uploads/[^ "]*digest=(sha256(?::|%3A)[0-9a-f]{64})`, 'g'),
  )) {
    uploaded.add(m[1].replace('%3A', ':'));
  }
  const mounts = [...text.matchAll(new RegExp(`"POST /v2/${esc}/blobs/uploads/\\?[^ "]*mount=`, 'g'))].length;
  const requests = [...text.matchAll(new RegExp(`"(?:GET|HEAD|PUT|POST|PATCH|DELETE) /v2/${esc}/`, 'g'))].length;
  return { uploaded, mounts, requests };
}

async function put(url, body, contentType) {
  const res = await fetch(url, { method: 'PUT', body, headers: { 'content-type': contentType } });
  if (!res.ok) throw new Error(`PUT ${url}: ${res.status} ${await res.text()}`);
}

// A stored (level 0) gzip stream of random data: a valid compressed layer that is as big as its content.
const randomLayer = () => gzipSync(randomBytes(LAYER_MB * MiB), { level: constants.Z_NO_COMPRESSION });

async function pushSource(reg, repo, tag) {
  const sizes = new Map();
  const entries = [];
  for (const platform of ['linux/amd64', 'linux/arm64']) {
    const [os, architecture] = platform.split('/');
    const layers = [];
    for (let i = 0; i < LAYERS; i++) {
      const l = await pushBlob(reg, repo, randomLayer());
      sizes.set(l.digest, l.size);
      layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l });
    }
    const configBytes = Buffer.from(
      JSON.stringify({
        architecture,
        os,
        created: '2025-01-01T00:00:00Z',
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
        config: {},
      }),
    );
    const config = await pushBlob(reg, repo, configBytes);
    sizes.set(config.digest, config.size);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers,
      }),
    );
    await put(
      `${reg.url}/v2/${repo}/manifests/${sha256(manifest)}`,
      manifest,
      'application/vnd.oci.image.manifest.v1+json',
    );
    entries.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: sha256(manifest),
      size: manifest.length,
      platform: { os, architecture },
    });
  }
  const index = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: entries }),
  );
  await put(`${reg.url}/v2/${repo}/manifests/${tag}`, index, 'application/vnd.oci.image.index.v1+json');
  return { digest: sha256(index), sizes };
}

/** The bundle as the runner starts it: a fresh node process with INPUT_* and the GITHUB_* files. */
async function promote(source, target, n) {
  const dir = join(work, `run-${n}`);
  mkdirSync(join(dir, 'home'), { recursive: true });
  const files = {
    GITHUB_OUTPUT: 'output',
    GITHUB_STATE: 'state',
    GITHUB_ENV: 'env',
    GITHUB_PATH: 'path',
    GITHUB_STEP_SUMMARY: 'summary.md',
  };
  const env = {
    PATH: process.env.PATH,
    HOME: join(dir, 'home'),
    GITHUB_ACTIONS: 'true',
    RUNNER_TEMP: dir,
    INPUT_SOURCE: source,
    INPUT_TARGETS: target,
  };
  for (const [k, f] of Object.entries(files)) {
    env[k] = join(dir, f);
    writeFileSync(env[k], '');
  }
  for (const [k, v] of Object.entries({
    referrers: 'all',
    force: 'false',
    'require-signature': 'false',
    'dry-run': 'false',
  })) {
    env[`INPUT_${k.toUpperCase()}`] = v;
  }
  const r = await timed(process.execPath, [bundle], env);
  const outputs = {};
  const lines = readFileSync(env.GITHUB_OUTPUT, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i]);
    if (!m) continue;
    const value = [];
    for (i++; lines[i] !== m[2]; i++) value.push(lines[i]);
    outputs[m[1]] = value.join('\n');
  }
  return { ms: r.ms, outputs };
}

// skopeo keeps its blob-info cache in /var/lib/containers/cache (root) with no flag to move it:
// a private mount namespace with an empty tmpfs there gives each run a cold cache without
// touching the machine's own (as bench/oci-copy.mjs does).
const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['-m', 'true']).status === 0;
function skopeo(src, dst, n) {
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
  const home = join(work, `skopeo-home-${n}`);
  mkdirSync(home);
  return timed('env', [`HOME=${home}`, `XDG_DATA_HOME=${home}`, 'skopeo', ...copy]);
}

function digestOf(ref) {
  const r = spawnSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`]);
  if (r.status !== 0) throw new Error(`skopeo inspect ${ref}: ${r.stderr}`);
  return sha256(r.stdout);
}

const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
const mb = (b) => `${(b / MiB).toFixed(1)} MiB`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const reg = await startRegistry(bench);
console.log(`registry ${reg.host}; skopeo cache: ${canUnshare ? 'fresh tmpfs per run' : 'fresh HOME per run'}`);
console.log(`pushing a 2-platform index, ${LAYERS} layers x ${LAYER_MB} MB per platform...`);
const src = await pushSource(reg, 'bench/source', 'v1');
const layerBytes = [...src.sizes.values()].reduce((a, b) => a + b, 0);
console.log(`source ${reg.host}/bench/source:v1 = ${src.digest} (${mb(layerBytes)} of blobs)`);

const bytesOf = (set) => [...set].reduce((n, d) => n + (src.sizes.get(d) ?? 0), 0);
const ours = [];
const theirs = [];
for (let n = 1; n <= RUNS; n++) {
  // Alternate the order so neither side always runs on a warmer page cache.
  const order = n % 2 ? ['skopeo', 'promote'] : ['promote', 'skopeo'];
  for (const who of order) {
    // the page cache written back first: neither side pays for the other's disk writes
    spawnSync('sync');
    const repo = `bench/${who}-${n}`;
    const mark = statSync(reg.logFile).size;
    if (who === 'skopeo') {
      const r = await skopeo(`${reg.host}/bench/source@${src.digest}`, `${reg.host}/${repo}:v1`, n);
      const t = transfersSince(reg, repo, mark);
      theirs.push({ ms: r.ms, uploaded: bytesOf(t.uploaded), mounts: t.mounts, requests: t.requests });
    } else {
      const r = await promote(`${reg.host}/bench/source@${src.digest}`, `${reg.host}/${repo}:v1`, n);
      const t = transfersSince(reg, repo, mark);
      if (r.outputs.digest !== src.digest)
        throw new Error(`promote output digest ${r.outputs.digest}, expected ${src.digest}`);
      ours.push({
        ms: r.ms,
        uploaded: bytesOf(t.uploaded),
        mounts: t.mounts,
        requests: t.requests,
        reported: Number(r.outputs['bytes-copied']),
        blobs: r.outputs.blobs,
      });
    }
    const d = digestOf(`${reg.host}/${repo}:v1`);
    if (d !== src.digest) throw new Error(`${who} run ${n}: ${repo}:v1 is ${d}, expected ${src.digest}`);
  }
  const o = ours.at(-1);
  const s = theirs.at(-1);
  console.log(
    `run ${n}: promote ${fmt(o.ms)} (blobs ${o.blobs}, ${o.mounts} mounts, ${mb(o.uploaded)} uploaded, ${o.requests} requests) | ` +
      `skopeo ${fmt(s.ms)} (${s.mounts} mounts, ${mb(s.uploaded)} uploaded, ${s.requests} requests) | ratio ${(s.ms / o.ms).toFixed(1)}x`,
  );
}

const ratio = median(theirs.map((s) => s.ms)) / median(ours.map((o) => o.ms));
console.log('\nsummary (medians, same-registry cross-repository promote, digests checked with skopeo inspect)');
console.log(
  `  promote bundle:    ${fmt(median(ours.map((o) => o.ms)))}, layer bytes uploaded ${median(ours.map((o) => o.uploaded))} (output bytes-copied ${median(ours.map((o) => o.reported))})`,
);
console.log(
  `  skopeo copy --all: ${fmt(median(theirs.map((s) => s.ms)))}, layer bytes uploaded ${mb(median(theirs.map((s) => s.uploaded)))}`,
);
console.log(`  ratio: promote is ${ratio.toFixed(1)}x faster than skopeo (goal >= 10x)`);
// The registry child keeps the event loop alive: stop it, remove the storage, and leave.
await finish(0);
