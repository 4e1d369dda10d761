import { describe, expect, it } from 'vitest';
import { sanitizeTag } from '../../../actions/compute-tags/src/compute.js';
import type { ReleaseSource } from '../../../actions/compute-tags/src/floating.js';
import { compute, type EventName, NOW, tagEvent } from './fixtures.js';

const MA_DEFAULTS = ['metadata-action-defaults'];
const SECOND = [
  'type=ref,event=branch',
  'type=ref,event=pr',
  'type=semver,pattern={{version}}',
  'type=semver,pattern={{major}}.{{minor}}',
  'type=semver,pattern={{major}}',
  'type=sha',
];
const git = (...tags: string[]): ReleaseSource[] => [{ name: 'git tags', versions: tags }];

describe('reference expectations (images name/app, no other release)', () => {
  it.each<[EventName, string[], string[]]>([
    ['push-tag-v1.2.3', MA_DEFAULTS, ['name/app:v1.2.3', 'name/app:latest']],
    ['push-main', MA_DEFAULTS, ['name/app:main']],
    ['push-feature', MA_DEFAULTS, ['name/app:feature-Auth_Thing']],
    ['pull-request-123', MA_DEFAULTS, ['name/app:pr-123']],
    [
      'push-tag-v1.2.3',
      SECOND,
      ['name/app:1.2.3', 'name/app:1.2', 'name/app:1', 'name/app:sha-860c190', 'name/app:latest'],
    ],
    ['push-main', SECOND, ['name/app:main', 'name/app:sha-860c190']],
    ['push-feature', SECOND, ['name/app:feature-Auth_Thing', 'name/app:sha-860c190']],
    ['pull-request-123', SECOND, ['name/app:pr-123', 'name/app:sha-1234567']],
  ])('%s with %j', (event, tags, expected) => {
    expect(compute(event, { tags }).tags).toEqual(expected);
  });

  it('the four metadata-action default rules written out give the same as the keyword', () => {
    const rules = ['type=schedule', 'type=ref,event=branch', 'type=ref,event=tag', 'type=ref,event=pr'];
    expect(compute('push-tag-v1.2.3', { tags: rules }).tags).toEqual(['name/app:v1.2.3', 'name/app:latest']);
  });

  it('a patch of an older line (v1.2.4 after v1.3.0) keeps 1 and latest where they are', () => {
    const r = compute(tagEvent('v1.2.4'), { tags: SECOND, sources: git('1.2.3', '1.3.0') });
    expect(r.tags).toEqual(['name/app:1.2.4', 'name/app:1.2', 'name/app:sha-860c190']);
    expect(r.floating).toEqual({
      '1.2': 'moved: 1.2.4 is the highest release in 1.2.x (checked git tags)',
      '1': 'not moved: 1.3.0 (git tags) is higher than 1.2.4 in 1.x',
      latest: 'not moved: 1.3.0 (git tags) is higher than 1.2.4 in all releases',
    });
    expect(r.version).toBe('1.2.4');
    expect(r.isRelease).toBe(true);
  });
});

describe('events', () => {
  it.each<[EventName, string[], string, boolean]>([
    ['push-tag-v1.2.3', ['1.2.3', '1.2', '1', 'sha-860c190', 'latest'], '1.2.3', true],
    ['release-published', ['1.2.3', '1.2', '1', 'sha-860c190', 'latest'], '1.2.3', true],
    ['push-main', ['main', 'sha-860c190'], 'main', false],
    ['pull-request-123', ['pr-123', 'sha-1234567'], 'pr-123', false],
    ['schedule', ['nightly', 'main', 'sha-860c190'], 'nightly', false],
    ['workflow-dispatch', ['main', 'sha-860c190'], 'main', false],
  ])('%s with the recommended default rules', (event, names, version, isRelease) => {
    const r = compute(event);
    expect(r.tagNames).toEqual(names);
    expect(r.version).toBe(version);
    expect(r.isRelease).toBe(isRelease);
  });

  it('a release marked prerelease on GitHub gets no floating tags, unless floating-tags is always', () => {
    const { payload, env } = tagEvent('v1.2.3');
    const release = { tag_name: 'v1.2.3', prerelease: true };
    const event = { payload: { ...payload, release }, env: { ...env, GITHUB_EVENT_NAME: 'release' } };
    const r = compute(event);
    expect(r.tagNames).toEqual(['1.2.3', 'sha-860c190']);
    const why = 'not moved: the GitHub release of 1.2.3 is marked pre-release (floating-tags: always moves it anyway)';
    expect(r.floating).toEqual({ '1.2': why, '1': why, latest: why });
    expect(r.isRelease).toBe(false);
    expect(compute(event, { floating: 'always' }).tagNames).toEqual(['1.2.3', '1.2', '1', 'sha-860c190', 'latest']);
  });
});

