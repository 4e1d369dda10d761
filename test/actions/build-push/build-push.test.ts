import { baseInputs } from './inputs-fixture.js';
import { describe, expect, it } from 'vitest';
import { describeBuildFailure, instructionLines } from '../../../actions/build-push/src/build-errors.js';
import {
  buildLinePlatforms,
  type BuildRequest,
  buildahBuildArgs,
  buildahGlobalArgs,
  buildxArgs,
  cacheArguments,
  checkCapabilities,
  fromRegistries,
} from '../../../actions/build-push/src/builders.js';
import { parseAnnotations, validate } from '../../../actions/build-push/src/inputs.js';
import { type MergeEntry, makeIndex } from '../../../actions/build-push/src/merge.js';
import { checkBudget, type PlatformImage } from '../../../actions/build-push/src/layout.js';
import { isLoopbackRegistry } from '#shared/docker/docker-cli.js';

const request: BuildRequest = {
  inputs: baseInputs,
  context: '/w',
  dockerfile: '/w/Dockerfile',
  secrets: [],
  cacheFrom: [],
  cacheTo: [],
  workDir: '/t',
  hostNetwork: false,
};

describe('cache arguments', () => {
  it.each([
    [{ cache: undefined, platforms: [] }, 'octo/app', [], []],
    [
      { cache: 'gha' as const, platforms: [] },
      'octo/app',
      ['type=gha,scope=octo-app'],
      ['type=gha,mode=max,scope=octo-app'],
    ],
    [
      { cache: 'gha' as const, platforms: ['linux/arm64'] },
      'octo/app',
      ['type=gha,scope=octo-app-linux-arm64'],
      ['type=gha,mode=max,scope=octo-app-linux-arm64'],
    ],
    [
      { cache: 'gha' as const, platforms: ['linux/amd64', 'linux/arm64'] },
      undefined,
      ['type=gha,scope=image'],
      ['type=gha,mode=max,scope=image'],
    ],
  ])('%j for %s', (over, repo, from, to) => {
    expect(cacheArguments({ ...baseInputs, ...over }, repo)).toEqual({ from, to });
  });

  it('keeps explicit cache-from/cache-to before the shorthand', () => {
    const r = cacheArguments(
      { ...baseInputs, cache: 'gha', cacheFrom: ['type=registry,ref=r/c'], cacheTo: ['type=inline'] },
      'a/b',
    );
    expect(r).toEqual({
      from: ['type=registry,ref=r/c', 'type=gha,scope=a-b'],
      to: ['type=inline', 'type=gha,mode=max,scope=a-b'],
    });
  });
});

describe('buildx arguments', () => {
  it('maps every build input', () => {
    const req: BuildRequest = {
      inputs: {
        ...baseInputs,
        target: 'final',
        buildArgs: [['V', '1']],
        labels: [['org.opencontainers.image.version', '1.0']],
        annotations: parseAnnotations([
          ['index:org.opencontainers.image.title', 'app'],
          ['a', 'b'],
        ]),
        platforms: ['linux/amd64', 'linux/arm64'],
      },
      context: '/w/ctx',
      dockerfile: '/w/ctx/Dockerfile',
      secrets: [['token', '/t/secret-0']],
      cacheFrom: ['type=gha,scope=x'],
      cacheTo: [],
      workDir: '/t/w',
      hostNetwork: true,
    };
    expect(buildxArgs(req, '/t/w/image', '/t/w/m.json')).toEqual([
      'buildx',
      'build',
      '--file',
      '/w/ctx/Dockerfile',
      '--target',
      'final',
      '--build-arg',
      'V=1',
      '--label',
      'org.opencontainers.image.version=1.0',
      '--annotation',
      'index:org.opencontainers.image.title=app',
      '--annotation',
      'a=b',
      '--platform',
      'linux/amd64,linux/arm64',
      '--provenance=false',
      '--secret',
      'id=token,src=/t/secret-0',
      '--cache-from',
      'type=gha,scope=x',
      '--network=host',
      '--output',
      'type=oci,dest=/t/w/image,tar=false',
      '--metadata-file',
      '/t/w/m.json',
      '/w/ctx',
    ]);
  });
});

