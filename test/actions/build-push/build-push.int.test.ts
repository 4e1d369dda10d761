// The bundle (dist/build-push/index.js) as the runner executes it, against the test stack's
// registry, dockerd 20.10 (classic builder), dockerd 26 + buildx and buildah. skopeo checks
// independently what was pushed.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { runAction } from '../../harness/run-action.js';
import { type Engines, startEngines } from '../../engines/engines.js';
import { buildTinyImage, type DockerEndpoint, docker, readRequests, type StackUser } from '../../stack/helpers.js';

const stack = inject('stack');
const SECRET = 'planted-Secret-4711-value';
const SIMPLE = 'FROM scratch\nCOPY busybox /bin/busybox\nCMD ["/bin/busybox", "true"]\n';
// a step that differs per platform, so that each platform has steps of its own in the log
const PER_PLATFORM = ['FROM scratch', 'ARG TARGETARCH', 'COPY busybox /bin/busybox-$TARGETARCH', ''].join('\n');

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

function digestOf(ref: string, creds?: StackUser): string {
  const auth = creds ? ['--creds', `${creds.username}:${creds.password}`] : [];
  return JSON.parse(skopeo(['inspect', '--no-tags', '--tls-verify=false', ...auth, `docker://${ref}`])).Digest;
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
const dockerEnv = () => ({ DOCKER_HOST: stack.docker?.host ?? '' });

/** The log groups of a run with the lines shown in each (commands-stopped regions unwrapped). */
function logGroups(stdout: string): Array<{ title: string; lines: string[] }> {
  const groups: Array<{ title: string; lines: string[] }> = [];
  let current: { title: string; lines: string[] } | undefined;
  let token: string | undefined;
  for (const line of stdout.split('\n')) {
    if (token !== undefined) {
      if (line === `::${token}::`) token = undefined;
      else current?.lines.push(line);
      continue;
    }
    if (line.startsWith('::stop-commands::')) token = line.slice('::stop-commands::'.length);
    else if (line.startsWith('::group::')) {
      current = { title: line.slice('::group::'.length), lines: [] };
      groups.push(current);
    } else if (line === '::endgroup::') current = undefined;
    else current?.lines.push(line);
  }
  return groups;
}

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
      // the builder's own lines were shown, in a group of the build
      const build = logGroups(r.stdout).filter((g) => g.title === `Building the image with ${builder}`);
      expect(build).toHaveLength(1);
      expect(build[0]?.lines.some((l) => l.includes('COPY busybox /bin/busybox'))).toBe(true);
    },
    180_000,
  );

  it.each([
    ['buildx', 'linux/amd64,linux/arm64', () => buildxEnv()],
    ['buildah', 'linux/arm64', () => ({})],
  ])(
    'puts per-platform annotations only on the images of their platform with %s (%s)',
    async (builder, platforms, env) => {
      const repo = `${registry()}/bp/annotated-${builder}`;
      const r = await runAction('build-push', {
        workspace: workspace(PER_PLATFORM),
        inputs: {
          builder,
          tags: `${repo}:1.0`,
          platforms,
          annotations: 'manifest[linux/amd64]:only.amd64=a\nmanifest[linux/arm64]:only.arm64=b\nmanifest:everywhere=c',
        },
        env: env(),
      });
      expect(r.errors).toEqual([]);
      const top = rawManifest(`${repo}:1.0`);
      const images: Array<{ architecture: string; annotations: Record<string, string> }> = top.manifests
        ? top.manifests
            .filter((m: { platform: { architecture: string } }) => m.platform.architecture !== 'unknown')
            .map((m: { digest: string; platform: { architecture: string } }) => ({
              architecture: m.platform.architecture,
              annotations: rawManifest(`${repo}@${m.digest}`).annotations ?? {},
            }))
        : [{ architecture: 'arm64', annotations: top.annotations ?? {} }];
      const own = (a: Record<string, string>) =>
        Object.fromEntries(Object.entries(a).filter(([k]) => ['only.amd64', 'only.arm64', 'everywhere'].includes(k)));
      const expected: Record<string, Record<string, string>> = {
        amd64: { 'only.amd64': 'a', everywhere: 'c' },
        arm64: { 'only.arm64': 'b', everywhere: 'c' },
      };
      expect(images.map((i) => [i.architecture, own(i.annotations)]).sort()).toEqual(
        images.map((i) => [i.architecture, expected[i.architecture]]).sort(),
      );
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
        workspace: workspace(PER_PLATFORM),
        inputs: { builder, tags: `${repo}:1.0`, platforms: 'linux/amd64,linux/arm64' },
        env: env(),
      });
      expect(r.errors).toEqual([]);
      const index = rawManifest(`${repo}:1.0`);
      expect(
        index.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture).sort(),
      ).toEqual(['amd64', 'arm64']);
      expect(digestOf(`${repo}:1.0`)).toBe(r.outputs.digest);
      // each platform's steps are shown in groups of that platform, and only there
      const groups = logGroups(r.stdout).filter((g) => g.title.startsWith('Building '));
      for (const platform of ['linux/amd64', 'linux/arm64']) {
        const own = groups.filter((g) => g.title === `Building ${platform} with ${builder}`);
        expect(own.length).toBeGreaterThan(0);
        expect(own.flatMap((g) => g.lines).some((l) => l.includes('COPY busybox /bin/busybox'))).toBe(true);
        const other = platform === 'linux/amd64' ? 'linux/arm64' : 'linux/amd64';
        expect(own.flatMap((g) => g.lines).filter((l) => l.includes(`[${other}`))).toEqual([]);
      }
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
    // the only place the value may appear is a mask command (of the value, of its raw line),
    // which the runner consumes
    expect(r.masks).toContain(SECRET);
    const unmasked = r.everything.split('\n').filter((l) => !l.startsWith('::add-mask::'));
    expect(unmasked.join('\n')).not.toContain(SECRET);
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

  it('pushes with docker push under every tag and reads the digest, sizes and platform back', async () => {
    const a = `${registry()}/bp/dpush-a`;
    const b = `${registry()}/bp/dpush-b`;
    const r = await runAction('build-push', {
      workspace: workspace(SIMPLE),
      inputs: { builder: 'docker', tags: `${a}:1.0\n${a}:latest\n${b}:1.0` },
      env: dockerEnv(),
    });
    expect(r.errors).toEqual([]);
    for (const ref of [`${a}:1.0`, `${a}:latest`, `${b}:1.0`]) expect(digestOf(ref)).toBe(r.outputs.digest);
    expect(r.outputs.image).toBe(`${a}@${r.outputs.digest}`);
    const manifest = rawManifest(`${a}:1.0`);
    expect(manifest.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(r.outputs.imageid).toBe(manifest.config.digest);
    const size = manifest.config.size + manifest.layers.reduce((n: number, l: { size: number }) => n + l.size, 0);
    expect(JSON.parse(r.outputs.sizes)).toEqual({ 'linux/amd64': size });
    expect(r.outputs.platforms).toBe('linux/amd64');
    const metadata = JSON.parse(r.outputs.metadata);
    expect(metadata).toMatchObject({
      builder: 'docker',
      pushedWith: 'docker push',
      digest: r.outputs.digest,
      mediaType: manifest.mediaType,
      tags: [`${a}:1.0`, `${a}:latest`, `${b}:1.0`],
    });
    expect(r.stdout).toMatch(/pushed .*dpush-b:1\.0: sha256:[0-9a-f]{64} \(0 layer\(s\) uploaded, 1 mounted/);
    expect(r.summary).toContain('docker push');
    // docker's own lines were shown as they came, with commands off, in the push group
    const push = logGroups(r.stdout).filter((g) => g.title === 'Pushing with docker push');
    expect(push).toHaveLength(1);
    expect(push[0]?.lines.filter((l) => /^The push refers to repository /.test(l))).toHaveLength(3);
  }, 120_000);

  it('reuses the layers of a base image already in the registry instead of uploading them again', async () => {
    const endpoint = stack.docker as DockerEndpoint;
    const base = `${registry()}/bp/dpush-base:1`;
    await buildTinyImage(endpoint, stack.busybox, base);
    // the base comes from the registry, as a FROM image does on a runner
    for (const args of [
      ['push', base],
      ['rmi', base],
      ['pull', base],
    ]) {
      const d = await docker(endpoint, args);
      expect(d.code, d.stderr).toBe(0);
    }
    const baseLayers = rawManifest(base).layers.map((l: { digest: string }) => l.digest);
    const ws = workspace(`FROM ${base}\nCOPY data /data\n`);
    writeFileSync(join(ws, 'data'), randomBytes(512 * 1024));
    const repo = `${registry()}/bp/dpush-from-base`;
    const r = await runAction('build-push', {
      workspace: ws,
      inputs: { builder: 'docker', tags: `${repo}:1` },
      env: dockerEnv(),
    });
    expect(r.errors).toEqual([]);
    const manifest = rawManifest(`${repo}:1`);
    expect(digestOf(`${repo}:1`)).toBe(r.outputs.digest);
    expect(manifest.layers.map((l: { digest: string }) => l.digest)).toEqual([
      ...baseLayers,
      manifest.layers.at(-1).digest,
    ]);
    // the registry log: only the new layer and the config were uploaded into the repository
    const own = readRequests(stack.anonymous.logFile).filter((e) => e.path.startsWith('/v2/bp/dpush-from-base/blobs/'));
    const uploaded = own.filter((e) => e.method === 'PUT').map((e) => e.query.get('digest'));
    expect(uploaded.sort()).toEqual([manifest.config.digest, manifest.layers.at(-1).digest].sort());
    expect(own.filter((e) => e.method === 'PATCH').length).toBeLessThanOrEqual(2);
    const mounted = own.filter(
      (e) => e.method === 'POST' && e.query.get('from') === 'bp/dpush-base' && e.status === 201,
    );
    expect(mounted.map((e) => e.query.get('mount')).sort()).toEqual([...baseLayers].sort());
  }, 120_000);

  it('fails over max-size with the docker builder before any tag is pushed', async () => {
    const repo = `${registry()}/bp/dpush-too-big`;
    const r = await runAction('build-push', {
      workspace: workspace(SIMPLE),
      inputs: { builder: 'docker', tags: `${repo}:1.0\n${repo}:latest`, 'max-size': '100kB' },
      env: dockerEnv(),
    });
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(
      /max-size 100 kB .*linux\/amd64 is [\d.]+ MB .*largest layers: sha256:.*nothing was pushed/,
    );
    expect(tagsOf(repo)).toEqual([]);
    const writes = readRequests(stack.anonymous.logFile).filter(
      (e) => e.path.startsWith('/v2/bp/dpush-too-big/') && e.method !== 'GET' && e.method !== 'HEAD',
    );
    expect(writes).toEqual([]);
  }, 120_000);

  it("pushes with the credentials of the docker config, and reports a refused push with docker's error", async () => {
    const reg = stack.htpasswd;
    const repo = `${reg.host}/bp/dpush-auth`;
    const denied = await runAction('build-push', {
      workspace: workspace(SIMPLE),
      inputs: { builder: 'docker', tags: `${repo}:1` },
      env: dockerEnv(),
    });
    expect(denied.code).toBe(1);
    expect(denied.errors).toEqual([`pushing ${repo}:1 with docker: no basic auth credentials`]);

    const config = mkdtempSync(join(tmpdir(), 'bp-docker-config-'));
    const auth = Buffer.from(`${reg.user.username}:${reg.user.password}`).toString('base64');
    writeFileSync(join(config, 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth } } }));
    const r = await runAction('build-push', {
      workspace: workspace(SIMPLE),
      inputs: { builder: 'docker', tags: `${repo}:1` },
      env: { ...dockerEnv(), DOCKER_CONFIG: config },
    });
    expect(r.errors).toEqual([]);
    expect(digestOf(`${repo}:1`, reg.user)).toBe(r.outputs.digest);
    // masked by the client as soon as it read them; the mask commands are consumed by the runner
    const logged = r.everything
      .replaceAll(`::add-mask::${reg.user.password}`, '')
      .replaceAll(`::add-mask::${auth}`, '');
    expect(logged).not.toContain(reg.user.password);
    expect(logged).not.toContain(auth);
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