describe('metadata-action rule semantics', () => {
  it.each<[string, EventName | ReturnType<typeof tagEvent>, string[], string[], string[]?]>([
    [
      'priority: higher first, equal keeps input order',
      'push-main',
      ['type=sha', 'type=raw,value=b', 'type=raw,value=a', 'type=ref,event=branch'],
      ['main', 'b', 'a', 'sha-860c190'],
    ],
    [
      'priority attribute overrides the default',
      'push-main',
      ['type=ref,event=branch', 'type=sha,priority=601'],
      ['sha-860c190', 'main'],
    ],
    ['sha long', 'push-main', ['type=sha,format=long'], ['sha-860c1904a1ce19322e91ac35af1ab07466440c37']],
    ['sha prefix and suffix', 'push-main', ['type=sha,prefix=,suffix=-amd64'], ['860c190-amd64']],
    ['sha of the merge commit on a PR', 'pull-request-123', ['type=sha,source=merge'], ['sha-860c190']],
    ['edge on the default branch', 'push-main', ['type=edge'], ['edge']],
    ['edge not on another branch', 'push-feature', ['type=edge', 'type=raw,value=x'], ['x']],
    ['edge with branch=', 'push-feature', ['type=edge,branch=feature/Auth_Thing'], ['edge']],
    [
      'enable={{is_default_branch}} on main',
      'push-main',
      ['type=raw,value=stable,enable={{is_default_branch}}'],
      ['stable'],
    ],
    [
      'enable={{is_default_branch}} elsewhere',
      'push-feature',
      ['type=raw,value=stable,enable={{is_default_branch}}', 'type=ref,event=branch'],
      ['feature-Auth_Thing'],
    ],
    ['enable=false', 'push-main', ['type=ref,event=branch,enable=false', 'type=sha'], ['sha-860c190']],
    ['raw with expressions', 'push-feature', ['type=raw,value={{branch}}-{{sha}}'], ['feature-Auth_Thing-860c190']],
    ['plain value is raw', 'push-main', ['stable'], ['stable']],
    [
      'schedule pattern with date',
      'schedule',
      ["type=schedule,pattern=nightly-{{date 'YYYYMMDD'}}"],
      ['nightly-20261120'],
    ],
    [
      'schedule date in a time zone',
      'schedule',
      ["type=schedule,pattern={{date 'YYYYMMDD-HHmm' tz='Asia/Tokyo'}}"],
      ['20261121-0830'],
    ],
    ['schedule only on schedule', 'push-main', ['type=schedule', 'type=ref,event=branch'], ['main']],
    ['ref tag', tagEvent('v1.2.3'), ['type=ref,event=tag'], ['v1.2.3', 'latest']],
    ['ref pr with own prefix', 'pull-request-123', ['type=ref,event=pr,prefix=pull-'], ['pull-123']],
    [
      'semver raw and patch',
      tagEvent('v1.2.3'),
      ['type=semver,pattern={{raw}}', 'type=semver,pattern={{major}}.{{minor}}.{{patch}}'],
      ['v1.2.3', '1.2.3', 'latest'],
    ],
    [
      'semver prerelease gets its version only',
      tagEvent('v2.0.0-rc.1'),
      ['type=semver,pattern={{version}}', 'type=semver,pattern={{major}}'],
      ['2.0.0-rc.1'],
    ],
    ['semver prerelease with {{raw}}', tagEvent('v2.0.0-rc.1'), ['type=semver,pattern={{raw}}'], ['v2.0.0-rc.1']],
    [
      'semver value override on a branch',
      'push-main',
      ['type=semver,pattern={{major}}.{{minor}},value=v3.4.5'],
      ['3.4', 'latest'],
    ],
    [
      'semver of a non-semver tag gives nothing',
      tagEvent('release1'),
      ['type=semver,pattern={{version}}', 'type=ref,event=tag'],
      ['release1', 'latest'],
      ["'release1' is not a semantic version"],
    ],
    ['match group', tagEvent('v1.2.3'), ['type=match,pattern=v(\\d+.\\d+),group=1'], ['1.2', 'latest']],
    ['match regex with slashes', tagEvent('app-20200110-RC2'), ['type=match,pattern=/\\d{8}/'], ['20200110', 'latest']],
    [
      'match without match warns',
      tagEvent('v1.2.3'),
      ['type=match,pattern=^x', 'type=sha'],
      ['sha-860c190'],
      ["pattern '^x' does not match 'v1.2.3'"],
    ],
    [
      'pep440',
      tagEvent('1.2.3rc2'),
      ['type=pep440,pattern={{version}}', 'type=pep440,pattern={{major}}'],
      ['1.2.3rc2'],
    ],
    [
      'pep440 final',
      tagEvent('1.2'),
      ['type=pep440,pattern={{version}}', 'type=pep440,pattern={{major}}.{{minor}}'],
      ['1.2', 'latest'],
    ],
    ['build number', 'push-main', ['type=build'], ['build-42']],
    ['timestamp from the commit time, UTC', 'push-main', ['type=timestamp'], ['20261119-092724']],
    ['timestamp format', 'push-main', ['type=timestamp,format=YYYY.MM.DD,prefix=t'], ['t2026.11.19']],
    ['env', 'push-main', ['type=env,value=staging'], ['staging']],
    [
      'duplicates removed, order kept',
      'push-main',
      ['type=raw,value=x', 'type=ref,event=branch', 'type=raw,value=main'],
      ['main', 'x'],
    ],
  ])('%s', (_name, event, tags, expected, warnings = []) => {
    const r = compute(event, { tags });
    expect(r.tagNames).toEqual(expected);
    for (const w of warnings) expect(r.warnings.join('\n')).toContain(w);
  });
});

