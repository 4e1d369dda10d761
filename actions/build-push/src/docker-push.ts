// The classic docker builder's push under tags: `docker push` itself. The engine keeps a record
// of which compressed layers each registry already holds, so unchanged layers are only checked
// and the layers of a base image pulled from the registry are mounted, not recompressed into new
// digests and uploaded again (which `docker save` + our uploader would do). docker pushes blobs
// first and the manifest last, so a failed push leaves no tag at a partial image. The digest is
// then read back from the registry with a HEAD (one digest for every tag, or the step fails), and
// sizes and platforms from the pushed manifest.
import type { DockerCli, DockerPushResult } from '#shared/docker/docker-cli.js';
import { OperationError } from '#shared/errors.js';
import type { RegistryClient, RepositoryRef } from '#shared/oci/client.js';
import { parseReference } from '#shared/oci/reference.js';
import { formatSize } from '#shared/parse.js';
import type { Inputs } from './inputs.js';
import { type BlobDescriptor, isIndex, platformString } from './layout.js';
import { collectSources } from './merge.js';
import { repositoriesOf, type Target } from './upload.js';

/**
 * True when a docker-built image is pushed with `docker push`: pushing under tags, with neither
 * `max-size` (sizes are known only after the push) nor `push-by-digest` (docker pushes tags
 * only), and every tag a plain `name:tag` (no digest).
 */
export function pushesWithDocker(inputs: Pick<Inputs, 'push' | 'pushByDigest' | 'maxSize' | 'tags'>): boolean {
  return (
    inputs.push &&
    !inputs.pushByDigest &&
    inputs.maxSize === undefined &&
    inputs.tags.length > 0 &&
    inputs.tags.every((t) => parseReference(t, { input: 'tags' }).digest === undefined)
  );
}

/** `host/repository:tag`, the name the image carries in the engine and that docker pushes. */
export function dockerReference(target: Target): string {
  return `${target.repo.registry}/${target.repo.repository}:${target.tag ?? 'latest'}`;
}

/** docker push failures worth another attempt: 5xx/429 answers and broken connections. */
export function isTransientPushError(message: string): boolean {
  return /\b(5\d\d|429)\b|too many requests|time(d)? ?out|connection (refused|reset)|broken pipe|\bEOF\b|temporar|unavailable/i.test(
    message,
  );
}

export interface DockerPushed {
  /** the digest the registry reports for every tag */
  digest: string;
  mediaType: string;
  /** platform -> compressed bytes (layers and config), from the pushed manifest */
  sizes: Record<string, number>;
}

