// The three builders behind one shape: each builds the image and exports it as an OCI layout
// folder (nothing is pushed by the builder itself), so that sizes are measured before any push
// and the same uploader writes digests first and tags last for every builder. One exception:
// the classic docker builder pushing under tags leaves the image tagged in the engine for
// `docker push` (docker-push.ts) and exports nothing.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type LiveLog, type LiveLogOptions, openLiveLog } from '#shared/action/live-log.js';
import { DockerCli, dockerConfigFile, isLoopbackRegistry } from '#shared/docker/docker-cli.js';
import { engineHasNetwork } from '#shared/docker/engine-api.js';
import { ConfigurationError, OperationError } from '#shared/errors.js';
import { type CommandResult, type CommandRunner, runCommand } from '#shared/exec.js';
import { describeBuildFailure } from './build-errors.js';
import { dockerArchiveToLayout } from './docker-archive.js';
import { annotationKey, appliesTo, type BuilderChoice, type Inputs } from './inputs.js';
import { type LocalImage, readLayout } from './layout.js';

export type BuilderName = 'buildx' | 'docker' | 'buildah';

export interface BuildRequest {
  inputs: Inputs;
  /** absolute context and Dockerfile paths */
  context: string;
  dockerfile: string;
  /** secrets as files: [id, path] */
  secrets: Array<[string, string]>;
  /** cache arguments already resolved (buildx only) */
  cacheFrom: string[];
  cacheTo: string[];
  /** a private folder for the exported image and builder files */
  workDir: string;
  /** build RUN steps on the host network (the daemon has no bridge network) */
  hostNetwork: boolean;
  /** docker builder only: tag the image in the engine under `tags` (for `docker push`) */
  tagInEngine?: boolean;
}

export interface BuildOutput {
  image: LocalImage;
  /** config digest (one platform) or the index digest */
  imageId: string;
  /** what buildx wrote with --metadata-file, when buildx built */
  builderMetadata?: Record<string, unknown>;
}

export interface Engines {
  docker: DockerCli;
  runner: CommandRunner;
  env: NodeJS.ProcessEnv;
  /** where the builder's output is shown as it comes; without it the output is only captured */
  live?: (options: LiveLogOptions) => LiveLog;
}

export function defaultEngines(env: NodeJS.ProcessEnv = process.env): Engines {
  return { docker: new DockerCli({ env }), runner: runCommand, env, live: openLiveLog };
}

/** Lines of a failing build kept for its error message (the rest was shown live). */
const FAILURE_TAIL_LINES = 400;

const PLATFORM = '[a-z][a-z0-9]*/[a-z0-9_]+(?:/[a-z0-9]+)?';

/**
 * Tells which platform a builder's output line is about: buildx names it in a step's header
 * (`#8 [linux/arm64 2/3] RUN ...`) and later lines of that step carry only its number (`#8 0.52
 * ...`); buildah prefixes each step line (`[linux/arm64] STEP 2/3: ...`). Other lines say nothing.
 */
export function buildLinePlatforms(): (line: string) => string | undefined {
  const steps = new Map<string, string>();
  const header = new RegExp(`^#(\\d+) \\[(${PLATFORM})[ \\]]`);
  const buildah = new RegExp(`^\\[(${PLATFORM})\\] `);
  return (line) => {
    const h = header.exec(line);
    if (h) {
      steps.set(h[1] as string, h[2] as string);
      return h[2];
    }
    const step = /^#(\d+) /.exec(line);
    if (step) return steps.get(step[1] as string);
    return buildah.exec(line)?.[1];
  };
}

/** `auto`: buildx when the docker CLI has it, else the docker builder when docker answers, else buildah. */
export async function resolveBuilder(choice: BuilderChoice, engines: Engines): Promise<BuilderName> {
  if (choice === 'buildx') {
    if (!(await engines.docker.buildxVersion())) {
      throw new ConfigurationError("buildx was asked for but 'docker buildx' is not available", 'builder');
    }
    return 'buildx';
  }
  if (choice !== 'auto') return choice;
  if (await engines.docker.buildxVersion()) return 'buildx';
  if (await engines.docker.available()) return 'docker';
  try {
    const r = await engines.runner('buildah', ['--version'], { env: engines.env, allowFailure: true });
    if (r.code === 0) return 'buildah';
  } catch {
    // not installed: reported below
  }
  throw new ConfigurationError(
    'auto found no builder: neither docker (with or without buildx) nor buildah is installed',
    'builder',
  );
}