describe('flavor', () => {
  it.each<[string, EventName | ReturnType<typeof tagEvent>, string[], string[], string[]]>([
    ['latest=false', tagEvent('v1.2.3'), ['type=semver,pattern={{version}}'], ['latest=false'], ['1.2.3']],
    ['latest=true on a branch', 'push-main', ['type=ref,event=branch'], ['latest=true'], ['main', 'latest']],
    [
      'latest=true never for a prerelease',
      tagEvent('v1.0.0-beta.1'),
      ['type=semver,pattern={{version}}'],
      ['latest=true'],
      ['1.0.0-beta.1'],
    ],
    [
      'prefix and suffix',
      tagEvent('v1.2.3'),
      ['type=semver,pattern={{version}}', 'type=sha'],
      ['prefix=app-', 'suffix=-alpine'],
      ['app-1.2.3-alpine', 'sha-860c190-alpine', 'latest'],
    ],
    [
      'prefix on latest',
      tagEvent('v1.2.3'),
      ['type=semver,pattern={{version}}'],
      ['prefix=app-,onlatest=true'],
      ['app-1.2.3', 'app-latest'],
    ],
    [
      'rule prefix beats flavor prefix',
      'push-main',
      ['type=ref,event=branch,prefix=br-'],
      ['prefix=app-'],
      ['br-main'],
    ],
  ])('%s', (_name, event, tags, flavor, expected) => {
    expect(compute(event, { tags, flavor }).tagNames).toEqual(expected);
  });
});

