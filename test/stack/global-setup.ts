// Starts the real test stack once before all test files and tears it down after them: four
// distribution registries (anonymous, a second anonymous, htpasswd, bearer token with the
// in-process token server), a Docker engine, and the paths of skopeo and a static busybox.
// Tests get the endpoints through `inject('stack')` (see types.ts). Everything lives under one
// short temp dir; STACK_KEEP=1 keeps it for inspection, STACK_SKIP_DOCKER=1 (outside CI) runs
// without a Docker engine. In CI (CI=true) any missing component fails the run.
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { findRunningDocker, type StartedDocker, startDocker, unmountUnder } from './docker.js';
import { type Managed, onExitSync, run, stopProcess, which } from './processes.js';
import { type StartedRegistry, startRegistry } from './registry.js';
import { startTokenServer, type TokenServer, type TokenUser } from './token-server.js';
import type { Stack, StackUser } from './types.js';

export const TOKEN_SERVICE = 'stack-registry';
export const TOKEN_ISSUER = 'stack-token-issuer';

const inCi = () => process.env.CI === 'true' || process.env.CI === '1';

function password(): string {
  return randomBytes(18).toString('base64url');
}

/** True when the ELF file has no program interpreter (PT_INTERP), i.e. is statically linked. */
export function isStaticElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64);
    readSync(fd, head, 0, 64, 0);
    if (head.readUInt32BE(0) !== 0x7f454c46) return false;
    const is64 = head[4] === 2;
    const le = head[5] === 1;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const phoff = is64 ? Number(le ? head.readBigUInt64LE(0x20) : head.readBigUInt64BE(0x20)) : u32(head, 0x1c);
    const phentsize = u16(head, is64 ? 0x36 : 0x2a);
    const phnum = u16(head, is64 ? 0x38 : 0x2c);
    const table = Buffer.alloc(phentsize * phnum);
    readSync(fd, table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) {
      if (u32(table, i * phentsize) === 3 /* PT_INTERP */) return false;
    }
    return true;
  } finally {
    closeSync(fd);
  }
}

function findBusybox(): string {
  for (const candidate of ['/bin/busybox', '/usr/bin/busybox']) {
    try {
      if (isStaticElf(candidate)) return candidate;
    } catch {
      // missing or unreadable
    }
  }
  throw new Error('no static busybox at /bin/busybox (Debian package busybox-static)');
}

async function makeSigningCert(dir: string): Promise<{ keyPem: string; certPem: string; certFile: string }> {
  const openssl = which('openssl');
  if (!openssl) throw new Error('openssl not found (Debian package openssl)');
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  const r = await run(openssl, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '2',
    '-subj',
    `/CN=${TOKEN_ISSUER}`,
  ]);
  if (r.code !== 0) throw new Error(`openssl could not make the token signing certificate: ${r.stderr.trim()}`);
  return { keyPem: readFileSync(keyFile, 'utf8'), certPem: readFileSync(certFile, 'utf8'), certFile };
}

