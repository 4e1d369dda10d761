// The docker push route of build-push without engines: route choice, reference names, docker's
// output, retries, and the checks of the digest read back (a fake docker CLI and registry client).
import { baseInputs as autoInputs } from './inputs-fixture.js';
import { describe, expect, it } from 'vitest';
import { type BuildRequest, dockerBuildArgs } from '../../../actions/build-push/src/builders.js';
import {
  dockerReference,
  isTransientPushError,
  pushesWithDocker,
  pushWithDocker,
} from '../../../actions/build-push/src/docker-push.js';
import type { Inputs } from '../../../actions/build-push/src/inputs.js';
import { targetsOf } from '../../../actions/build-push/src/main.js';
import { DockerCli, parsePushOutput } from '#shared/docker/docker-cli.js';
import type { CommandResult } from '#shared/exec.js';
import type { RegistryClient } from '#shared/oci/client.js';

const baseInputs: Inputs = { ...autoInputs, builder: 'docker' };

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const CONFIG = `sha256:${'c'.repeat(64)}`;
const V2 = 'application/vnd.docker.distribution.manifest.v2+json';

describe('route', () => {
  it.each([
    [{}, true],
    [{ push: false }, false],
    [{ pushByDigest: true }, false],
    [{ maxSize: 200_000_000 }, false],
    [{ tags: [] }, false],
    [{ tags: ['127.0.0.1:5000/app:1.0', `127.0.0.1:5000/app:1.0@${D1}`] }, false],
  ])('%j pushes with docker: %s', (over, expected) => {
    expect(pushesWithDocker({ ...baseInputs, ...over })).toBe(expected);
  });

  it.each([
    ['127.0.0.1:5000/app:1.0', '127.0.0.1:5000/app:1.0'],
    ['127.0.0.1:5000/team/app', '127.0.0.1:5000/team/app:latest'],
    ['app:2', 'docker.io/library/app:2'],
    ['ghcr.io/o/app:v1', 'ghcr.io/o/app:v1'],
  ])('names %s as %s for docker', (tag, ref) => {
    expect(dockerReference(targetsOf([tag])[0] as ReturnType<typeof targetsOf>[number])).toBe(ref);
  });

  it('tags the built image in the engine when docker pushes it, and only then (or with load)', () => {
    const req: BuildRequest = {
      inputs: { ...baseInputs, tags: ['127.0.0.1:5000/app:1.0', '127.0.0.1:5000/app:latest'] },
      context: '/w/ctx',
      dockerfile: '/w/ctx/Dockerfile',
      secrets: [],
      cacheFrom: [],
      cacheTo: [],
      workDir: '/t/w',
      hostNetwork: false,
    };
    const base = ['build', '--file', '/w/ctx/Dockerfile', '--iidfile', '/t/w/iid'];
    expect(dockerBuildArgs(req, '/t/w/iid')).toEqual([...base, '/w/ctx']);
    expect(dockerBuildArgs({ ...req, tagInEngine: true }, '/t/w/iid')).toEqual([
      ...base,
      '--tag',
      '127.0.0.1:5000/app:1.0',
      '--tag',
      '127.0.0.1:5000/app:latest',
      '/w/ctx',
    ]);
  });
});

describe('docker push output', () => {
  it('reads the layers and the digest line', () => {
    const out = [
      'The push refers to repository [127.0.0.1:5000/bp/app]',
      '5f70bf18a086: Preparing',
      'a1b2c3d4e5f6: Preparing',
      '0123456789ab: Preparing',
      '5f70bf18a086: Layer already exists',
      'a1b2c3d4e5f6: Mounted from bp/base',
      '0123456789ab: Pushed',
      `1.0: digest: ${D1} size: 738`,
      '',
    ].join('\n');
    expect(parsePushOutput(out)).toEqual({ digest: D1, pushed: 1, mounted: 1, existed: 1 });
    expect(parsePushOutput('127.0.0.1:5000/bp/app:1.0\n')).toEqual({ pushed: 0, mounted: 0, existed: 0 });
  });

  it.each([
    ['received unexpected HTTP status: 502 Bad Gateway', true],
    ['Put "http://127.0.0.1:5000/v2/a/blobs/uploads/x": EOF', true],
    ['dial tcp 127.0.0.1:5000: connect: connection refused', true],
    ['net/http: TLS handshake timeout', true],
    ['toomanyrequests: too many requests', true],
    ['no basic auth credentials', false],
    ['denied: requested access to the resource is denied', false],
    ['unauthorized: authentication required', false],
    ['An image does not exist locally with the tag: 127.0.0.1:5000/a', false],
  ])('%s is transient: %s', (line, transient) => {
    expect(isTransientPushError(line)).toBe(transient);
  });
});

