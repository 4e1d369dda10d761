// The seam for the docker CLI (and its buildx plugin): every docker process any action starts
// goes through here, so tests and other actions share one way to call it and to read its errors.
import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { OperationError } from '../errors.js';
import {
  type CommandOptions,
  type CommandResult,
  type CommandRunner,
  lastMeaningfulLine,
  runCommand,
} from '../exec.js';

export interface DockerCliOptions {
  /** replaces the process runner (default: runCommand) */
  runner?: CommandRunner;
  /** environment for every docker process (default: process.env); DOCKER_HOST/DOCKER_CONFIG come from here */
  env?: NodeJS.ProcessEnv;
  /** the docker binary (default: `docker` from PATH) */
  binary?: string;
}

export class DockerCli {
  readonly binary: string;
  readonly env: NodeJS.ProcessEnv;
  private readonly runner: CommandRunner;

  constructor(options: DockerCliOptions = {}) {
    this.binary = options.binary ?? 'docker';
    this.env = options.env ?? process.env;
    this.runner = options.runner ?? runCommand;
  }

  run(args: string[], options: CommandOptions = {}): Promise<CommandResult> {
    return this.runner(this.binary, args, {
      ...options,
      env: options.env ?? this.env,
      description: options.description ?? `docker ${args[0] ?? ''}`.trim(),
    });
  }

  /** True when the docker CLI is installed (whether or not a daemon answers). */
  async available(): Promise<boolean> {
    try {
      return (await this.run(['--version'], { allowFailure: true })).code === 0;
    } catch {
      return false;
    }
  }

  /** The buildx plugin version (`0.13.1`), or undefined when the CLI has no buildx. */
  async buildxVersion(): Promise<string | undefined> {
    try {
      const r = await this.run(['buildx', 'version'], { allowFailure: true });
      if (r.code !== 0) return undefined;
      return /v?(\d+\.\d+\.\d+)/.exec(r.stdout)?.[1] ?? 'unknown';
    } catch {
      return undefined;
    }
  }

  /** The daemon's version (`26.1.5`); throws an OperationError when no daemon answers. */
  async serverVersion(): Promise<string> {
    const r = await this.run(['version', '--format', '{{.Server.Version}}'], { description: 'docker version' });
    return r.stdout.trim();
  }

  /** `docker image inspect` of one image, or null when the engine does not have it. */
  async imageInspect(ref: string): Promise<DockerImageInspect | null> {
    const r = await this.run(['image', 'inspect', ref], { allowFailure: true, description: 'docker image inspect' });
    if (r.code !== 0) {
      if (/no such image/i.test(r.stderr)) return null;
      throw new OperationError(`inspecting image ${ref} with docker`, r.stderr.trim().split('\n').at(-1) ?? '');
    }
    const list = JSON.parse(r.stdout) as DockerImageInspect[];
    return list[0] ?? null;
  }

  /** Writes `docker save` of the images to a tar file. */
  async save(refs: string[], file: string): Promise<void> {
    await this.run(['save', '-o', file, ...refs], { description: 'docker save' });
  }

  /**
   * Streams `docker save` of the images (an uncompressed tar) into `consume` as docker writes it,
   * so that the archive need not be written to disk first. Fails with docker's last error line
   * when the save fails; stops docker when `consume` fails.
   */
  async saveStream<T>(refs: string[], consume: (archive: Readable) => Promise<T>): Promise<T> {
    const child = spawn(this.binary, ['save', ...refs], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr: Buffer[] = [];
    child.stderr.on('data', (d: Buffer) => stderr.push(d));
    const exited = new Promise<string | undefined>((resolve) => {
      child.on('error', (e: NodeJS.ErrnoException) =>
        resolve(e.code === 'ENOENT' ? `'${this.binary}' is not installed or not on PATH` : e.message),
      );
      child.on('close', (code, signal) => {
        if (code === 0) return resolve(undefined);
        const line = lastMeaningfulLine(Buffer.concat(stderr).toString('utf8'));
        const how = signal ? `killed by ${signal}` : `exit code ${code}`;
        resolve(line ? `${how}: ${line}` : how);
      });
    });
    let result: T;
    try {
      result = await consume(child.stdout);
    } catch (e) {
      child.kill('SIGTERM');
      const failure = await exited;
      // a failing docker explains a broken archive better than the reader does
      if (failure && !/killed by/.test(failure)) throw new OperationError('running docker save', failure, { cause: e });
      throw e;
    }
    const failure = await exited;
    if (failure) throw new OperationError('running docker save', failure);
    return result;
  }

  async tag(source: string, target: string): Promise<void> {
    await this.run(['tag', source, target], { description: 'docker tag' });
  }

  /**
   * `docker push` of one tagged reference: the engine uploads what the registry lacks (blobs it
   * knows to be there are only checked, blobs in another repository of the registry are
   * mounted), then puts the manifest under the tag. Fails with docker's last meaningful line.
   */
  async push(ref: string, options: Pick<CommandOptions, 'onLine'> = {}): Promise<DockerPushResult> {
    const r = await this.run(['push', ref], { allowFailure: true, description: 'docker push', onLine: options.onLine });
    if (r.code !== 0) {
      const line = lastMeaningfulLine(r.stderr) || lastMeaningfulLine(r.stdout);
      throw new OperationError(`pushing ${ref} with docker`, line || `exit code ${r.code}`);
    }
    return parsePushOutput(r.stdout);
  }

  /** Loads an image archive (docker-archive or OCI layout tar) into the engine. */
  async load(file: string): Promise<void> {
    await this.run(['load', '-i', file], { description: 'docker load' });
  }
}

/** What `docker push` said it did. */
export interface DockerPushResult {
  /** the manifest digest docker reports (`<tag>: digest: sha256:... size: N`), when it printed one */
  digest?: string;
  /** layers uploaded, mounted from another repository, and already present */
  pushed: number;
  mounted: number;
  existed: number;
}

/** Reads the per-layer results and the digest line of `docker push` output (no terminal). */
export function parsePushOutput(stdout: string): DockerPushResult {
  const result: DockerPushResult = { pushed: 0, mounted: 0, existed: 0 };
  for (const raw of stdout.split(/\r?\n/)) {
    const line = raw.trim();
    const digest = /\bdigest: (sha256:[0-9a-f]{64}) size: \d+/.exec(line);
    if (digest) result.digest = digest[1];
    else if (/^[0-9a-f]+: Pushed$/.test(line)) result.pushed++;
    else if (/^[0-9a-f]+: Mounted from /.test(line)) result.mounted++;
    else if (/^[0-9a-f]+: Layer already exists$/.test(line)) result.existed++;
  }
  return result;
}

/** What `docker image inspect` returns, as far as actions read it. */
export interface DockerImageInspect {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Size: number;
  Os: string;
  Architecture: string;
  Variant?: string;
  Config?: { Labels?: Record<string, string> | null };
  RootFS?: { Type: string; Layers?: string[] };
}

/** The docker client configuration folder: DOCKER_CONFIG, else ~/.docker (what registry-login writes). */
export function dockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
}

/** The docker config file holding registry credentials. */
export function dockerConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(dockerConfigDir(env), 'config.json');
}

/**
 * Docker's own rule for registries it talks to over plain HTTP without being told: loopback
 * hosts (127.0.0.0/8, localhost, ::1). Tools that need an explicit flag (buildah, skopeo) follow it.
 */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(1, registry.indexOf(']')) : registry.replace(/:\d+$/, '');
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}