describe('inputs', () => {
  it.each([
    [
      { builder: 'docker' as const, platforms: ['linux/amd64', 'linux/arm64'] },
      "Input 'platforms': the docker builder builds one platform only; 2 were asked for",
    ],
    [{ tags: [] }, "Input 'tags': is required to push"],
    [{ merge: ['r/a@sha256:00'], pushByDigest: true }, "Input 'push-by-digest': cannot be used together with merge"],
    [{ secrets: [['a b', 'x']] as Array<[string, string]> }, "Input 'secrets': a secret id may only hold"],
    [{ secretFiles: [['a b', 'x']] as Array<[string, string]> }, "Input 'secret-files': secret id 'a b'"],
    [{ provenance: 'maybe' }, "Input 'provenance': 'maybe' is not accepted"],
  ])('rejects %j', (over, message) => {
    expect(() => validate({ ...baseInputs, ...over })).toThrow(message);
  });

  it('reads annotation levels', () => {
    expect(
      parseAnnotations([
        ['manifest-descriptor:k', 'v'],
        ['k2', 'v=2'],
      ]),
    ).toEqual([
      { level: 'manifest-descriptor', key: 'k', value: 'v' },
      { level: 'default', key: 'k2', value: 'v=2' },
    ]);
  });

  it.each([
    ['manifest[linux/amd64]:k', { level: 'manifest', key: 'k', value: 'v', platforms: ['linux/amd64'] }],
    [
      'manifest-descriptor[linux/amd64,linux/arm64/v8]:k',
      { level: 'manifest-descriptor', key: 'k', value: 'v', platforms: ['linux/amd64', 'linux/arm64/v8'] },
    ],
  ])('reads the per-platform level %s', (key, expected) => {
    expect(parseAnnotations([[key, 'v']])).toEqual([expected]);
  });

  it.each([
    ['index[linux/amd64]:k', "'index[linux/amd64]:k': a platform can only qualify manifest[...]"],
    ['manifest[amd64]:k', "'manifest[amd64]:k': 'amd64' is not a platform"],
    ['manifest[]:k', "'manifest[]:k': '' is not a platform"],
  ])('refuses %s', (key, message) => {
    expect(() => parseAnnotations([[key, 'v']])).toThrow(message);
  });
});