/** Checks what a builder cannot do, before anything runs. */
export function checkCapabilities(builder: BuilderName, inputs: Inputs): void {
  if (builder === 'docker') {
    if (inputs.platforms.length > 1) {
      throw new ConfigurationError(
        `the docker builder builds one platform only; ${inputs.platforms.length} were asked for (use builder: buildx or buildah for several platforms)`,
        'platforms',
      );
    }
    if (inputs.secrets.length || inputs.secretFiles.length) {
      throw new ConfigurationError(
        'build secrets need the buildx or buildah builder (the docker builder has none)',
        inputs.secrets.length ? 'secrets' : 'secret-files',
      );
    }
  }
  if (builder !== 'buildx' && inputs.provenance !== 'false') {
    throw new ConfigurationError(`provenance is a buildx feature; the ${builder} builder cannot add it`, 'provenance');
  }
  if (builder === 'buildah' && inputs.load && inputs.platforms.length > 1) {
    throw new ConfigurationError('a multi-platform buildah image cannot be loaded into docker', 'load');
  }
  const perPlatform = inputs.annotations.find((a) => a.platforms);
  if (perPlatform && builder === 'docker') {
    throw new ConfigurationError(
      `'${annotationKey(perPlatform)}': the docker builder writes no annotations (classic docker build has no --annotation); per-platform annotations need builder: buildx, or buildah with one platform per build`,
      'annotations',
    );
  }
  if (perPlatform && builder === 'buildah' && inputs.platforms.length !== 1) {
    throw new ConfigurationError(
      `'${annotationKey(perPlatform)}': buildah puts an --annotation on every platform's image, so it takes a per-platform annotation only when it builds one platform (set platforms: to that one, as each leg of a build matrix does) or use builder: buildx`,
      'annotations',
    );
  }
}

/** buildx `--cache-from`/`--cache-to` values: the explicit ones plus the `cache: gha` shorthand. */
export function cacheArguments(
  inputs: Pick<Inputs, 'cache' | 'cacheFrom' | 'cacheTo' | 'platforms'>,
  repository: string | undefined,
): { from: string[]; to: string[] } {
  const from = [...inputs.cacheFrom];
  const to = [...inputs.cacheTo];
  if (inputs.cache === 'gha') {
    const base = (repository ?? 'image').replace(/[^A-Za-z0-9._-]+/g, '-');
    const scope =
      inputs.platforms.length === 1 ? `${base}-${(inputs.platforms[0] as string).replace(/\//g, '-')}` : base;
    from.push(`type=gha,scope=${scope}`);
    to.push(`type=gha,mode=max,scope=${scope}`);
  }
  return { from, to };
}

function annotationArg(a: Inputs['annotations'][number]): string {
  return `${annotationKey(a)}=${a.value}`;
}

export function buildxArgs(req: BuildRequest, layoutDir: string, metadataFile: string): string[] {
  const { inputs } = req;
  const args = ['buildx', 'build', '--file', req.dockerfile];
  if (inputs.target) args.push('--target', inputs.target);
  for (const [k, v] of inputs.buildArgs) args.push('--build-arg', `${k}=${v}`);
  for (const [k, v] of inputs.labels) args.push('--label', `${k}=${v}`);
  for (const a of inputs.annotations) args.push('--annotation', annotationArg(a));
  if (inputs.platforms.length) args.push('--platform', inputs.platforms.join(','));
  args.push(`--provenance=${inputs.provenance}`);
  for (const [id, path] of req.secrets) args.push('--secret', `id=${id},src=${path}`);
  for (const c of req.cacheFrom) args.push('--cache-from', c);
  for (const c of req.cacheTo) args.push('--cache-to', c);
  if (req.hostNetwork) args.push('--network=host');
  args.push('--output', `type=oci,dest=${layoutDir},tar=false`, '--metadata-file', metadataFile, req.context);
  return args;
}