describe('floating tags', () => {
  it.each<[string, string, ReleaseSource[] | undefined, 'highest' | 'always' | 'never', string[]]>([
    ['highest, none higher', 'v1.2.3', git('1.0.0', '1.2.2'), 'highest', ['1.2.3', '1.2', '1', 'latest']],
    ['highest, higher minor exists', 'v1.2.4', git('1.3.0'), 'highest', ['1.2.4', '1.2']],
    ['highest, higher patch exists', 'v1.2.4', git('1.2.5'), 'highest', ['1.2.4']],
    ['highest, higher major exists', 'v1.9.0', git('2.0.0'), 'highest', ['1.9.0', '1.9', '1']],
    [
      'highest, prerelease above does not count',
      'v1.2.3',
      git('1.3.0-rc.1'),
      'highest',
      ['1.2.3', '1.2', '1', 'latest'],
    ],
    [
      'highest, from the registry source',
      'v1.2.4',
      [{ name: 'registry x', versions: ['1.3.0'] }],
      'highest',
      ['1.2.4', '1.2'],
    ],
    ['highest, rebuild of the current highest', 'v1.3.0', git('1.3.0'), 'highest', ['1.3.0', '1.3', '1', 'latest']],
    ['no source readable: like always', 'v1.2.4', undefined, 'highest', ['1.2.4', '1.2', '1', 'latest']],
    ['always', 'v1.2.4', git('1.3.0'), 'always', ['1.2.4', '1.2', '1', 'latest']],
    ['never', 'v1.2.3', git(), 'never', ['1.2.3']],
  ])('%s', (_name, tag, sources, floating, expected) => {
    const r = compute(tagEvent(tag), {
      tags: [
        'type=semver,pattern={{version}}',
        'type=semver,pattern={{major}}.{{minor}}',
        'type=semver,pattern={{major}}',
      ],
      sources,
      floating,
    });
    expect(r.tagNames).toEqual(expected);
  });

  it('records why each floating tag moved or not', () => {
    const r = compute(tagEvent('v1.2.3'), { tags: SECOND, sources: undefined });
    expect(r.floating).toEqual({
      '1.2': 'moved without comparison: neither git tags nor registry tags could be read',
      '1': 'moved without comparison: neither git tags nor registry tags could be read',
      latest: 'moved without comparison: neither git tags nor registry tags could be read',
    });
    expect(r.json.floating).toEqual(r.floating);
  });
});

describe('monorepo tag-prefix', () => {
  it('strips the prefix for the version and the floating decision', () => {
    const r = compute('push-tag-api-v1.2.3', { tags: SECOND, tagPrefix: 'api/', sources: git() });
    expect(r.tagNames).toEqual(['1.2.3', '1.2', '1', 'sha-860c190', 'latest']);
    expect(r.labels).toContain('org.opencontainers.image.version=1.2.3');
  });

  it('ref,event=tag and {{tag}} see the tag without the prefix', () => {
    const r = compute('push-tag-api-v1.2.3', {
      tags: ['type=ref,event=tag', 'type=raw,value=t-{{tag}}'],
      tagPrefix: 'api/',
    });
    expect(r.tagNames).toEqual(['v1.2.3', 't-v1.2.3', 'latest']);
  });

  it("another component's tag makes no version tags and says why", () => {
    const r = compute('push-tag-api-v1.2.3', { tags: SECOND, tagPrefix: 'web/' });
    expect(r.tagNames).toEqual(['sha-860c190']);
    expect(r.warnings.join('\n')).toContain("the git tag 'api/v1.2.3' does not start with tag-prefix 'web/'");
  });
});

describe('sanitizeTag', () => {
  const long = (c: string) => `feature-${c.repeat(150)}`;
  it.each([
    ['feature/Auth_Thing', 'feature-Auth_Thing'],
    ['a//b c', 'a-b-c'],
    ['.hidden', 'hidden'],
    ['-.-x', 'x'],
    ['ünïcode', 'n-code'],
    ['v1.2.3+build.5', 'v1.2.3-build.5'],
    ['', ''],
  ])('%j -> %j', (input, expected) => {
    expect(sanitizeTag(input)).toBe(expected);
  });

  it('cuts long names to 128 with a stable hash, distinct per name', () => {
    const a = sanitizeTag(`${long('a')}-one`);
    const b = sanitizeTag(`${long('a')}-two`);
    expect(a).toHaveLength(128);
    expect(b).toHaveLength(128);
    expect(a).not.toBe(b);
    expect(sanitizeTag(`${long('a')}-one`)).toBe(a);
    expect(a).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/);
    expect(a.slice(0, 119)).toBe(`${long('a')}-one`.slice(0, 119));
  });

  it('every emitted tag is valid, also for a long branch name', () => {
    const { payload, env } = tagEvent('x');
    const branch = `refs/heads/${'Very/Long_branch name!'.repeat(10)}`;
    const r = compute({ payload: { ...payload, ref: branch }, env: { ...env, GITHUB_REF: branch } }, { tags: SECOND });
    expect(r.tagNames).toHaveLength(2);
    for (const t of r.tagNames) expect(t).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/);
  });
});

