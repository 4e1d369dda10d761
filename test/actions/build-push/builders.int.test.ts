// The three builder paths against real engines, without a registry: each must export an OCI
// layout whose platforms, sizes and secrets are right.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { type BuildRequest, build, type Engines, type BuilderName } from '../../../actions/build-push/src/builders.js';
import type { Inputs } from '../../../actions/build-push/src/inputs.js';
import { blobPath } from '../../../actions/build-push/src/layout.js';
import { DockerCli } from '#shared/docker/docker-cli.js';
import { runCommand } from '#shared/exec.js';
import { startEngines } from '../../engines/engines.js';

const busybox = (): string => inject('stack')?.busybox ?? '/usr/bin/busybox';
const SECRET = 'planted-Secret-4711-value';

function context(dockerfile: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bp-ctx-'));
  copyFileSync(busybox(), join(dir, 'busybox'));
  writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  return dir;
}

const inputs = (over: Partial<Inputs>): Inputs => ({
  context: '.',
  buildArgs: [],
  labels: [['org.opencontainers.image.title', 'bp']],
  annotations: [],
  tags: [],
  platforms: [],
  push: false,
  load: false,
  secrets: [],
  secretFiles: [],
  builder: 'auto',
  cacheFrom: [],
  cacheTo: [],
  provenance: 'false',
  pushByDigest: false,
  merge: [],
  retries: 0,
  ...over,
});

function request(ctx: string, over: Partial<Inputs>, secrets: Array<[string, string]> = []): BuildRequest {
  return {
    inputs: inputs(over),
    context: ctx,
    dockerfile: join(ctx, 'Dockerfile'),
    secrets,
    cacheFrom: [],
    cacheTo: [],
    workDir: mkdtempSync(join(tmpdir(), 'bp-work-')),
    hostNetwork: true,
  };
}

const SIMPLE = 'FROM scratch\nCOPY busybox /bin/busybox\nCMD ["/bin/busybox", "true"]\n';
const WITH_SECRET =
  'FROM scratch\nCOPY busybox /bin/busybox\nRUN --mount=type=secret,id=token ["/bin/busybox", "sh", "-c", "test -s /run/secrets/token && /bin/busybox wc -c /run/secrets/token > /len"]\n';

describe('buildx (dockerd 26, containerd store)', () => {
  let engines: Engines;
  beforeAll(async () => {
    const e = await startEngines();
    const env = { ...process.env, ...e.env, RUNNER_TEMP: mkdtempSync(join(tmpdir(), 'bp-rt-')) };
    engines = { docker: new DockerCli({ env }), runner: runCommand, env };
  }, 60_000);

  it('builds two platforms into one OCI index', async () => {
    const out = await build('buildx', request(context(SIMPLE), { platforms: ['linux/amd64', 'linux/arm64'] }), engines);
    expect(out.image.root.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(out.image.images.map((i) => i.platform)).toEqual(['linux/amd64', 'linux/arm64']);
    expect(out.builderMetadata?.['containerimage.digest']).toBe(out.image.root.digest);
    expect(out.imageId).toBe(out.image.root.digest);
    for (const i of out.image.images) expect(i.compressedSize).toBeGreaterThan(500_000);
  }, 120_000);

  it('uses a secret without leaving it in the image', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bp-sec-'));
    writeFileSync(join(dir, 's'), SECRET);
    const out = await build('buildx', request(context(WITH_SECRET), {}, [['token', join(dir, 's')]]), engines);
    const config = readFileSync(blobPath(out.image.dir, out.image.images[0]!.config.digest), 'utf8');
    expect(config).not.toContain(SECRET);
    expect(JSON.parse(config).history.length).toBeGreaterThan(1);
  }, 120_000);
});

describe('buildah', () => {
  const engines = (): Engines => {
    const env = { ...process.env, RUNNER_TEMP: mkdtempSync(join(tmpdir(), 'bp-rt-')) };
    return { docker: new DockerCli({ env }), runner: runCommand, env };
  };

  it('builds two platforms into one OCI index', async () => {
    const out = await build(
      'buildah',
      request(context(SIMPLE), { platforms: ['linux/amd64', 'linux/arm64'] }),
      engines(),
    );
    expect(out.image.root.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(out.image.images.map((i) => i.platform).sort()).toEqual(['linux/amd64', 'linux/arm64']);
  }, 120_000);

  it('reports the failing Dockerfile line', async () => {
    const ctx = context('FROM scratch\nCOPY busybox /bin/busybox\nCOPY nothing /x\n');
    await expect(build('buildah', request(ctx, {}), engines())).rejects.toThrow(/Dockerfile:3: .*nothing/);
  }, 120_000);
});

describe('docker (classic builder)', () => {
  const host = (): string | undefined => inject('stack')?.docker?.host ?? process.env.DOCKER_HOST;

  it('builds, saves and compresses one platform like docker push', async (ctx) => {
    if (!host()) ctx.skip();
    const env = { ...process.env, DOCKER_HOST: host() };
    const engines: Engines = { docker: new DockerCli({ env }), runner: runCommand, env };
    const out = await build('docker' as BuilderName, request(context(SIMPLE), {}), engines);
    const image = out.image.images[0]!;
    expect(out.image.root.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(image.platform).toBe('linux/amd64');
    expect(image.config.digest).toBe(out.imageId);
    expect(image.layers).toHaveLength(1);
    // busybox-static gzips to about half its size
    expect(image.layers[0]!.size).toBeLessThan(statSize(busybox()));
    const diffIds = JSON.parse(readFileSync(blobPath(out.image.dir, image.config.digest), 'utf8')).rootfs.diff_ids;
    const gunzipped = execFileSync('sh', [
      '-c',
      `gzip -dc < ${blobPath(out.image.dir, image.layers[0]!.digest)} | sha256sum`,
    ]);
    expect(`sha256:${gunzipped.toString().split(' ')[0]}`).toBe(diffIds[0]);
  }, 120_000);
});

function statSize(path: string): number {
  return readFileSync(path).length;
}

mkdirSync(tmpdir(), { recursive: true });
