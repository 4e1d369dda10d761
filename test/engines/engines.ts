// Starts the newer engines for tests that need them: dockerd 26 with the containerd image store
// and the buildx 0.13 plugin, both from the tools folder scripts/install-engines.sh fills. The
// daemon gets its own socket, data-root and exec-root under a temp dir and never touches the
// host's networks. Started once per worker, on first use; stopped when the worker exits.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const enginesDir = process.env.ENGINES_DIR ?? resolve(import.meta.dirname, '../../.tools/engines');

export interface Engines {
  /** DOCKER_HOST for the dockerd 26 daemon */
  dockerHost: string;
  /** a DOCKER_CONFIG folder whose config.json points the CLI at the buildx plugin */
  dockerConfig: string;
  /** the docker 26 CLI */
  dockerCli: string;
  /** a PATH with the docker 26 CLI first */
  path: string;
  /** environment for a process that should use these engines */
  env: Record<string, string>;
  /** the daemon's log */
  logFile: string;
}

let started: Promise<Engines> | undefined;
let daemon: ChildProcess | undefined;
let root: string | undefined;

function stop(): void {
  if (daemon && daemon.exitCode === null) {
    daemon.kill('SIGTERM');
    try {
      // dockerd stops its containerd too; give it a moment so the data-root can be removed
      execFileSync('sh', ['-c', `for i in $(seq 50); do kill -0 ${daemon.pid} 2>/dev/null || exit 0; sleep 0.1; done`]);
    } catch {
      // still running: leave the folder
    }
  }
  if (root) {
    // overlay mounts of the image store may still be held; unmount what is under the root first
    try {
      execFileSync('sh', ['-c', `grep -o " ${root}[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l`]);
    } catch {
      // nothing mounted
    }
    rmSync(root, { recursive: true, force: true });
  }
}

async function waitForSocket(cli: string, host: string, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      execFileSync(cli, ['version', '--format', '{{.Server.Version}}'], {
        env: { ...process.env, DOCKER_HOST: host },
        stdio: 'pipe',
      });
      return;
    } catch {
      if (daemon?.exitCode !== null && daemon?.exitCode !== undefined) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  let tail = '';
  try {
    tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-15).join('\n');
  } catch {
    // no log written
  }
  throw new Error(`dockerd 26 did not start within ${timeoutMs / 1000} s; last lines of ${logFile}:\n${tail}`);
}

async function start(): Promise<Engines> {
  const dockerd = join(enginesDir, 'usr/sbin/dockerd');
  const dockerCli = join(enginesDir, 'usr/bin/docker');
  const plugins = join(enginesDir, 'usr/libexec/docker/cli-plugins');
  if (!existsSync(dockerd) || !existsSync(dockerCli) || !existsSync(join(plugins, 'docker-buildx'))) {
    throw new Error(`dockerd 26, its CLI or buildx are not in ${enginesDir}: run scripts/install-engines.sh`);
  }
  // a short path: unix socket paths are limited to 108 bytes
  root = mkdtempSync(join(tmpdir(), 'eng-'));
  const dockerConfig = join(root, 'config');
  mkdirSync(dockerConfig);
  writeFileSync(join(dockerConfig, 'config.json'), JSON.stringify({ cliPluginsExtraDirs: [plugins] }));
  const daemonConfig = join(root, 'daemon.json');
  writeFileSync(daemonConfig, JSON.stringify({ features: { 'containerd-snapshotter': true } }));
  const socket = join(root, 'docker.sock');
  const logFile = join(root, 'dockerd.log');
  const log = openSync(logFile, 'a');
  daemon = spawn(
    dockerd,
    [
      '--config-file',
      daemonConfig,
      '--data-root',
      join(root, 'data'),
      '--exec-root',
      join(root, 'exec'),
      '--pidfile',
      join(root, 'dockerd.pid'),
      '--host',
      `unix://${socket}`,
      '--bridge=none',
      '--iptables=false',
      '--ip6tables=false',
      '--ip-forward=false',
    ],
    // trixie's runc needs a newer glibc: the daemon must find bookworm's runc and containerd first
    { stdio: ['ignore', log, log], env: { ...process.env, PATH: `/usr/sbin:/usr/bin:/sbin:/bin` } },
  );
  process.once('exit', stop);
  // vitest may end a worker without running exit handlers: a watchdog stops the daemon and
  // removes its folder once this process is gone
  spawn(
    'sh',
    [
      '-c',
      `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill ${daemon.pid} 2>/dev/null; ` +
        `for i in $(seq 50); do kill -0 ${daemon.pid} 2>/dev/null || break; sleep 0.2; done; ` +
        `grep -o " ${root}[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l; rm -rf '${root}'`,
    ],
    { detached: true, stdio: 'ignore' },
  ).unref();
  const dockerHost = `unix://${socket}`;
  await waitForSocket(dockerCli, dockerHost, logFile, 90_000);
  const path = `${join(enginesDir, 'usr/bin')}:${process.env.PATH ?? ''}`;
  return {
    dockerHost,
    dockerConfig,
    dockerCli,
    path,
    env: { DOCKER_HOST: dockerHost, DOCKER_CONFIG: dockerConfig, PATH: path },
    logFile,
  };
}

/** The engines, started on the first call in this worker. */
export function startEngines(): Promise<Engines> {
  started ??= start();
  return started;
}
