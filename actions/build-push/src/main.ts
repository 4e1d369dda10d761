// build-push orchestration: inputs -> build (or merge) -> measure -> push by digest -> tags last
// -> outputs and job summary.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openLiveLog } from '#shared/action/live-log.js';
import { actionLogger, fmt, group, info, maskSecret, warning } from '#shared/action/log.js';
import { setOutputs } from '#shared/action/outputs.js';
import { saveState } from '#shared/action/state.js';
import { addHeading, addTable, codes, writeSummary } from '#shared/action/summary.js';
import { formatSize } from '#shared/parse.js';
import type { RegistryClient } from '#shared/oci/client.js';
import { parseReference } from '#shared/oci/reference.js';
import {
  type BuilderName,
  build,
  buildxLoad,
  cacheArguments,
  checkCapabilities,
  defaultEngines,
  dockerBuild,
  needsHostNetwork,
  resolveBuilder,
} from './builders.js';
import { type Inputs, readInputs } from './inputs.js';
import { checkBudget, describeSizes, sizesOf } from './layout.js';
import { bringSources, collectSources, makeIndex, parseMergeList } from './merge.js';
import { pushesWithDocker, pushWithDocker, warmUp } from './docker-push.js';
import { CLEANUP_STATE } from './post.js';
import { removeSecrets, resolveSecretFiles, type SecretFiles, writeSecrets } from './secrets.js';
import { pushByDigest, putTags, repositoriesOf, type Target } from './upload.js';

export function targetsOf(tags: string[]): Target[] {
  return tags.map((t) => {
    const ref = parseReference(t, { input: 'tags' });
    return { repo: { registry: ref.registry, repository: ref.repository }, tag: ref.tag };
  });
}

/**
 * The registry client, loaded on first use: its HTTP stack is the largest part of the bundle,
 * and the post phase and a build that does not push never need it.
 */
async function registryClient(inputs: Inputs): Promise<RegistryClient> {
  const { RegistryClient } = await import('#shared/oci/client.js');
  return new RegistryClient({
    retry: { retries: inputs.retries },
    logger: actionLogger,
    maskSecret,
    userAgent: 'container-image-actions/build-push',
  });
}

interface Result {
  builder: BuilderName | 'merge';
  digest: string;
  mediaType: string;
  imageId: string;
  name?: string;
  sizes: Record<string, number>;
  tags: string[];
  cache: string;
  seconds: number;
  builderMetadata?: Record<string, unknown>;
  /** how the image reached the registry: `docker push`, or our uploader (blobs, digests, tags last) */
  pushedWith?: 'docker push' | 'uploader';
}

export async function main(): Promise<void> {
  const inputs = readInputs();
  const started = Date.now();
  const result = inputs.merge.length ? await runMerge(inputs) : await runBuild(inputs);
  result.seconds = (Date.now() - started) / 1000;
  publish(result);
  await writeReport(result);
}

async function runMerge(inputs: Inputs): Promise<Result> {
  const client = await registryClient(inputs);
  const targets = targetsOf(inputs.tags);
  const entries = await group('Checking the digests to merge', async () => {
    const found = await collectSources(client, parseMergeList(inputs.merge));
    for (const e of found)
      info(
        fmt`${e.descriptor.platform ? [e.descriptor.platform.os, e.descriptor.platform.architecture, e.descriptor.platform.variant].filter(Boolean).join('/') : '?'}: ${e.descriptor.digest}`,
      );
    return found;
  });
  const index = makeIndex(entries, inputs.annotations);
  await group(`Pushing index ${index.digest}`, async () => {
    for (const repo of repositoriesOf(targets)) {
      await bringSources(client, entries, repo);
      await pushByDigest(client, { dir: '', root: index, children: [], images: [] }, repo);
    }
    await putTags(client, index, targets);
    info(`pushed ${inputs.tags.join(', ')}`);
  });
  const sizes = Object.fromEntries(
    entries.map((e) => {
      const p = e.descriptor.platform;
      return [[p?.os, p?.architecture, p?.variant].filter(Boolean).join('/'), e.compressedSize];
    }),
  );
  const first = targets[0] as Target;
  return {
    builder: 'merge',
    digest: index.digest,
    mediaType: index.mediaType,
    imageId: index.digest,
    name: `${first.repo.registry}/${first.repo.repository}`,
    sizes,
    tags: inputs.tags,
    cache: 'none',
    seconds: 0,
    pushedWith: 'uploader',
  };
}