export interface DockerPushOptions {
  /** further attempts of a docker push that failed in a transient way */
  retries: number;
  /** the image ID docker built: its config digest, read back for the platform */
  imageId: string;
  log: (line: string) => void;
  /** docker push's own lines as they come (a live log) */
  output?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Asks each target repository for its tag while the image is being built, so that the
 * authentication (challenge, token exchange) is done and a connection is open by the time the
 * pushed digest is read back. Never fails: a real problem shows in the push or the check.
 */
export async function warmUp(client: RegistryClient, targets: Target[]): Promise<void> {
  await Promise.all(
    repositoriesOf(targets).map((repo) =>
      client.headManifest(repo, targets.find((t) => t.repo === repo)?.tag ?? 'latest').catch(() => null),
    ),
  );
}

async function pushOne(docker: DockerCli, ref: string, options: DockerPushOptions): Promise<DockerPushResult> {
  const sleep = options.sleep ?? pause;
  for (let attempt = 0; ; attempt++) {
    try {
      return await docker.push(ref, options.output ? { onLine: options.output } : {});
    } catch (e) {
      // judge docker's own words, not the reference (a tag may well read 500)
      if (!(e instanceof OperationError)) throw e;
      const detail = e.message.slice(e.operation.length + 2);
      if (attempt >= options.retries || !isTransientPushError(detail)) throw e;
      options.log(`${e.message}; trying again (${attempt + 1} of ${options.retries})`);
      await sleep(1000 * 2 ** attempt);
    }
  }
}

/** `docker push` of every tag in order, each checked with a HEAD; then sizes from the pushed manifest. */
export async function pushWithDocker(
  docker: DockerCli,
  client: RegistryClient,
  targets: Target[],
  options: DockerPushOptions,
): Promise<DockerPushed> {
  const seen = new Set<string>();
  let first: { ref: string; target: Target; digest: string; mediaType: string } | undefined;
  // the sizes of what docker says it pushed, read while the first tag is checked (one round trip
  // less); used only when the check confirms that digest
  let early: { digest: string; sizes: Promise<Record<string, number>> } | undefined;
  for (const target of targets) {
    const ref = dockerReference(target);
    if (seen.has(ref)) continue;
    seen.add(ref);
    const pushed = await pushOne(docker, ref, options);
    if (!first && pushed.digest) {
      early = { digest: pushed.digest, sizes: pushedSizes(client, target.repo, pushed.digest, options.imageId) };
      // awaited below when the digest is confirmed; a failure before that is not unhandled
      early.sizes.catch(() => undefined);
    }
    const head = await client.headManifest(target.repo, target.tag ?? 'latest');
    if (!head) throw new OperationError(`checking ${ref}`, 'the registry does not have the tag after docker push');
    if (pushed.digest && pushed.digest !== head.digest) {
      throw new OperationError(
        `checking ${ref}`,
        `docker pushed ${pushed.digest} but the registry reports ${head.digest} (was the tag pushed again meanwhile?)`,
      );
    }
    if (first && head.digest !== first.digest) {
      throw new OperationError(
        'checking the pushed tags',
        `${ref} is ${head.digest} but ${first.ref} is ${first.digest}: docker pushed different manifests for the same image (the tags already pushed stay)`,
      );
    }
    first ??= { ref, target, digest: head.digest, mediaType: head.mediaType };
    const layers = `${pushed.pushed} layer(s) uploaded, ${pushed.mounted} mounted, ${pushed.existed} already there`;
    options.log(`pushed ${ref}: ${head.digest} (${layers})`);
  }
  if (!first) throw new OperationError('pushing with docker', 'no tag to push');
  const sizes =
    early?.digest === first.digest
      ? await early.sizes
      : await pushedSizes(client, first.target.repo, first.digest, options.imageId);
  for (const [platform, n] of Object.entries(sizes))
    options.log(`${platform}: ${formatSize(n)} (${n} bytes) compressed`);
  return { digest: first.digest, mediaType: first.mediaType, sizes };
}

/** platform -> compressed size of what was pushed: the manifest and (in parallel) its config, guessed to be the image ID. */
async function pushedSizes(
  client: RegistryClient,
  repo: RepositoryRef,
  digest: string,
  imageId: string,
): Promise<Record<string, number>> {
  const readConfig = (d: string) => client.getBlobBytes(repo, d, 4 * 1024 * 1024);
  const [manifest, guessed] = await Promise.all([
    client.getManifest(repo, digest),
    /^sha256:[0-9a-f]{64}$/.test(imageId) ? readConfig(imageId).catch(() => undefined) : undefined,
  ]);
  if (isIndex(manifest.mediaType)) {
    // an engine with the containerd image store may push an index
    const entries = await collectSources(client, [{ repo, digest }]);
    return Object.fromEntries(
      entries.map((e) => [platformString(e.descriptor.platform ?? { os: '', architecture: '' }), e.compressedSize]),
    );
  }
  const config = manifest.json.config as BlobDescriptor;
  const layers = (manifest.json.layers ?? []) as BlobDescriptor[];
  const bytes = config.digest === imageId && guessed ? guessed : await readConfig(config.digest);
  const platform = platformString(JSON.parse(bytes.toString('utf8')));
  return { [platform]: config.size + layers.reduce((n, l) => n + l.size, 0) };
}