describe('per-platform annotations by builder', () => {
  const annotations = parseAnnotations([
    ['manifest[linux/amd64]:only.amd64', 'a'],
    ['manifest[linux/arm64]:only.arm64', 'b'],
    ['manifest:everywhere', 'c'],
    ['index:on.index', 'd'],
  ]);

  it('buildx gets them as written', () => {
    const args = buildxArgs(
      { ...request, inputs: { ...baseInputs, annotations, platforms: ['linux/amd64', 'linux/arm64'] } },
      '/l',
      '/m',
    );
    expect(args.filter((_, i) => args[i - 1] === '--annotation')).toEqual([
      'manifest[linux/amd64]:only.amd64=a',
      'manifest[linux/arm64]:only.arm64=b',
      'manifest:everywhere=c',
      'index:on.index=d',
    ]);
    expect(() => checkCapabilities('buildx', { ...baseInputs, annotations })).not.toThrow();
  });

  it.each([
    ['linux/amd64', ['only.amd64=a', 'everywhere=c']],
    ['linux/arm64/v8', ['only.arm64=b', 'everywhere=c']],
  ])('buildah building %s alone gets those of its platform', (platform, expected) => {
    const args = buildahBuildArgs(
      { ...request, inputs: { ...baseInputs, annotations, platforms: [platform] } },
      [],
      'FROM scratch\n',
      {},
      '/iid',
      'm',
    );
    expect(args.filter((_, i) => args[i - 1] === '--annotation')).toEqual(expected);
    expect(() => checkCapabilities('buildah', { ...baseInputs, annotations, platforms: [platform] })).not.toThrow();
  });

  it.each([
    [
      'buildah' as const,
      ['linux/amd64', 'linux/arm64'],
      "Input 'annotations': 'manifest[linux/amd64]:only.amd64': buildah puts an --annotation on every platform's image",
    ],
    ['buildah' as const, [], "Input 'annotations': 'manifest[linux/amd64]:only.amd64': buildah puts"],
    [
      'docker' as const,
      ['linux/amd64'],
      "Input 'annotations': 'manifest[linux/amd64]:only.amd64': the docker builder writes no annotations",
    ],
  ])('%s building %j refuses them and says why', (builder, platforms, message) => {
    expect(() => checkCapabilities(builder, { ...baseInputs, annotations, platforms })).toThrow(message);
  });

  it('merge puts manifest-descriptor annotations on the descriptors of their platforms', () => {
    const entry = (architecture: string, digest: string) =>
      ({
        descriptor: {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest,
          size: 1,
          platform: { os: 'linux', architecture },
        },
      }) as unknown as MergeEntry;
    const index = makeIndex(
      [entry('amd64', 'sha256:aa'), entry('arm64', 'sha256:bb')],
      parseAnnotations([
        ['manifest-descriptor[linux/arm64]:arm', 'yes'],
        ['manifest-descriptor:all', '1'],
        ['index:title', 't'],
        ['manifest:ignored.at.merge', 'x'],
      ]),
    );
    const json = index.json as { annotations: object; manifests: Array<{ annotations?: object }> };
    expect(json.annotations).toEqual({ title: 't' });
    expect(json.manifests.map((m) => m.annotations)).toEqual([{ all: '1' }, { all: '1', arm: 'yes' }]);
  });
});

describe('buildah options', () => {
  it('uses vfs storage under RUNNER_TEMP unless storage is configured', () => {
    expect(buildahGlobalArgs({ RUNNER_TEMP: '/rt' }, '/w')).toEqual([
      '--storage-driver',
      'vfs',
      '--root',
      '/rt/buildah/root',
      '--runroot',
      '/rt/buildah/runroot',
    ]);
    expect(buildahGlobalArgs({ RUNNER_TEMP: '/rt', CONTAINERS_STORAGE_CONF: '/s.conf' }, '/w')).toEqual([]);
  });

  it.each([
    ['FROM scratch\n', []],
    [
      'FROM 127.0.0.1:5000/base:1 AS b\nFROM --platform=$BUILDPLATFORM ghcr.io/o/x\nFROM alpine/git\n',
      ['127.0.0.1:5000', 'ghcr.io'],
    ],
    ['from localhost/base\n', ['localhost']],
  ])('registries of %j', (dockerfile, expected) => {
    expect(fromRegistries(dockerfile)).toEqual(expected);
  });

  it.each([
    ['127.0.0.1:5000', true],
    ['127.3.2.1', true],
    ['localhost:5000', true],
    ['[::1]:5000', true],
    ['ghcr.io', false],
    ['10.0.0.1:5000', false],
    ['localhost.example.com', false],
  ])('loopback %s', (host, expected) => {
    expect(isLoopbackRegistry(host)).toBe(expected);
  });
});