async function runBuild(inputs: Inputs): Promise<Result> {
  const env = process.env;
  // every input is checked before anything is written
  resolveSecretFiles(inputs.secretFiles, env);
  const engines = defaultEngines(env);
  const targets = targetsOf(inputs.tags);
  const builder = await resolveBuilder(inputs.builder, engines);
  checkCapabilities(builder, inputs);
  const workspace = env.GITHUB_WORKSPACE || process.cwd();
  const context = resolve(workspace, inputs.context);
  const dockerfile = inputs.file ? resolve(workspace, inputs.file) : join(context, 'Dockerfile');
  const cache = cacheArguments(inputs, targets[0]?.repo.repository);
  if (builder !== 'buildx' && (cache.from.length || cache.to.length)) {
    warning(`the ${builder} builder takes no cache-from/cache-to/cache; building without them`);
    cache.from = [];
    cache.to = [];
  }
  const workDir = await mkdtemp(join(env.RUNNER_TEMP || tmpdir(), 'build-push-'));
  // The clean-up list is in the state before anything goes into what it names: a main step
  // killed half-way still leaves the post step all it wrote.
  const cleanup = [workDir];
  saveState(CLEANUP_STATE, cleanup);
  let secrets: SecretFiles = { dir: '', files: [] };
  try {
    secrets = await writeSecrets(inputs.secrets, inputs.secretFiles, env, (dir) => {
      cleanup.push(dir);
      saveState(CLEANUP_STATE, cleanup);
    });
    const hostNetwork = builder === 'buildah' ? false : await needsHostNetwork(engines);
    // the classic builder pushing under tags: docker push reuses what the registry holds
    const dockerPush = builder === 'docker' && pushesWithDocker(inputs);
    const req = {
      inputs,
      context,
      dockerfile,
      secrets: secrets.files,
      cacheFrom: cache.from,
      cacheTo: cache.to,
      workDir,
      hostNetwork,
      tagInEngine: dockerPush,
    };
    const common = {
      builder,
      name: targets[0] ? `${targets[0].repo.registry}/${targets[0].repo.repository}` : undefined,
      cache: [...cache.from.map((c) => `from ${c}`), ...cache.to.map((c) => `to ${c}`)].join('; ') || 'none',
      seconds: 0,
    };
    if (dockerPush) {
      // the client loads, authenticates and opens its connection while the engine builds
      const loading = registryClient(inputs);
      const warm = loading.then((c) => warmUp(c, targets)).catch(() => undefined);
      try {
        // the build shows its own output live, in groups of its own
        const imageId = await dockerBuild(req, engines);
        await warm;
        const client = await loading;
        const pushed = await group('Pushing with docker push', async () => {
          const live = openLiveLog({ title: () => '', group: false });
          try {
            return await pushWithDocker(engines.docker, client, targets, {
              retries: inputs.retries,
              imageId,
              log: (line) => {
                live.end();
                info(line);
              },
              output: (line) => live.line(line),
            });
          } finally {
            live.end();
          }
        });
        return { ...common, ...pushed, imageId, tags: inputs.tags, pushedWith: 'docker push' };
      } finally {
        await warm;
        await (await loading.catch(() => undefined))?.close();
      }
    }
    // the builder's output is shown live, in a group per platform
    const built = await build(builder, req, engines);
    for (const line of describeSizes(built.image.images)) info(line);
    const image = built.image;
    checkBudget(image.images, inputs.maxSize);

    let digest = '';
    if (inputs.push) {
      const client = await registryClient(inputs);
      digest = await group(`Pushing ${image.root.digest}`, async () => {
        let pushed = '';
        for (const repo of repositoriesOf(targets)) {
          pushed = await pushByDigest(client, image, repo);
          info(`pushed ${repo.registry}/${repo.repository}@${pushed}`);
        }
        if (!inputs.pushByDigest) {
          await putTags(client, image.root, targets);
          info(`tagged ${inputs.tags.join(', ')}`);
        }
        return pushed;
      });
    }
    if (inputs.load && builder === 'buildx') await buildxLoad(req, engines);
    return {
      ...common,
      imageId: built.imageId,
      builderMetadata: built.builderMetadata,
      digest,
      mediaType: image.root.mediaType,
      sizes: sizesOf(image.images),
      tags: inputs.pushByDigest || !inputs.push ? [] : inputs.tags,
      pushedWith: inputs.push ? 'uploader' : undefined,
    };
  } finally {
    await removeSecrets(secrets.dir);
    await rm(workDir, { recursive: true, force: true });
  }
}

function publish(r: Result): void {
  const platforms = Object.keys(r.sizes);
  setOutputs({
    digest: r.digest,
    image: r.digest && r.name ? `${r.name}@${r.digest}` : '',
    imageid: r.imageId,
    sizes: r.sizes,
    platforms: platforms.join(','),
    metadata: {
      builder: r.builder,
      digest: r.digest,
      mediaType: r.mediaType,
      imageId: r.imageId,
      name: r.name,
      tags: r.tags,
      platforms,
      sizes: r.sizes,
      seconds: r.seconds,
      ...(r.pushedWith ? { pushedWith: r.pushedWith } : {}),
      ...(r.builderMetadata ? { buildx: r.builderMetadata } : {}),
    },
  });
}

async function writeReport(r: Result): Promise<void> {
  addHeading(`${r.builder === 'merge' ? 'Merged' : 'Built'} ${r.name ?? 'image'}`, 3);
  addTable(
    ['', ''],
    [
      ['Digest', r.digest ? { code: r.digest } : '(not pushed)'],
      ['Tags', r.tags.length ? codes(r.tags) : '(none)'],
      ['Builder', r.builder],
      ...(r.pushedWith ? [['Pushed with', r.pushedWith]] : []),
      ['Cache', r.cache],
      ['Time', `${r.seconds.toFixed(1)} s`],
    ],
  );
  addTable(
    ['Platform', 'Compressed size'],
    Object.entries(r.sizes).map(([p, n]) => [p, formatSize(n)]),
  );
  await writeSummary();
}
