// Benchmark: the build-push bundle on the plain docker builder path (`builder: docker`) against
// `docker build && docker push` by hand, same context, same daemon, same registry, in one run.
// Prints the median wall time of each side and the ratio (target: <= 1.10x).
//
// Self-contained: it starts its own docker-registry (distribution 2.8, config of
// test/stack/registry.ts) on a free 127.0.0.1 port and its own Debian dockerd (20.10) with
// --bridge=none --iptables=false and private data-root/exec-root/socket (test/stack/docker.ts),
// runs the bundle the way the runner does (test/harness/run-action.ts: INPUT_* variables with
// action.yml defaults, GITHUB_OUTPUT/GITHUB_STATE/GITHUB_STEP_SUMMARY files, then the post
// phase), stops both and removes everything it wrote. Nothing but 127.0.0.1 is contacted.
//
// Fairness: the two sides alternate (which one goes first flips every round), and before every
// single run the context gets a new `data` file, so each run builds, compresses and uploads one
// new layer, while the unchanged busybox layer is in the build cache and already in the
// target repository for both sides (each side pushes to its own repository, warmed once).
// On this path the action pushes with `docker push` itself (actions/build-push/src/docker-push.ts),
// so both sides upload the same bytes; the difference is the action's own cost: node and the
// bundle starting, the engine's network check, the digest and sizes read back from the registry.
// The action's main phase is what is compared (the post phase runs at the end of the job and is
// printed separately).
//
// Build the bundle first: node scripts/build.mjs build-push
// Usage: node bench/build-push.mjs [--rounds 5] [--data-mb 4]
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const register = join(root, 'scripts/ts-register.mjs');

// the harness and the stack helpers are TypeScript: run again with the project's loader
if (!process.execArgv.some((a) => a.includes('ts-register'))) {
  const r = spawnSync(
    process.execPath,
    ['--import', register, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    {
      stdio: 'inherit',
    },
  );
  process.exit(r.status ?? 1);
}

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}
const rounds = option('rounds', 5);
const dataMb = option('data-mb', 4);

const bundle = join(root, 'dist/build-push/index.js');
if (!existsSync(bundle)) {
  console.error('dist/build-push/index.js is missing: node scripts/build.mjs build-push');
  process.exit(1);
}

const { runAction } = await import(join(root, 'test/harness/run-action.ts'));
const { startRegistry } = await import(join(root, 'test/stack/registry.ts'));
const { startDocker, unmountUnder } = await import(join(root, 'test/stack/docker.ts'));
const { stopProcess, which } = await import(join(root, 'test/stack/processes.ts'));

// short: dockerd's unix sockets live under it (107-byte limit)
const dir = mkdtempSync('/tmp/bench-bp-');
let registry;
let docker;
let exitCode = 0;

async function cleanup() {
  if (docker?.process) await stopProcess(docker.process);
  if (registry) await stopProcess(registry.process);
  unmountUnder(dir);
  rmSync(dir, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    cleanup().finally(() => process.exit(130));
  });
}

function time(fn) {
  const started = process.hrtime.bigint();
  const value = fn();
  return Promise.resolve(value).then((v) => ({ ms: Number(process.hrtime.bigint() - started) / 1e6, value: v }));
}

function sh(command, args, env) {
  const r = spawnSync(command, args, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const list = (xs) => xs.map((x) => x.toFixed(0)).join(', ');

try {
  const registryBinary = which('docker-registry');
  if (!registryBinary) throw new Error('docker-registry not found (Debian package docker-registry)');
  registry = await startRegistry(registryBinary, 'bench', join(dir, 'registry'), { kind: 'none' });
  docker = await startDocker(join(dir, 'd'));
  const host = registry.endpoint.host;

  // the client side: a private docker config (no credential helpers of the host)
  const dockerConfig = join(dir, 'docker-config');
  mkdirSync(dockerConfig);
  writeFileSync(join(dockerConfig, 'config.json'), '{}');
  const env = { ...process.env, DOCKER_HOST: docker.endpoint.host, DOCKER_CONFIG: dockerConfig };
  const server = sh('docker', ['version', '--format', '{{.Server.Version}}'], env).trim();

  const context = join(dir, 'context');
  mkdirSync(context);
  copyFileSync(/* Debian busybox-static */ '/usr/bin/busybox', join(context, 'busybox'));
  writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY data /data\n');
  // a new layer for every single run: nothing of it is cached for either side
  const fresh = () => writeFileSync(join(context, 'data'), randomBytes(dataMb * 1024 * 1024));

  const byHand = (tag) => {
    const ref = `${host}/bench/hand:${tag}`;
    // the classic builder, as the action's docker path runs it (--network host: no bridge here)
    sh('docker', ['build', '--network', 'host', '--quiet', '--tag', ref, context], { ...env, DOCKER_BUILDKIT: '0' });
    sh('docker', ['push', '--quiet', ref], env);
  };

  const action = async (tag) => {
    const r = await runAction('build-push', {
      workspace: context,
      inputs: { builder: 'docker', tags: `${host}/bench/action:${tag}` },
      env: { DOCKER_HOST: env.DOCKER_HOST, DOCKER_CONFIG: dockerConfig, PATH: process.env.PATH },
      timeoutMs: 300_000,
    });
    rmSync(r.dir, { recursive: true, force: true });
    if (r.code !== 0 || !/^sha256:/.test(r.outputs.digest ?? '')) {
      throw new Error(`the action failed (exit ${r.code}): ${r.errors.join('; ')}\n${r.stdout}\n${r.stderr}`);
    }
    return { main: r.durationMs, post: r.post?.durationMs ?? 0 };
  };

  // warm-up: engine and registry caches, the busybox layer into both repositories
  fresh();
  byHand('warm');
  fresh();
  await action('warm');

  const hand = [];
  const act = [];
  const post = [];
  const runHand = async (i) => {
    fresh();
    hand.push((await time(() => byHand(`r${i}`))).ms);
  };
  const runAct = async (i) => {
    fresh();
    // the harness times each phase from spawning the bundle to its exit, like spawnSync above
    const { main, post: postMs } = await action(`r${i}`);
    act.push(main);
    post.push(postMs);
  };
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      await runAct(i);
      await runHand(i);
    } else {
      await runHand(i);
      await runAct(i);
    }
  }
  const h = median(hand);
  const a = median(act);
  const p = median(post);
  console.log(
    `dockerd ${server}, context: busybox ${(statSync('/usr/bin/busybox').size / 1e6).toFixed(1)} MB (cached layer) + ${dataMb} MiB new random data per run, ${rounds} runs each`,
  );
  console.log(`docker build && docker push:   median ${h.toFixed(0)} ms (${list(hand)})`);
  console.log(`build-push, builder docker:    median ${a.toFixed(0)} ms (${list(act)})`);
  console.log(`  its post phase (job end):    median ${p.toFixed(0)} ms (${list(post)})`);
  console.log(`ratio: ${(a / h).toFixed(2)}x (target <= 1.10x); with the post phase ${((a + p) / h).toFixed(2)}x`);
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