async function makeHtpasswd(file: string, user: StackUser): Promise<void> {
  const htpasswd = which('htpasswd');
  if (!htpasswd) throw new Error('htpasswd not found (Debian package apache2-utils)');
  // -i reads the password from stdin, so it never shows in a process list
  const r = await run(htpasswd, ['-B', '-i', '-c', file, user.username], { input: user.password });
  if (r.code !== 0) throw new Error(`htpasswd failed (exit ${r.code}): ${r.stderr.trim()}`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  // short: dockerd's and containerd's unix sockets live under it
  const root = mkdtempSync('/tmp/stack-');
  const processes: Managed[] = [];
  let tokenServer: TokenServer | undefined;
  let docker: StartedDocker | undefined;

  const removeRoot = () => {
    if (process.env.STACK_KEEP === '1') {
      console.log(`[stack] kept ${root} (STACK_KEEP=1)`);
      return;
    }
    // dockerd may leave overlay and netns mounts behind when it was stopped hard
    unmountUnder(root);
    try {
      rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    } catch (err) {
      console.warn(`[stack] could not remove ${root}: ${(err as Error).message}`);
    }
  };
  // vitest killed (SIGTERM, Ctrl-C): the processes get SIGTERM and are waited for, then this
  const forgetExitCleanup = onExitSync(removeRoot);

  const teardown = async () => {
    forgetExitCleanup();
    const t0 = Date.now();
    // dockerd gets longer: it stops its containerd and unmounts before it exits
    const dockerProc = docker?.process;
    await Promise.all([
      ...processes.filter((p) => p !== dockerProc).map((p) => stopProcess(p)),
      dockerProc ? stopProcess(dockerProc, 20_000) : Promise.resolve(),
      tokenServer?.close(),
    ]);
    removeRoot();
    console.log(`[stack] stopped in ${Date.now() - t0} ms`);
  };

  try {
    const skopeo = which('skopeo');
    if (!skopeo) throw new Error('skopeo not found on PATH (Debian package skopeo)');
    const busybox = findBusybox();
    const registryBin = which('docker-registry') ?? which('registry');
    if (!registryBin) throw new Error('docker-registry not found on PATH (Debian package docker-registry)');

    const skipDocker = process.env.STACK_SKIP_DOCKER === '1' && !inCi();
    const dockerReady: Promise<StartedDocker | undefined> = skipDocker
      ? Promise.resolve(undefined)
      : findRunningDocker().then((found) => (found ? { endpoint: found } : startDocker(root)));
    // keep a handle even if a later step fails, so teardown stops a daemon that did start
    const dockerTracked = dockerReady.then((d) => {
      docker = d;
      if (d?.process) processes.push(d.process);
      return d;
    });

    const registries = join(root, 'registries');
    const start = async (name: string, auth: Parameters<typeof startRegistry>[3]): Promise<StartedRegistry> => {
      const r = await startRegistry(registryBin, name, join(registries, name), auth);
      processes.push(r.process);
      return r;
    };

    const htUser: StackUser = { username: 'stack-user', password: password() };
    const htDir = join(registries, 'htpasswd');
    mkdirSync(htDir, { recursive: true });
    const htpasswdReady = makeHtpasswd(join(htDir, 'htpasswd'), htUser).then(() =>
      start('htpasswd', { kind: 'htpasswd', path: join(htDir, 'htpasswd') }),
    );

    const users: TokenUser[] = [
      { username: 'admin', password: password(), role: 'admin' },
      { username: 'reader', password: password(), role: 'reader' },
      { username: 'limited', password: password(), role: 'limited' },
    ];
    const tokenDir = join(registries, 'token');
    mkdirSync(tokenDir, { recursive: true });
    const tokenReady = (async () => {
      const cert = await makeSigningCert(tokenDir);
      tokenServer = await startTokenServer({
        service: TOKEN_SERVICE,
        issuer: TOKEN_ISSUER,
        keyPem: cert.keyPem,
        certPem: cert.certPem,
        users,
        logFile: join(tokenDir, 'token-server.log'),
      });
      writeFileSync(join(tokenDir, 'token-server.log'), '', { flag: 'a' });
      const registry = await start('token', {
        kind: 'token',
        realm: `${tokenServer.url}/token`,
        service: TOKEN_SERVICE,
        issuer: TOKEN_ISSUER,
        rootCertBundle: cert.certFile,
      });
      return { registry, url: tokenServer.url };
    })();

    // wait for every component even when one fails, so that teardown sees all that started
    const settled = await Promise.allSettled([
      start('anonymous', { kind: 'none' }),
      start('anonymous2', { kind: 'none' }),
      htpasswdReady,
      tokenReady,
      dockerTracked,
    ] as const);
    const failures = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
    if (failures.length > 0) {
      throw new Error(`test stack failed to start:\n${failures.map((e) => `- ${e.message}`).join('\n')}`);
    }
    const value = <T>(r: PromiseSettledResult<T>): T => (r as PromiseFulfilledResult<T>).value;
    const anonymous = value(settled[0]);
    const anonymous2 = value(settled[1]);
    const htpasswd = value(settled[2]);
    const token = value(settled[3]);
    const dockerEndpoint = value(settled[4]);

    const byRole = (role: TokenUser['role']): StackUser => {
      const u = users.find((x) => x.role === role)!;
      return { username: u.username, password: u.password };
    };
    const stack: Stack = {
      anonymous: anonymous.endpoint,
      anonymous2: anonymous2.endpoint,
      htpasswd: { ...htpasswd.endpoint, user: htUser },
      token: {
        ...token.registry.endpoint,
        tokenUrl: token.url,
        service: TOKEN_SERVICE,
        admin: byRole('admin'),
        reader: byRole('reader'),
        limited: byRole('limited'),
      },
      docker: dockerEndpoint?.endpoint ?? null,
      skopeo,
      busybox,
    };
    project.provide('stack', stack);
    const dockerNote = stack.docker
      ? `docker ${stack.docker.started ? 'started' : 'reused'} at ${stack.docker.host}`
      : 'docker skipped (STACK_SKIP_DOCKER=1)';
    console.log(`[stack] ready in ${Date.now() - started} ms under ${root}; ${dockerNote}`);
    return teardown;
  } catch (err) {
    await teardown();
    throw err;
  }
}
