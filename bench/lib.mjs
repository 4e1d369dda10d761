// What the benchmark scripts share: numeric `--name value` options, a temporary folder whose
// child processes are stopped and which is removed however the script ends, and a throwaway
// distribution registry (docker-registry) on a free 127.0.0.1 port with its access log on, so
// that requests can be counted from the server's side. Also the small helpers several scripts
// use: a timed child process, and a blob pushed by plain HTTP to set a registry up.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `--name 12` on the command line as a number, else `fallback`. */
export function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/**
 * A temporary folder for one benchmark run. Children given to `track` are stopped, and the
 * folder removed, by `finish(code)` (which exits), on SIGINT/SIGTERM, on an uncaught exception,
 * and as a last resort on any exit. `atFinish(fn)` runs fn first (closing clients and the like).
 */
export function benchWorkspace(prefix) {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const children = new Set();
  const before = [];
  const track = (child) => {
    children.add(child);
    child.on('exit', () => children.delete(child));
    return child;
  };
  const finish = async (code) => {
    for (const fn of before) await Promise.resolve(fn()).catch(() => {});
    for (const c of children) c.kill('SIGTERM');
    const exited = Promise.all([...children].map((c) => once(c, 'exit')));
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    for (const c of children) c.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
    process.exit(code);
  };
  process.on('exit', () => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => finish(130));
  process.on('uncaughtException', (err) => {
    console.error(err);
    finish(1);
  });
  /** Runs `cmd` as a tracked child; resolves with its wall time and stdout, rejects on a non-zero exit. */
  const timed = (cmd, args, env = process.env) =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      const child = track(spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env }));
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('close', (code) => {
        const ms = performance.now() - t0;
        if (code !== 0) {
          const last = (err || out).trim().split('\n').at(-1);
          reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed (${code}): ${last}`));
        } else resolve({ ms, out });
      });
    });
  return { work, track, finish, timed, atFinish: (fn) => before.push(fn) };
}

export const sha256 = (bytes) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Pushes one blob (monolithic upload) to `<reg.url>/v2/<repo>`; resolves with its digest and size. */
export async function pushBlob(reg, repo, bytes) {
  const digest = sha256(bytes);
  const start = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`start upload: ${start.status}`);
  const loc = new URL(start.headers.get('location'), reg.url);
  loc.searchParams.set('digest', digest);
  const res = await fetch(loc, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
  if (!res.ok) throw new Error(`PUT ${loc}: ${res.status} ${await res.text()}`);
  return { digest, size: bytes.length };
}

async function freePort() {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  return port;
}

/**
 * Starts docker-registry with deletes enabled and its access log on, storage under
 * `<work>/<name>`; resolves once /v2/ answers. Upload purging is off (nothing is left behind
 * by a benchmark that would need it).
 */
export async function startRegistry({ work, track }, name = 'registry') {
  const port = await freePort();
  const dir = join(work, name);
  mkdirSync(join(dir, 'data'), { recursive: true });
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log: {level: info, formatter: text, accesslog: {disabled: false}}',
      `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}, delete: {enabled: true}, maintenance: {uploadpurging: {enabled: false}}}`,
      `http: {addr: 127.0.0.1:${port}, secret: bench-${port}}`,
      '',
    ].join('\n'),
  );
  const logFile = join(dir, 'registry.log');
  const log = openSync(logFile, 'a');
  track(spawn('docker-registry', ['serve', config], { stdio: ['ignore', log, log] }));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/v2/`)).ok) return { host: `127.0.0.1:${port}`, url, logFile };
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not start; see ${logFile}`);
}