describe('images', () => {
  it('keeps the written form per image, in priority order per image', () => {
    const r = compute('push-main', { tags: SECOND, images: ['ghcr.io/acme/api', 'docker.io/acme/api,name/app'] });
    expect(r.tags).toEqual([
      'ghcr.io/acme/api:main',
      'ghcr.io/acme/api:sha-860c190',
      'docker.io/acme/api:main',
      'docker.io/acme/api:sha-860c190',
      'name/app:main',
      'name/app:sha-860c190',
    ]);
  });

  it('lower-cases upper-case names with a warning, drops disabled and repeated ones', () => {
    const r = compute('push-main', {
      tags: ['type=ref,event=branch'],
      images: ['ghcr.io/Acme/API', 'ghcr.io/acme/api', 'name=ghcr.io/acme/off,enable=false'],
    });
    expect(r.tags).toEqual(['ghcr.io/acme/api:main']);
    expect(r.warnings).toEqual([
      "Image 'ghcr.io/Acme/API' has upper-case letters; repository names are lower case, so 'ghcr.io/acme/api' is used",
    ]);
  });
});

describe('image lines', () => {
  it.each<[string[], string[]]>([
    [['ghcr.io/acme/api,enable=false', 'name/app'], ['name/app:main']],
    [['ghcr.io/acme/api,enable=true'], ['ghcr.io/acme/api:main']],
    [['enable=true,ghcr.io/acme/api'], ['ghcr.io/acme/api:main']],
    [['name=ghcr.io/acme/api,enable=TRUE'], ['ghcr.io/acme/api:main']],
    [['ghcr.io/acme/api, name/app'], ['ghcr.io/acme/api:main', 'name/app:main']],
  ])('%j', (images, tags) => {
    expect(compute('push-main', { tags: ['type=ref,event=branch'], images }).tags).toEqual(tags);
  });

  it.each<[string, string]>([
    ['ghcr.io/acme/api,name=name/app', "Input 'images': 'ghcr.io/acme/api,name=name/app' names more than one image"],
    ['enable=false', "Input 'images': 'enable=false' has no image name"],
    ['ghcr.io/acme/api,enable=no', "Input 'images': 'ghcr.io/acme/api,enable=no': enable='no' is not accepted"],
    ['ghcr.io/acme/api,enable=false', "Input 'images': names no enabled image"],
  ])('refuses %s', (line, message) => {
    expect(() => compute('push-main', { images: [line] })).toThrow(message);
  });
});

describe('semver and pep440 match=', () => {
  it.each<[string, string, string[], string[]]>([
    ['p1/v1.2.3', 'type=semver,pattern={{version}},match=v(\\d.\\d.\\d)$', ['1.2.3', 'latest'], []],
    ['p1/v1.2.3', 'type=semver,pattern={{major}},match=^p1/(.*)$', ['1', 'latest'], []],
    ['api/v2.0.0-rc.1', 'type=semver,pattern={{major}},match=api/(.+)', ['2.0.0-rc.1'], []],
    ['p1/1.2rc1', 'type=pep440,pattern={{version}},match=p1/(.*)', ['1.2rc1'], []],
    [
      'p2/v1.2.3',
      'type=semver,pattern={{version}},match=^p1/v(.*)$',
      [],
      [
        "match '^p1/v(.*)$' does not match 'p2/v1.2.3', so 'type=semver,pattern={{version}},match=^p1/v(.*)$' gives no tag",
      ],
    ],
  ])('%s with %s', (tag, rule, names, warnings) => {
    const r = compute(tagEvent(tag), { tags: [rule], floating: 'always' });
    expect(r.tagNames).toEqual(names);
    expect(r.warnings).toEqual(warnings);
  });
});