export function dockerBuildArgs(req: BuildRequest, iidFile: string): string[] {
  const { inputs } = req;
  const args = ['build', '--file', req.dockerfile, '--iidfile', iidFile];
  if (inputs.target) args.push('--target', inputs.target);
  for (const [k, v] of inputs.buildArgs) args.push('--build-arg', `${k}=${v}`);
  for (const [k, v] of inputs.labels) args.push('--label', `${k}=${v}`);
  if (inputs.platforms.length === 1) args.push('--platform', inputs.platforms[0] as string);
  if (req.hostNetwork) args.push('--network', 'host');
  if (inputs.load || req.tagInEngine) for (const t of inputs.tags) args.push('--tag', t);
  args.push(req.context);
  return args;
}

/** Global buildah options: its own vfs storage under RUNNER_TEMP unless storage is configured. */
export function buildahGlobalArgs(env: NodeJS.ProcessEnv, workDir: string): string[] {
  if (env.CONTAINERS_STORAGE_CONF || env.STORAGE_DRIVER) return [];
  const base = env.RUNNER_TEMP ? join(env.RUNNER_TEMP, 'buildah') : join(workDir, 'buildah');
  return ['--storage-driver', 'vfs', '--root', join(base, 'root'), '--runroot', join(base, 'runroot')];
}

/** Registries named in FROM lines (`host[:port]/...`), to decide on --tls-verify. */
export function fromRegistries(dockerfile: string): string[] {
  const out: string[] = [];
  for (const m of dockerfile.matchAll(/^\s*FROM\s+(?:--\S+\s+)*(\S+)/gim)) {
    const first = (m[1] as string).split('/')[0] as string;
    if ((m[1] as string).includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) {
      out.push(first);
    }
  }
  return out;
}

