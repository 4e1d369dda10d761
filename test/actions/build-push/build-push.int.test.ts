// The bundle (dist/build-push/index.js) as the runner executes it, against the test stack's
// registry, dockerd 20.10 (classic builder), dockerd 26 + buildx and buildah. skopeo checks
// independently what was pushed.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { runAction } from '../../harness/run-action.js';
import { type Engines, startEngines } from '../../engines/engines.js';

const stack = inject('stack');
const SECRET = 'planted-Secret-4711-value';
const SIMPLE = 'FROM scratch\nCOPY busybox /bin/busybox\nCMD ["/bin/busybox", "true"]\n';

function workspace(dockerfile: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bp-ws-'));
  copyFileSync(stack.busybox, join(dir, 'busybox'));
  writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  return dir;
}

function skopeo(args: string[]): string {
  return execFileSync(stack.skopeo, args, { encoding: 'utf8' });
}

function rawManifest(ref: string) {
  return JSON.parse(skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${ref}`]));
}

function digestOf(ref: string): string {
  return JSON.parse(skopeo(['inspect', '--no-tags', '--tls-verify=false', `docker://${ref}`])).Digest;
}

function tagsOf(repo: string): string[] {
  try {
    return JSON.parse(skopeo(['list-tags', '--tls-verify=false', `docker://${repo}`])).Tags ?? [];
  } catch {
    return [];
  }
}

let engines: Engines;
beforeAll(async () => {
  engines = await startEngines();
}, 60_000);

const registry = () => stack.anonymous.host;
const buildxEnv = () => engines.env;

describe('build-push bundle', () => {
  it.each([
    ['buildx', () => buildxEnv()],
    ['docker', () => ({ DOCKER_HOST: stack.docker?.host ?? '' })],
    ['buildah', () => ({})],
  ])(
    'builds FROM scratch with %s and pushes the digest skopeo sees',
    async (builder, env) => {
      const repo = `${registry()}/bp/${builder}`;
      const r = await runAction('build-push', {
        workspace: workspace(SIMPLE),
        inputs: { builder, tags: `${repo}:1.0\n${repo}:latest`, labels: 'org.opencontainers.image.version=1.0' },
        env: env(),
      });
      expect(r.errors).toEqual([]);
      expect(r.code).toBe(0);
      expect(r.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(digestOf(`${repo}:1.0`)).toBe(r.outputs.digest);
      expect(digestOf(`${repo}:latest`)).toBe(r.outputs.digest);
      expect(r.outputs.image).toBe(`${repo}@${r.outputs.digest}`);
      expect(r.outputs.platforms).toBe('linux/amd64');
      expect(JSON.parse(r.outputs.sizes)['linux/amd64']).toBeGreaterThan(500_000);
      expect(r.summary).toContain(r.outputs.digest);
    },
    180_000,
  );

  it.each([
    ['buildx', () => buildxEnv()],
    ['buildah', () => ({})],
  ])(
    'pushes two platforms as one index with %s',
    async (builder, env) => {
      const repo = `${registry()}/bp/multi-${builder}`;
      const r = await runAction('build-push', {
        workspace: workspace(SIMPLE),
        inputs: { builder, tags: `${repo}:1.0`, platforms: 'linux/amd64,linux/arm64' },
        env: env(),
      });
      expect(r.errors).toEqual([]);
      const index = rawManifest(`${repo}:1.0`);
      expect(
        index.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture).sort(),
      ).toEqual(['amd64', 'arm64']);
      expect(digestOf(`${repo}:1.0`)).toBe(r.outputs.digest);
    },
    180_000,
  );

  it('pushes by digest twice, then merges into one index', async () => {
    const repo = `${registry()}/bp/merged`;
    const ws = workspace(SIMPLE);
    const digests: string[] = [];
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      const r = await runAction('build-push', {
        workspace: ws,
        inputs: { builder: 'buildx', tags: repo, platforms: platform, 'push-by-digest': true },
        env: buildxEnv(),
      });
      expect(r.errors).toEqual([]);
      expect(digestOf(`${repo}@${r.outputs.digest}`)).toBe(r.outputs.digest);
      digests.push(`${repo}@${r.outputs.digest}`);
    }
    expect(tagsOf(repo)).toEqual([]);
    const m = await runAction('build-push', {
      inputs: {
        merge: digests.join('\n'),
        tags: `${repo}:2.0`,
        annotations: 'index:org.opencontainers.image.title=merged',
      },
    });
    expect(m.errors).toEqual([]);
    const index = rawManifest(`${repo}:2.0`);
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(index.annotations).toEqual({ 'org.opencontainers.image.title': 'merged' });
    expect(index.manifests.map((d: { platform: { architecture: string } }) => d.platform.architecture)).toEqual([
      'amd64',
      'arm64',
    ]);
    expect(digestOf(`${repo}:2.0`)).toBe(m.outputs.digest);
    expect(m.outputs.platforms).toBe('linux/amd64,linux/arm64');
  }, 240_000);

  it('refuses to merge a digest that does not exist', async () => {
    const repo = `${registry()}/bp/merged-missing`;
    const r = await runAction('build-push', {
      inputs: { merge: `${repo}@sha256:${'0'.repeat(64)}`, tags: `${repo}:1` },
    });
    expect(r.code).toBe(1);
    expect(r.errors[0]).toContain('not found');
    expect(tagsOf(repo)).toEqual([]);
  }, 60_000);

  it('fails over max-size with the sizes and pushes no tag', async () => {
    const repo = `${registry()}/bp/too-big`;
    const r = await runAction('build-push', {
      workspace: workspace(SIMPLE),
      inputs: { builder: 'buildah', tags: `${repo}:1.0`, 'max-size': '100kB' },
    });
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(/max-size 100 kB .*linux\/amd64 is [\d.]+ MB .*largest layers: sha256:/);
    expect(tagsOf(repo)).toEqual([]);
  }, 120_000);

  it('reports a broken Dockerfile with the builder error line', async () => {
    const r = await runAction('build-push', {
      workspace: workspace('FROM scratch\nCOPY busybox /bin/busybox\nCOPY nothing /x\n'),
      inputs: { builder: 'buildx', tags: `${registry()}/bp/broken:1` },
      env: buildxEnv(),
    });
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(/building the image with buildx: Dockerfile:3: .*nothing.*not found/);
  }, 120_000);

  it('keeps a planted secret out of output, summary, state and image', async () => {
    const repo = `${registry()}/bp/secret`;
    const r = await runAction('build-push', {
      workspace: workspace(
        'FROM scratch\nCOPY busybox /bin/busybox\nRUN --mount=type=secret,id=token ["/bin/busybox", "sh", "-c", "test -s /run/secrets/token"]\n',
      ),
      inputs: { builder: 'buildx', tags: `${repo}:1`, secrets: `token=${SECRET}` },
      env: buildxEnv(),
    });
    expect(r.errors).toEqual([]);
    // the only place the value may appear is the mask command itself, which the runner consumes
    expect(r.masks).toContain(SECRET);
    expect(r.everything.replaceAll(`::add-mask::${SECRET}`, '')).not.toContain(SECRET);
    expect(r.post?.code).toBe(0);
    const config = skopeo(['inspect', '--config', '--tls-verify=false', `docker://${repo}:1`]);
    expect(config).not.toContain(SECRET);
    execFileSync('docker', ['pull', '-q', `${repo}:1`], { env: { ...process.env, ...engines.env } });
    const history = execFileSync('docker', ['history', '--no-trunc', `${repo}:1`], {
      env: { ...process.env, ...engines.env },
      encoding: 'utf8',
    });
    expect(history).not.toContain(SECRET);
  }, 120_000);

  it('rejects several platforms with the docker builder', async () => {
    const r = await runAction('build-push', {
      workspace: workspace(SIMPLE),
      inputs: { builder: 'docker', tags: `${registry()}/bp/x:1`, platforms: 'linux/amd64,linux/arm64' },
    });
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([
      "Input 'platforms': the docker builder builds one platform only; 2 were asked for (use builder: buildx or buildah for several platforms)",
    ]);
  }, 60_000);
});