describe('labels and annotations', () => {
  it('come from the payload repository, created from the commit time, sorted, overridable', () => {
    const r = compute('push-tag-v1.2.3', {
      tags: SECOND,
      labels: [
        ['org.opencontainers.image.title', 'API'],
        ['com.example.branch', 'b-{{sha}}'],
        ['com.example.{{tag}}', 'x'],
      ],
      annotations: [
        ['org.opencontainers.image.description', 'other'],
        ['index:org.example.x', '1'],
      ],
    });
    expect(r.labels).toEqual([
      'com.example.branch=b-860c190',
      'com.example.v1.2.3=x',
      'org.opencontainers.image.created=2026-11-19T09:27:24.000Z',
      'org.opencontainers.image.description=The app, in a container',
      'org.opencontainers.image.licenses=MIT',
      'org.opencontainers.image.revision=860c1904a1ce19322e91ac35af1ab07466440c37',
      'org.opencontainers.image.source=https://github.com/name/app',
      'org.opencontainers.image.title=API',
      'org.opencontainers.image.url=https://github.com/name/app',
      'org.opencontainers.image.version=1.2.3',
    ]);
    expect(r.annotations).toEqual([
      'manifest:org.opencontainers.image.created=2026-11-19T09:27:24.000Z',
      'manifest:org.opencontainers.image.description=other',
      'manifest:org.opencontainers.image.licenses=MIT',
      'manifest:org.opencontainers.image.revision=860c1904a1ce19322e91ac35af1ab07466440c37',
      'manifest:org.opencontainers.image.source=https://github.com/name/app',
      'manifest:org.opencontainers.image.title=app',
      'manifest:org.opencontainers.image.url=https://github.com/name/app',
      'manifest:org.opencontainers.image.version=1.2.3',
      'index:org.example.x=1',
    ]);
    expect(r.json.labels['org.opencontainers.image.title']).toBe('API');
  });

  it.each<[boolean, string[], string]>([
    [true, ['pr-123', 'sha-1234567'], '1234567890abcdef1234567890abcdef12345678'],
    [false, ['pr-123', 'sha-860c190'], '860c1904a1ce19322e91ac35af1ab07466440c37'],
  ])('on a pull request the revision label names the type=sha commit (head sha %s)', (headSha, names, revision) => {
    const r = compute('pull-request-123', { tags: ['type=ref,event=pr', 'type=sha'], headSha });
    expect(r.tagNames).toEqual(names);
    expect(r.labels).toContain(`org.opencontainers.image.revision=${revision}`);
    expect(r.json.labels['org.opencontainers.image.revision']).toBe(revision);
  });

  it('without a repository in the payload (schedule) fall back to GITHUB_REPOSITORY', () => {
    const r = compute('schedule', { env: { GITHUB_REPOSITORY: 'name/app', GITHUB_SERVER_URL: 'https://github.com' } });
    expect(r.labels).toContain('org.opencontainers.image.title=app');
    expect(r.labels).toContain('org.opencontainers.image.url=https://github.com/name/app');
    expect(r.labels).toContain('org.opencontainers.image.licenses=');
  });
});

describe("the README's one-line changes that restore metadata-action's behaviour", () => {
  it('tags: metadata-action-defaults on a tag push gives the raw tag and latest', () => {
    expect(compute('push-tag-v1.2.3', { tags: ['metadata-action-defaults'] }).tagNames).toEqual(['v1.2.3', 'latest']);
  });

  it('type=raw,value=latest,priority=1 puts latest on a prerelease, as latest=true does there', () => {
    const rules = ['type=semver,pattern={{version}}', 'type=raw,value=latest,priority=1'];
    const r = compute(tagEvent('v2.0.0-rc.1'), { tags: rules, flavor: ['latest=true'] });
    expect(r.tagNames).toEqual(['2.0.0-rc.1', 'latest']);
    expect(r.version).toBe('2.0.0-rc.1');
  });

  it("a created label from {{date}} gives the run's time in metadata-action's format", () => {
    const r = compute('push-main', {
      tags: ['type=ref,event=branch'],
      labels: [['org.opencontainers.image.created', "{{date 'YYYY-MM-DDTHH:mm:ss.SSS[Z]'}}"]],
    });
    expect(r.labels).toContain(`org.opencontainers.image.created=${NOW.toISOString()}`);
  });

  it.each<[string, string[]]>([
    ['p1/v1.0.0', ['1.0.0']],
    ['v2.0.0', ['2.0.0']],
  ])('match=^(?:p1/)?(.*)$ also takes the whole tag %s', (tag, names) => {
    const rule = 'type=semver,pattern={{version}},match=^(?:p1/)?(.*)$';
    expect(compute(tagEvent(tag), { tags: [rule], flavor: ['latest=false'] }).tagNames).toEqual(names);
  });
});