export function buildahBuildArgs(
  req: BuildRequest,
  global: string[],
  dockerfileText: string,
  env: NodeJS.ProcessEnv,
  iidFile: string,
  manifestName: string,
): string[] {
  const { inputs } = req;
  const args = [...global, 'build', '--file', req.dockerfile];
  // buildah stores one image ID only; several platforms go into a manifest list instead
  if (inputs.platforms.length <= 1) args.push('--iidfile', iidFile);
  if (inputs.target) args.push('--target', inputs.target);
  for (const [k, v] of inputs.buildArgs) args.push('--build-arg', `${k}=${v}`);
  for (const [k, v] of inputs.labels) args.push('--label', `${k}=${v}`);
  // checkCapabilities let per-platform annotations through only for a one-platform build
  const platform = inputs.platforms[0] ?? '';
  for (const a of inputs.annotations) {
    if ((a.level === 'default' || a.level === 'manifest') && appliesTo(a, platform)) {
      args.push('--annotation', `${a.key}=${a.value}`);
    }
  }
  for (const [id, path] of req.secrets) args.push('--secret', `id=${id},src=${path}`);
  if (inputs.platforms.length) args.push('--platform', inputs.platforms.join(','));
  if (inputs.platforms.length > 1) args.push('--manifest', manifestName);
  const registries = fromRegistries(dockerfileText);
  // docker's rule: only loopback registries are spoken to without TLS
  if (registries.length > 0 && registries.every(isLoopbackRegistry)) args.push('--tls-verify=false');
  const authfile = dockerConfigFile(env);
  if (existsSync(authfile)) args.push('--authfile', authfile);
  args.push(req.context);
  return args;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

async function runBuild(
  engines: Engines,
  builder: BuilderName,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  dockerfile: string,
  platforms: string[],
  what = 'Building',
): Promise<void> {
  const live = engines.live?.({
    title: (platform) =>
      `${what} ${platform ?? (platforms.join(', ') || 'the image')} with ${builder}${platform || platforms.length < 2 ? '' : ' (steps common to all platforms)'}`,
    platformOf: buildLinePlatforms(),
  });
  let r: CommandResult;
  try {
    r = await engines.runner(command, args, {
      env,
      allowFailure: true,
      description: `${builder} build`,
      ...(live ? { onLine: (line: string) => live.line(line), tailLines: FAILURE_TAIL_LINES } : {}),
    });
  } finally {
    live?.end();
  }
  if (r.code === 0) return;
  const failure = describeBuildFailure(`${r.stdout}\n${r.stderr}`, await readText(dockerfile));
  const where = failure.line ? `${relativeToWorkspace(dockerfile, env)}:${failure.line}: ` : '';
  throw new OperationError(`building the image with ${builder}`, `${where}${failure.message}`);
}

export function relativeToWorkspace(path: string, env: NodeJS.ProcessEnv): string {
  const ws = env.GITHUB_WORKSPACE ? resolve(env.GITHUB_WORKSPACE) : process.cwd();
  return path.startsWith(`${ws}/`) ? path.slice(ws.length + 1) : path;
}

export async function build(builder: BuilderName, req: BuildRequest, engines: Engines): Promise<BuildOutput> {
  const layoutDir = join(req.workDir, 'image');
  if (builder === 'buildx') {
    const metadataFile = join(req.workDir, 'metadata.json');
    await runBuild(
      engines,
      builder,
      engines.docker.binary,
      buildxArgs(req, layoutDir, metadataFile),
      engines.env,
      req.dockerfile,
      req.inputs.platforms,
    );
    const image = await readLayout(layoutDir);
    const metadata = JSON.parse((await readText(metadataFile)) || '{}') as Record<string, unknown>;
    return { image, imageId: imageIdOf(image), builderMetadata: metadata };
  }
  if (builder === 'docker') {
    const id = await dockerBuild(req, engines);
    await engines.docker.saveStream([id], (archive) => dockerArchiveToLayout(archive, layoutDir));
    const image = await readLayout(layoutDir);
    return { image, imageId: id };
  }
  const global = buildahGlobalArgs(engines.env, req.workDir);
  const iidFile = join(req.workDir, 'iid');
  const manifestName = `build-push-${process.pid}-${Date.now()}`;
  const args = buildahBuildArgs(req, global, await readText(req.dockerfile), engines.env, iidFile, manifestName);
  await runBuild(engines, builder, 'buildah', args, engines.env, req.dockerfile, req.inputs.platforms);
  const bh = (a: string[], what: string) =>
    engines.runner('buildah', [...global, ...a], { env: engines.env, description: `buildah ${what}` });
  if (req.inputs.platforms.length > 1) {
    try {
      await bh(['manifest', 'push', '--all', manifestName, `oci:${layoutDir}`], 'manifest push');
    } finally {
      await engines.runner('buildah', [...global, 'manifest', 'rm', manifestName], {
        env: engines.env,
        allowFailure: true,
      });
    }
    const image = await readLayout(layoutDir);
    return { image, imageId: image.root.digest };
  }
  const id = (await readFile(iidFile, 'utf8')).trim();
  await bh(['push', id, `oci:${layoutDir}`], 'push');
  const image = await readLayout(layoutDir);
  if (req.inputs.load) {
    for (const tag of req.inputs.tags) await bh(['push', id, `docker-daemon:${tag}`], 'push to docker');
  }
  return { image, imageId: image.images[0]?.config.digest ?? id };
}

/** The classic docker builder into the engine only (nothing exported); returns the image ID. */
export async function dockerBuild(req: BuildRequest, engines: Engines): Promise<string> {
  const iidFile = join(req.workDir, 'iid');
  const env = { ...engines.env, DOCKER_BUILDKIT: '0' };
  await runBuild(
    engines,
    'docker',
    engines.docker.binary,
    dockerBuildArgs(req, iidFile),
    env,
    req.dockerfile,
    req.inputs.platforms,
  );
  return (await readFile(iidFile, 'utf8')).trim();
}

export function imageIdOf(image: LocalImage): string {
  return image.images.length === 1 && image.children.length === 0
    ? (image.images[0]?.config.digest as string)
    : image.root.digest;
}

/** buildx `--load` after the OCI export: a second, cached build into the docker engine under the tags. */
export async function buildxLoad(req: BuildRequest, engines: Engines): Promise<void> {
  const args = buildxArgs(req, '', '').slice(0, -5);
  args.push('--load', ...req.inputs.tags.flatMap((t) => ['--tag', t]), req.context);
  await runBuild(
    engines,
    'buildx',
    engines.docker.binary,
    args,
    engines.env,
    req.dockerfile,
    req.inputs.platforms,
    'Loading',
  );
}

/** True when the engine has no bridge network (started with --bridge=none): RUN steps then use the host network. */
export async function needsHostNetwork(engines: Engines): Promise<boolean> {
  const bridge = await engineHasNetwork(engines.docker.env, 'bridge');
  if (bridge !== undefined) return !bridge;
  const r = await engines.docker.run(['network', 'ls', '--quiet', '--filter', 'name=^bridge$'], { allowFailure: true });
  return r.code === 0 && r.stdout.trim() === '';
}