interface FakeRegistry {
  /** tag -> digest the registry reports */
  tags: Record<string, string>;
  heads: string[];
}

function fakeClient(reg: FakeRegistry): RegistryClient {
  const manifest = {
    schemaVersion: 2,
    mediaType: V2,
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: CONFIG, size: 100 },
    layers: [
      { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: D1, size: 1000 },
      { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: D2, size: 20 },
    ],
  };
  return {
    headManifest: async (repo: { repository: string }, reference: string) => {
      reg.heads.push(`${repo.repository}:${reference}`);
      const digest = reg.tags[`${repo.repository}:${reference}`];
      return digest ? { mediaType: V2, digest, size: 500 } : null;
    },
    getManifest: async (_repo: unknown, digest: string) => ({
      digest,
      mediaType: V2,
      bytes: Buffer.from(JSON.stringify(manifest)),
      json: manifest,
    }),
    getBlobBytes: async (_repo: unknown, digest: string) => {
      if (digest !== CONFIG) throw new Error(`no blob ${digest}`);
      return Buffer.from(JSON.stringify({ os: 'linux', architecture: 'arm64', variant: 'v8' }));
    },
  } as unknown as RegistryClient;
}

/** A docker CLI whose `push` answers from a script, one result per call. */
function fakeDocker(results: Array<Partial<CommandResult>>, calls: string[][]): DockerCli {
  return new DockerCli({
    runner: async (_command, args) => {
      calls.push(args);
      const r = results.shift() ?? {};
      return { code: r.code ?? 0, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    },
  });
}

const pushed = (tag: string, digest: string) => ({ stdout: `x: Pushed\n${tag}: digest: ${digest} size: 500\n` });

describe('pushWithDocker', () => {
  const targets = targetsOf(['127.0.0.1:5000/bp/a:1.0', '127.0.0.1:5000/bp/a:latest', '127.0.0.1:5000/bp/b:1.0']);
  const noSleep = async () => {};

  it('pushes every tag, checks each with a HEAD and reads sizes and platform back', async () => {
    const calls: string[][] = [];
    const lines: string[] = [];
    const reg = { tags: { 'bp/a:1.0': D1, 'bp/a:latest': D1, 'bp/b:1.0': D1 }, heads: [] };
    const r = await pushWithDocker(
      fakeDocker([pushed('1.0', D1), pushed('latest', D1), pushed('1.0', D1)], calls),
      fakeClient(reg),
      targets,
      { retries: 3, imageId: CONFIG, log: (l) => lines.push(l) },
    );
    expect(r).toEqual({ digest: D1, mediaType: V2, sizes: { 'linux/arm64/v8': 1120 } });
    expect(calls).toEqual([
      ['push', '127.0.0.1:5000/bp/a:1.0'],
      ['push', '127.0.0.1:5000/bp/a:latest'],
      ['push', '127.0.0.1:5000/bp/b:1.0'],
    ]);
    expect(reg.heads).toEqual(['bp/a:1.0', 'bp/a:latest', 'bp/b:1.0']);
    expect(lines.at(-1)).toBe('linux/arm64/v8: 1.12 kB (1120 bytes) compressed');
  });

  it('reads the manifest docker reports while the tag is checked, and after the check when docker gave no digest', async () => {
    const events: string[] = [];
    const reg = { tags: { 'bp/a:1.0': D1 }, heads: [] };
    const base = fakeClient(reg);
    const client = {
      ...base,
      headManifest: async (repo: { registry: string; repository: string }, reference: string) => {
        events.push('head start');
        await new Promise((r) => setTimeout(r, 20));
        events.push('head end');
        return base.headManifest(repo, reference);
      },
      getManifest: async (repo: { registry: string; repository: string }, digest: string) => {
        events.push(`get ${digest === D1 ? 'D1' : digest}`);
        return base.getManifest(repo, digest);
      },
    } as unknown as RegistryClient;
    const r = await pushWithDocker(fakeDocker([pushed('1.0', D1)], []), client, targets.slice(0, 1), {
      retries: 3,
      imageId: CONFIG,
      log: () => {},
    });
    expect(r.sizes).toEqual({ 'linux/arm64/v8': 1120 });
    expect(events).toEqual(['get D1', 'head start', 'head end']);

    events.length = 0;
    const quiet = await pushWithDocker(fakeDocker([{ stdout: 'x: Pushed\n' }], []), client, targets.slice(0, 1), {
      retries: 3,
      imageId: CONFIG,
      log: () => {},
    });
    expect(quiet.digest).toBe(D1);
    expect(events).toEqual(['head start', 'head end', 'get D1']);
  });

  it('fails when two tags get different digests, naming both', async () => {
    const reg = { tags: { 'bp/a:1.0': D1, 'bp/a:latest': D1, 'bp/b:1.0': D2 }, heads: [] };
    await expect(
      pushWithDocker(
        fakeDocker([pushed('1.0', D1), pushed('latest', D1), pushed('1.0', D2)], []),
        fakeClient(reg),
        targets,
        { retries: 3, imageId: CONFIG, log: () => {} },
      ),
    ).rejects.toThrow(
      `checking the pushed tags: 127.0.0.1:5000/bp/b:1.0 is ${D2} but 127.0.0.1:5000/bp/a:1.0 is ${D1}: docker pushed different manifests`,
    );
  });

  it('fails when the registry reports another digest than docker pushed', async () => {
    const reg = { tags: { 'bp/a:1.0': D2 }, heads: [] };
    await expect(
      pushWithDocker(fakeDocker([pushed('1.0', D1)], []), fakeClient(reg), targets.slice(0, 1), {
        retries: 3,
        imageId: CONFIG,
        log: () => {},
      }),
    ).rejects.toThrow(`checking 127.0.0.1:5000/bp/a:1.0: docker pushed ${D1} but the registry reports ${D2}`);
  });

  it('tries a transient failure again and reports a permanent one with docker’s last line', async () => {
    const calls: string[][] = [];
    const reg = { tags: { 'bp/a:1.0': D1 }, heads: [] };
    const r = await pushWithDocker(
      fakeDocker(
        [{ code: 1, stderr: 'received unexpected HTTP status: 503 Service Unavailable\n' }, pushed('1.0', D1)],
        calls,
      ),
      fakeClient(reg),
      targets.slice(0, 1),
      { retries: 3, imageId: CONFIG, log: () => {}, sleep: noSleep },
    );
    expect(r.digest).toBe(D1);
    expect(calls).toHaveLength(2);

    const denied = fakeDocker(
      [
        {
          code: 1,
          stdout: 'The push refers to repository [x]\n',
          stderr: 'denied: requested access to the resource is denied\n\n',
        },
      ],
      [],
    );
    await expect(
      pushWithDocker(denied, fakeClient(reg), targets.slice(0, 1), {
        retries: 3,
        imageId: CONFIG,
        log: () => {},
        sleep: noSleep,
      }),
    ).rejects.toThrow(
      'pushing 127.0.0.1:5000/bp/a:1.0 with docker: denied: requested access to the resource is denied',
    );

    const flaky = fakeDocker(Array(4).fill({ code: 1, stderr: 'Put "http://x/v2/": EOF' }), []);
    await expect(
      pushWithDocker(flaky, fakeClient(reg), targets.slice(0, 1), {
        retries: 3,
        imageId: CONFIG,
        log: () => {},
        sleep: noSleep,
      }),
    ).rejects.toThrow('pushing 127.0.0.1:5000/bp/a:1.0 with docker: Put "http://x/v2/": EOF');
  });
});
