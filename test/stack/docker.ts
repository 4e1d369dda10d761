// The Docker engine of the stack: reuses a daemon that already answers (DOCKER_HOST, or the
// system socket), otherwise starts its own dockerd with every path (data, exec state, socket,
// its own containerd) under the stack's temp dir and without touching the host's networks.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { logTail, type Managed, run, sleep, startProcess, stopProcess, which } from './processes.js';
import type { DockerEndpoint } from './types.js';

export interface StartedDocker {
  endpoint: DockerEndpoint;
  /** undefined when an existing daemon is reused */
  process?: Managed;
  /** the daemon's log, when the stack started it */
  logFile?: string;
}

const READY_TIMEOUT_MS = 60_000;
const SYSTEM_SOCKET = '/var/run/docker.sock';

async function answers(cli: string, host: string): Promise<boolean> {
  const r = await run(cli, ['version', '--format', '{{.Server.Version}}'], {
    env: { ...process.env, DOCKER_HOST: host },
    timeoutMs: 10_000,
  });
  return r.code === 0 && r.stdout.trim() !== '';
}

/** A daemon that already runs and answers, or undefined. */
export async function findRunningDocker(): Promise<DockerEndpoint | undefined> {
  const cli = which('docker');
  if (!cli) throw new Error('docker CLI not found on PATH (Debian package docker.io)');
  const fromEnv = process.env.DOCKER_HOST;
  if (fromEnv) {
    if (await answers(cli, fromEnv)) return { host: fromEnv, started: false };
    throw new Error(`DOCKER_HOST=${fromEnv} is set but 'docker version' gets no answer from that daemon`);
  }
  if (existsSync(SYSTEM_SOCKET) && (await answers(cli, `unix://${SYSTEM_SOCKET}`))) {
    return { host: `unix://${SYSTEM_SOCKET}`, started: false };
  }
  return undefined;
}

export async function startDocker(root: string): Promise<StartedDocker> {
  const cli = which('docker');
  const dockerd = which('dockerd') ?? ['/usr/sbin/dockerd', '/usr/bin/dockerd'].find((p) => existsSync(p));
  if (!cli || !dockerd) throw new Error('docker/dockerd not found (Debian package docker.io)');
  const dataRoot = join(root, 'docker-root');
  const execRoot = join(root, 'docker-exec');
  const socket = join(root, 'docker.sock');
  const logFile = join(root, 'dockerd.log');
  const configFile = join(root, 'daemon.json');
  // unix socket paths are limited to 107 bytes; containerd's lives deepest
  const deepest = join(execRoot, 'containerd', 'containerd-debug.sock');
  if (deepest.length > 100) throw new Error(`temp dir ${root} is too long for dockerd's unix sockets`);
  mkdirSync(dataRoot, { recursive: true });
  mkdirSync(execRoot, { recursive: true });
  // an empty config file keeps a host /etc/docker/daemon.json out of this daemon
  writeFileSync(configFile, '{}\n');
  const host = `unix://${socket}`;
  const proc = startProcess(
    'dockerd',
    dockerd,
    [
      '--bridge=none',
      '--iptables=false',
      '--ip-forward=false',
      '--ip-masq=false',
      `--data-root=${dataRoot}`,
      `--exec-root=${execRoot}`,
      `--pidfile=${join(root, 'docker.pid')}`,
      `--config-file=${configFile}`,
      // dockerd starts its own containerd under exec-root unless a system one runs at
      // /run/containerd; then namespaces of our own keep this daemon's objects apart
      `--containerd-namespace=${basename(root)}`,
      `--containerd-plugins-namespace=${basename(root)}-plugins`,
      `-H`,
      host,
    ],
    logFile,
  );
  let exit: string | undefined;
  void proc.exited.then((e) => {
    exit = e;
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exit !== undefined) {
      throw new Error(`dockerd exited with ${exit} while starting; last lines of ${logFile}:\n${logTail(logFile)}`);
    }
    if (existsSync(socket) && (await answers(cli, host))) {
      return { endpoint: { host, started: true }, process: proc, logFile };
    }
    await sleep(150);
  }
  await stopProcess(proc);
  throw new Error(
    `dockerd did not answer on ${host} within ${READY_TIMEOUT_MS / 1000} s; last lines of ${logFile}:\n${logTail(logFile)}`,
  );
}

/** Lazily unmounts whatever the daemon left mounted under `root`, so that the dir can be removed. */
export function unmountUnder(root: string): void {
  let mounts: string[];
  try {
    mounts = readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .map((p) => p.replace(/\\040/g, ' '))
      .filter((p) => p === root || p.startsWith(`${root}/`));
  } catch {
    return;
  }
  for (const mount of mounts.sort().reverse()) {
    try {
      execFileSync('umount', ['-l', mount], { stdio: 'ignore' });
    } catch {
      // not ours to unmount, or already gone
    }
  }
}