describe('build failures', () => {
  const dockerfile = 'FROM scratch\n# comment\nCOPY busybox /bin/busybox\nRUN a \\\n  b\nCOPY nothing /x\n';

  it('finds instruction lines', () => {
    expect(instructionLines(dockerfile).map((i) => i.line)).toEqual([1, 3, 4, 6]);
  });

  it.each([
    [
      'buildx',
      '#6 [2/2] COPY nothing /x\n#6 ERROR: failed to calculate checksum: "/nothing": not found\n------\nDockerfile:6\n--------------------\n   6 | >>> COPY nothing /x\n--------------------\nERROR: failed to solve: failed to compute cache key: "/nothing": not found\n',
      {
        line: 6,
        message:
          'failed to calculate checksum: "/nothing": not found; failed to solve: failed to compute cache key: "/nothing": not found',
      },
    ],
    [
      'classic',
      'Step 1/4 : FROM scratch\n ---> \nStep 2/4 : COPY busybox /bin/busybox\nStep 3/4 : RUN a   b\nStep 4/4 : COPY nothing /x\nCOPY failed: file not found in build context or excluded by .dockerignore: stat nothing: file does not exist\n',
      {
        line: 6,
        message:
          'COPY failed: file not found in build context or excluded by .dockerignore: stat nothing: file does not exist',
      },
    ],
    [
      'classic parse error',
      'Error response from daemon: dockerfile parse error line 2: unknown instruction: FORM\n',
      { line: 2, message: 'dockerfile parse error line 2: unknown instruction: FORM' },
    ],
    [
      'buildah',
      'STEP 1/3: FROM scratch\nSTEP 2/3: COPY nothing /x\nError: error building at STEP "COPY nothing /x": checking on sources: no such file or directory\n',
      { line: 6, message: 'error building at STEP "COPY nothing /x": checking on sources: no such file or directory' },
    ],
    ['nothing useful', 'something went wrong\n', { line: undefined, message: 'something went wrong' }],
  ])('%s', (_name, output, expected) => {
    expect(describeBuildFailure(output, dockerfile)).toEqual(expected);
  });
});

describe('size budget', () => {
  const image = (platform: string, layers: number[]): PlatformImage => ({
    platform,
    manifest: { digest: 'sha256:m', mediaType: 'x', bytes: Buffer.alloc(0), json: {} },
    config: { mediaType: 'c', digest: 'sha256:c', size: 100 },
    layers: layers.map((size, i) => ({ mediaType: 'l', digest: `sha256:${String(i).repeat(64)}`, size })),
    compressedSize: 100 + layers.reduce((a, b) => a + b, 0),
  });

  it('passes within the budget and without one', () => {
    expect(() => checkBudget([image('linux/amd64', [900])], 1000)).not.toThrow();
    expect(() => checkBudget([image('linux/amd64', [9e9])], undefined)).not.toThrow();
  });

  it('names the platform, its size and the largest layers', () => {
    expect(() =>
      checkBudget([image('linux/amd64', [500]), image('linux/arm64', [2_000_000, 300_000])], 1_000_000),
    ).toThrow(
      'checking max-size 1 MB (1000000 bytes): linux/arm64 is 2.3 MB (2300100 bytes; largest layers: sha256:000000000000 2 MB, sha256:111111111111 300 kB); nothing was pushed',
    );
  });
});

describe('builder output platforms', () => {
  it('reads the platform of buildx steps, their later lines, and buildah steps', () => {
    const platformOf = buildLinePlatforms();
    const lines: Array<[string, string | undefined]> = [
      ['#1 [internal] load build definition from Dockerfile', undefined],
      ['#1 DONE 0.0s', undefined],
      ['#4 [1/1] COPY busybox /bin/busybox', undefined],
      ['#4 DONE 0.1s', undefined],
      ['#5 [linux/arm64 1/2] FROM docker.io/library/alpine', 'linux/arm64'],
      ['#6 [linux/amd64 2/2] RUN make', 'linux/amd64'],
      ['#5 0.512 fetching', 'linux/arm64'],
      ['#6 12.01 cc -o app main.c', 'linux/amd64'],
      ['#7 [linux/arm/v7 internal] load metadata', 'linux/arm/v7'],
      ['#7 DONE 0.1s', 'linux/arm/v7'],
      ['#9 exporting to oci image format', undefined],
      ['[linux/arm64] STEP 2/3: COPY busybox /bin/busybox', 'linux/arm64'],
      ['Copying blob sha256:689d7c31', undefined],
      ['Step 1/3 : FROM scratch', undefined],
    ];
    expect(lines.map(([line]) => [line, platformOf(line)])).toEqual(lines);
  });
});
