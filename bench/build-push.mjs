// Benchmark: the build-push bundle (plain docker builder) against `docker build && docker push`
// by hand, same context, alternating in one run. Prints median times and the ratio.
// Usage: node bench/build-push.mjs [rounds]   (needs dist/build-push/index.js; DOCKER_HOST is
// reused when set, otherwise Debian's dockerd is started on its own socket)
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bundle = join(root, 'dist/build-push/index.js');
const rounds = Number(process.argv[2] ?? 7);
const dir = mkdtempSync(join(tmpdir(), 'bench-bp-'));
const children = [];

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function start(cmd, args, log) {
  const fd = openSync(log, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
  children.push(child);
  return child;
}

async function waitFor(check, what) {
  for (let i = 0; i < 150; i++) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not start`);
}

function cleanup() {
  for (const c of children.reverse()) c.kill('SIGTERM');
}
process.on('exit', cleanup);

const port = await freePort();
const registry = `127.0.0.1:${port}`;
mkdirSync(join(dir, 'registry'));
writeFileSync(
  join(dir, 'registry.yml'),
  `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/registry\nhttp:\n  addr: ${registry}\n`,
);
start('docker-registry', ['serve', join(dir, 'registry.yml')], join(dir, 'registry.log'));
await waitFor(async () => (await fetch(`http://${registry}/v2/`)).ok, 'docker-registry');

let dockerHost = process.env.DOCKER_HOST;
if (!dockerHost) {
  const d = mkdtempSync('/tmp/bd-');
  dockerHost = `unix://${d}/docker.sock`;
  start(
    'dockerd',
    [
      '--data-root',
      `${d}/data`,
      '--exec-root',
      `${d}/exec`,
      '--pidfile',
      `${d}/pid`,
      '--host',
      dockerHost,
      '--bridge=none',
      '--iptables=false',
      '--ip6tables=false',
      '--ip-forward=false',
    ],
    join(d, 'dockerd.log'),
  );
}
const env = { ...process.env, DOCKER_HOST: dockerHost, DOCKER_CONFIG: join(dir, 'docker-config') };
mkdirSync(env.DOCKER_CONFIG);
writeFileSync(join(env.DOCKER_CONFIG, 'config.json'), '{}');
await waitFor(() => execFileSync('docker', ['version'], { env, stdio: 'ignore' }) !== undefined, 'dockerd');

const ctx = join(dir, 'context');
mkdirSync(ctx);
copyFileSync('/usr/bin/busybox', join(ctx, 'busybox'));
writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY data /data\n');

function fresh() {
  // new content each round: both sides really build, compress and upload a layer
  writeFileSync(join(ctx, 'data'), randomBytes(4 * 1024 * 1024));
}

function timed(fn) {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function byHand(i) {
  const tag = `${registry}/bench/hand:r${i}`;
  execFileSync('docker', ['build', '--network', 'host', '-q', '-t', tag, ctx], {
    env: { ...env, DOCKER_BUILDKIT: '0' },
    stdio: 'ignore',
  });
  execFileSync('docker', ['push', '-q', tag], { env, stdio: 'ignore' });
}

function action(i) {
  const run = join(dir, `run-${i}`);
  mkdirSync(run);
  const files = ['output', 'state', 'summary', 'env', 'path'].map((f) => join(run, f));
  for (const f of files) writeFileSync(f, '');
  const out = execFileSync(process.execPath, [bundle], {
    cwd: ctx,
    env: {
      ...env,
      GITHUB_WORKSPACE: ctx,
      RUNNER_TEMP: run,
      GITHUB_OUTPUT: files[0],
      GITHUB_STATE: files[1],
      GITHUB_STEP_SUMMARY: files[2],
      GITHUB_ENV: files[3],
      GITHUB_PATH: files[4],
      INPUT_BUILDER: 'docker',
      INPUT_TAGS: `${registry}/bench/action:r${i}`,
      INPUT_CONTEXT: '.',
      INPUT_PUSH: 'true',
      INPUT_RETRIES: '3',
    },
    encoding: 'utf8',
  });
  if (!readFileSync(files[0], 'utf8').includes('digest')) throw new Error(`the action pushed nothing:\n${out}`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const hand = [];
const act = [];
fresh();
byHand('warm');
action('warm');
for (let i = 0; i < rounds; i++) {
  fresh();
  if (i % 2 === 0) {
    act.push(timed(() => action(i)));
    hand.push(timed(() => byHand(i)));
  } else {
    hand.push(timed(() => byHand(i)));
    act.push(timed(() => action(i)));
  }
}
const a = median(act);
const h = median(hand);
console.log(`docker build && docker push: median ${h.toFixed(0)} ms (${hand.map((x) => x.toFixed(0)).join(', ')})`);
console.log(`build-push (docker builder):  median ${a.toFixed(0)} ms (${act.map((x) => x.toFixed(0)).join(', ')})`);
console.log(`ratio: ${(a / h).toFixed(2)}x (target <= 1.10x)`);
cleanup();
rmSync(dir, { recursive: true, force: true });
