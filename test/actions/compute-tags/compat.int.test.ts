// compute-tags as a drop-in for docker/metadata-action: one table of cases run through the
// bundle (dist/compute-tags/index.js) the way the runner runs it. Each case gives its event
// payload, inputs and DOCKER_METADATA_* variables, and the tags, labels, annotations, json and
// bake files it must produce. The payloads are built here around a real git repository whose two
// commits have fixed times, so that `created` is known: the pull request's head commit and the
// commit GitHub checks out (the merge commit; on a push or release, the pushed commit).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '#shared/exec.js';
import { type RunResult, runAction } from '../../harness/run-action.js';

const HEAD = '5fd447d8d179b097f5bf2b4fb8b89da483e239d8';
const HEAD_TIME = '2026-11-18T10:00:00.000Z';
const MERGE = 'e178ad38fe39cdcd26d9421234283d92a7531902';
const MERGE_TIME = '2026-11-19T09:27:24.000Z';
// Docker Hub is out of reach in tests: any registry request goes to a closed local port.
const NO_INTERNET = { HTTPS_PROXY: 'http://127.0.0.1:1', HTTP_PROXY: 'http://127.0.0.1:1' };

const repository = {
  id: 285789493,
  name: 'app',
  full_name: 'name/app',
  private: false,
  html_url: 'https://github.com/name/app',
  description: 'The app, in a container',
  default_branch: 'main',
  license: { key: 'mit', name: 'MIT License', spdx_id: 'MIT' },
};

interface Event {
  name: string;
  payload: Record<string, unknown>;
  env: Record<string, string>;
}

function push(ref: string): Event {
  return {
    name: 'push',
    payload: {
      ref,
      before: '0000000000000000000000000000000000000000',
      after: MERGE,
      created: false,
      deleted: false,
      base_ref: null,
      commits: [],
      head_commit: { id: MERGE, message: 'merge', timestamp: '2026-11-19T09:27:24Z' },
      repository,
    },
    env: { GITHUB_REF: ref, GITHUB_SHA: MERGE },
  };
}

/** pull_request runs on the merge ref; pull_request_target on the base branch, with the same payload. */
function pullRequest(name: 'pull_request' | 'pull_request_target', number: number, head = HEAD): Event {
  return {
    name,
    payload: {
      action: 'synchronize',
      number,
      pull_request: {
        number,
        state: 'open',
        head: { label: 'fork:feature/login', ref: 'feature/login', sha: head },
        base: { label: 'name:main', ref: 'main', sha: MERGE },
      },
      repository,
    },
    env: {
      GITHUB_REF: name === 'pull_request' ? `refs/pull/${number}/merge` : 'refs/heads/main',
      GITHUB_SHA: MERGE,
      GITHUB_HEAD_REF: 'feature/login',
      GITHUB_BASE_REF: 'main',
    },
  };
}

function release(tag: string, prerelease: boolean): Event {
  return {
    name: 'release',
    payload: {
      action: 'published',
      release: { tag_name: tag, name: tag, draft: false, prerelease, target_commitish: 'main' },
      repository,
    },
    env: { GITHUB_REF: `refs/tags/${tag}`, GITHUB_SHA: MERGE },
  };
}

/** The eight OCI keys metadata-action writes, sorted, for this repository. */
function oci(version: string, revision: string, created: string): string[] {
  return [
    `org.opencontainers.image.created=${created}`,
    'org.opencontainers.image.description=The app, in a container',
    'org.opencontainers.image.licenses=MIT',
    `org.opencontainers.image.revision=${revision}`,
    'org.opencontainers.image.source=https://github.com/name/app',
    'org.opencontainers.image.title=app',
    'org.opencontainers.image.url=https://github.com/name/app',
    `org.opencontainers.image.version=${version}`,
  ];
}

const atLevels = (levels: string[], lines: string[]) => levels.flatMap((l) => lines.map((x) => `${l}:${x}`));

interface Case {
  name: string;
  event: Event;
  inputs: Record<string, string>;
  env?: Record<string, string>;
  version: string;
  /** full references */
  tags: string[];
  labels: string[];
  /** default: the labels at the manifest level */
  annotations?: string[];
  floating?: Record<string, string>;
  isRelease?: boolean;
  warnings?: string[];
  /** text the job summary must hold */
  summary?: string;
  /** default: docker-metadata-action */
  bakeTarget?: string;
  /** DOCKER_META_IMAGES in the bake files; default name/app */
  bakeImages?: string;
}

const ALWAYS = { 'floating-tags': 'always' };

const cases: Case[] = [
  // 1. pull_request_target is about the pull request, not the base branch it runs on
  {
    name: 'pull_request_target, metadata-action defaults: pr-<n>, no branch tag',
    event: pullRequest('pull_request_target', 7),
    inputs: { images: 'name/app', tags: 'metadata-action-defaults' },
    version: 'pr-7',
    tags: ['name/app:pr-7'],
    labels: oci('pr-7', HEAD, HEAD_TIME),
  },
  {
    name: 'pull_request_target: {{base_ref}} is the base branch, {{is_default_branch}} false, type=sha the head',
    event: pullRequest('pull_request_target', 7),
    inputs: {
      images: 'name/app',
      tags: [
        'type=ref,event=branch',
        'type=edge',
        'type=raw,value=base-{{base_ref}}',
        'type=raw,value=defbranch,enable={{is_default_branch}}',
        'type=raw,value={{branch}}x',
        'type=sha',
      ].join('\n'),
    },
    version: 'base-main',
    tags: ['name/app:base-main', 'name/app:x', 'name/app:sha-5fd447d'],
    labels: oci('base-main', HEAD, HEAD_TIME),
  },
  // 8 and 10. the revision label names the commit type=sha names; DOCKER_METADATA_PR_HEAD_SHA picks it
  {
    name: 'pull_request: revision, {{sha}} and type=sha name the head commit',
    event: pullRequest('pull_request', 15),
    inputs: {
      images: 'name/app',
      tags: 'type=ref,event=pr\ntype=sha\ntype=sha,format=long',
      labels: 'org.example.commit={{sha}}',
    },
    version: 'pr-15',
    tags: ['name/app:pr-15', 'name/app:sha-5fd447d', `name/app:sha-${HEAD}`],
    labels: ['org.example.commit=5fd447d', ...oci('pr-15', HEAD, HEAD_TIME)],
    annotations: atLevels(['manifest'], oci('pr-15', HEAD, HEAD_TIME)),
  },
  {
    name: 'pull_request with DOCKER_METADATA_PR_HEAD_SHA=false: the merge commit, as metadata-action by default',
    event: pullRequest('pull_request', 15),
    inputs: { images: 'name/app', tags: 'type=ref,event=pr\ntype=sha\ntype=sha,source=head,prefix=head-' },
    env: { DOCKER_METADATA_PR_HEAD_SHA: 'false' },
    version: 'pr-15',
    tags: ['name/app:pr-15', 'name/app:sha-e178ad3', 'name/app:head-5fd447d'],
    labels: oci('pr-15', MERGE, MERGE_TIME),
  },
  {
    name: 'pull_request_target with DOCKER_METADATA_PR_HEAD_SHA=true',
    event: pullRequest('pull_request_target', 7),
    inputs: { images: 'name/app', tags: 'type=sha,priority=2000\ntype=ref,event=pr' },
    env: { DOCKER_METADATA_PR_HEAD_SHA: 'true' },
    version: 'sha-5fd447d',
    tags: ['name/app:sha-5fd447d', 'name/app:pr-7'],
    labels: oci('sha-5fd447d', HEAD, HEAD_TIME),
  },
  {
    name: 'pull_request whose head commit the checkout lacks: created is the merge commit time',
    event: pullRequest('pull_request', 15, '0123456789abcdef0123456789abcdef01234567'),
    inputs: { images: 'name/app', tags: 'type=sha' },
    version: 'sha-0123456',
    tags: ['name/app:sha-0123456'],
    labels: oci('sha-0123456', '0123456789abcdef0123456789abcdef01234567', MERGE_TIME),
  },
  // 2. {{is_not_default_branch}}
  {
    name: '{{is_not_default_branch}} on a feature branch',
    event: push('refs/heads/feature/login'),
    inputs: {
      images: 'name/app',
      tags: [
        'type=ref,event=branch',
        'type=raw,value=preview,enable={{is_not_default_branch}}',
        'type=raw,value=stable,enable={{is_default_branch}}',
      ].join('\n'),
    },
    version: 'feature-login',
    tags: ['name/app:feature-login', 'name/app:preview'],
    labels: oci('feature-login', MERGE, MERGE_TIME),
  },
  {
    name: '{{is_not_default_branch}} on the default branch',
    event: push('refs/heads/main'),
    inputs: {
      images: 'name/app',
      tags: 'type=raw,value=preview,enable={{is_not_default_branch}}\ntype=raw,value=stable,enable={{is_default_branch}}',
    },
    version: 'stable',
    tags: ['name/app:stable'],
    labels: oci('stable', MERGE, MERGE_TIME),
  },
  // 3. labels and annotations lines without '=' are skipped with a warning
  {
    name: 'labels and annotations lines without = are skipped, each with a warning',
    event: push('refs/heads/main'),
    inputs: {
      images: 'name/app',
      tags: 'type=ref,event=branch',
      labels: 'invalid\nfoo=\norg.opencontainers.image.vendor=Acme\n=nokey',
      annotations: 'broken line\norg.opencontainers.image.title=App=1',
    },
    version: 'main',
    tags: ['name/app:main'],
    labels: [
      'foo=',
      ...oci('main', MERGE, MERGE_TIME).slice(0, 7),
      'org.opencontainers.image.vendor=Acme',
      'org.opencontainers.image.version=main',
    ],
    annotations: atLevels(
      ['manifest'],
      oci('main', MERGE, MERGE_TIME).map((l) =>
        l.startsWith('org.opencontainers.image.title=') ? 'org.opencontainers.image.title=App=1' : l,
      ),
    ),
    warnings: [
      "Input 'labels': 'invalid' is skipped: it is not a key=value line",
      "Input 'labels': '=nokey' is skipped: it is not a key=value line",
      "Input 'annotations': 'broken line' is skipped: it is not a key=value line",
    ],
  },
  // 5. semver and pep440 with match=
  {
    name: 'semver match= picks the version out of a monorepo tag',
    event: push('refs/tags/p1/v1.0.0'),
    inputs: { images: 'name/app', tags: 'type=semver,pattern={{version}},"match=v(\\d.\\d.\\d)$"', ...ALWAYS },
    version: '1.0.0',
    tags: ['name/app:1.0.0', 'name/app:latest'],
    labels: oci('1.0.0', MERGE, MERGE_TIME),
    floating: { latest: 'moved: floating-tags is always' },
    isRelease: true,
  },
  {
    name: 'semver and pep440 match= on a value, beside edge',
    event: push('refs/heads/main'),
    inputs: {
      images: 'name/app',
      tags: [
        'type=semver,pattern={{version}},value=p1/v1.2.3,"match=v(\\d.\\d.\\d)$"',
        'type=pep440,pattern={{major}}.{{minor}},value=p1/v1.2.3,match=v(\\d+\\.\\d+\\.\\d+)$',
        'type=edge',
      ].join('\n'),
      ...ALWAYS,
    },
    version: '1.2.3',
    tags: ['name/app:1.2.3', 'name/app:1.2', 'name/app:edge', 'name/app:latest'],
    labels: oci('1.2.3', MERGE, MERGE_TIME),
    floating: { '1.2': 'moved: floating-tags is always', latest: 'moved: floating-tags is always' },
    isRelease: true,
  },
  {
    name: "semver match= that does not match another component's tag gives no tag",
    event: push('refs/tags/p2/v2.0.0'),
    inputs: {
      images: 'name/app',
      tags: 'type=semver,pattern={{version}},match=^p1/v(\\d.*)$\ntype=sha',
      ...ALWAYS,
    },
    version: 'sha-e178ad3',
    tags: ['name/app:sha-e178ad3'],
    labels: oci('sha-e178ad3', MERGE, MERGE_TIME),
    warnings: [
      "match '^p1/v(\\d.*)$' does not match 'p2/v2.0.0', so 'type=semver,pattern={{version}},match=^p1/v(\\d.*)$' gives no tag",
    ],
  },
  // 6. the image shorthand with attributes after the name
  {
    name: 'image lines with attributes after the name',
    event: push('refs/heads/main'),
    inputs: {
      images: 'ghcr.io/name/app,enable=false\nname/app,enable=true\nname=quay.io/name/app',
      tags: 'type=ref,event=branch',
    },
    version: 'main',
    tags: ['name/app:main', 'quay.io/name/app:main'],
    labels: oci('main', MERGE, MERGE_TIME),
    bakeImages: 'name/app,quay.io/name/app',
  },
  // 7. a release marked pre-release on GitHub, on a final version tag
  {
    name: 'release marked pre-release on v1.1.1: no latest, the summary says why',
    event: release('v1.1.1', true),
    inputs: { images: 'name/app', tags: 'metadata-action-defaults' },
    version: 'v1.1.1',
    tags: ['name/app:v1.1.1'],
    labels: oci('v1.1.1', MERGE, MERGE_TIME),
    floating: {
      latest: 'not moved: the GitHub release of 1.1.1 is marked pre-release (floating-tags: always moves it anyway)',
    },
    summary:
      '<td>latest (not emitted)</td><td>flavor latest=auto</td><td>not moved: the GitHub release of 1.1.1 is marked pre-release (floating-tags: always moves it anyway)</td>',
  },
  {
    name: 'release marked pre-release on v1.1.1 with floating-tags: always: latest, as metadata-action',
    event: release('v1.1.1', true),
    inputs: { images: 'name/app', tags: 'metadata-action-defaults', ...ALWAYS },
    version: 'v1.1.1',
    tags: ['name/app:v1.1.1', 'name/app:latest'],
    labels: oci('v1.1.1', MERGE, MERGE_TIME),
    floating: { latest: 'moved: floating-tags is always' },
  },
  {
    name: 'release not marked pre-release',
    event: release('v1.1.1', false),
    inputs: { images: 'name/app', tags: 'type=ref,event=tag\ntype=raw,value=baseref-{{base_ref}}', ...ALWAYS },
    version: 'v1.1.1',
    tags: ['name/app:v1.1.1', 'name/app:baseref-', 'name/app:latest'],
    labels: oci('v1.1.1', MERGE, MERGE_TIME),
    floating: { latest: 'moved: floating-tags is always' },
    isRelease: true,
  },
  // 9. separators, bake target, annotation levels and keys that name their level
  {
    name: 'annotation levels from DOCKER_METADATA_ANNOTATIONS_LEVELS, keys with their own level, bake target',
    event: push('refs/heads/main'),
    inputs: {
      images: 'name/app',
      tags: 'type=ref,event=branch\ntype=raw,my',
      annotations: 'org.opencontainers.image.vendor=Acme\nindex:org.example.only-index=1\nmanifest:org.example.m=2',
      'bake-target': 'meta',
    },
    env: { DOCKER_METADATA_ANNOTATIONS_LEVELS: 'index, manifest-descriptor' },
    version: 'main',
    tags: ['name/app:main', 'name/app:my'],
    labels: oci('main', MERGE, MERGE_TIME),
    annotations: [
      ...atLevels(
        ['index'],
        [...oci('main', MERGE, MERGE_TIME), 'org.example.only-index=1', 'org.opencontainers.image.vendor=Acme'].sort(),
      ),
      ...atLevels(
        ['manifest-descriptor'],
        [
          ...oci('main', MERGE, MERGE_TIME).slice(0, 7),
          'org.opencontainers.image.vendor=Acme',
          'org.opencontainers.image.version=main',
        ],
      ),
      'manifest:org.example.m=2',
    ],
    bakeTarget: 'meta',
  },
  // 10. DOCKER_METADATA_SHORT_SHA_LENGTH, and the sha-length input over it
  {
    name: 'DOCKER_METADATA_SHORT_SHA_LENGTH sets the short sha',
    event: push('refs/heads/main'),
    inputs: { images: 'name/app', tags: 'type=sha\ntype=raw,value=at-{{sha}}' },
    env: { DOCKER_METADATA_SHORT_SHA_LENGTH: '12' },
    version: 'at-e178ad38fe39',
    tags: ['name/app:at-e178ad38fe39', 'name/app:sha-e178ad38fe39'],
    labels: oci('at-e178ad38fe39', MERGE, MERGE_TIME),
  },
  {
    name: 'the sha-length input wins over DOCKER_METADATA_SHORT_SHA_LENGTH',
    event: push('refs/heads/main'),
    inputs: { images: 'name/app', tags: 'type=sha', 'sha-length': '9' },
    env: { DOCKER_METADATA_SHORT_SHA_LENGTH: '12' },
    version: 'sha-e178ad38f',
    tags: ['name/app:sha-e178ad38f'],
    labels: oci('sha-e178ad38f', MERGE, MERGE_TIME),
  },
  {
    name: 'no tag: the bake files leave DOCKER_META_VERSION out',
    event: push('refs/heads/main'),
    inputs: { images: 'name/app', tags: 'type=ref,event=pr' },
    version: '',
    tags: [],
    labels: oci('', MERGE, MERGE_TIME),
    warnings: ["No tag applies to this push (ref 'refs/heads/main')"],
  },
];

let root: string;
let workspace: string;

async function run(c: Pick<Case, 'event' | 'inputs' | 'env'>): Promise<RunResult> {
  return runAction('compute-tags', {
    inputs: c.inputs,
    event: c.event.payload,
    eventName: c.event.name,
    env: { ...c.event.env, GITHUB_REPOSITORY: 'name/app', ...NO_INTERNET, ...c.env },
    workspace,
  });
}

const readJson = (path: string | undefined): unknown => JSON.parse(readFileSync(path as string, 'utf8'));

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'compute-tags-compat-'));
  workspace = join(root, 'repo');
  const base = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: root };
  const ident = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't' };
  const commit = async (message: string, date: string) => {
    const env = { ...base, ...ident, GIT_COMMITTER_EMAIL: 't@example.com', GIT_AUTHOR_DATE: date };
    await runCommand('git', ['commit', '-q', '--allow-empty', '-m', message], {
      cwd: workspace,
      env: { ...env, GIT_COMMITTER_DATE: date },
    });
    return (await runCommand('git', ['rev-parse', 'HEAD'], { cwd: workspace, env })).stdout.trim();
  };
  await runCommand('git', ['init', '-q', '-b', 'main', workspace], { env: base });
  // the commit ids follow from content and times: the payloads above name them
  expect(await commit('head', '2026-11-18T10:00:00Z')).toBe(HEAD);
  expect(await commit('merge', '2026-11-19T09:27:24Z')).toBe(MERGE);
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('compute-tags as docker/metadata-action', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const r = await run(c);
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    const tagNames = [...new Set(c.tags.map((t) => t.slice(t.lastIndexOf(':') + 1)))];
    const annotations = c.annotations ?? atLevels(['manifest'], c.labels);
    const labelMap = Object.fromEntries(c.labels.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

    expect(r.outputs.version).toBe(c.version);
    expect(r.outputs.tags).toBe(c.tags.join('\n'));
    expect(r.outputs['tag-names']).toBe(tagNames.join('\n'));
    expect(r.outputs.labels).toBe(c.labels.join('\n'));
    expect(r.outputs.annotations).toBe(annotations.join('\n'));
    expect(r.outputs['is-release']).toBe(String(c.isRelease ?? false));
    expect(r.warnings).toEqual(c.warnings ?? []);
    if (c.summary) expect(r.summary).toContain(c.summary);

    // metadata-action's keys first, in its order, then ours
    const json = JSON.parse(r.outputs.json);
    expect(Object.keys(json)).toEqual([
      'tags',
      'tag-names',
      'labels',
      'annotations',
      'version',
      'tagNames',
      'floating',
      'isRelease',
    ]);
    expect(json).toEqual({
      tags: c.tags,
      'tag-names': tagNames,
      labels: labelMap,
      annotations,
      version: c.version,
      tagNames,
      floating: c.floating ?? {},
      isRelease: c.isRelease ?? false,
    });

    const target = c.bakeTarget ?? 'docker-metadata-action';
    const args = {
      DOCKER_META_IMAGES: c.bakeImages ?? 'name/app',
      ...(c.version ? { DOCKER_META_VERSION: c.version } : {}),
    };
    expect(readJson(r.outputs['bake-file-tags'])).toEqual({ target: { [target]: { tags: c.tags, args } } });
    expect(readJson(r.outputs['bake-file-labels'])).toEqual({ target: { [target]: { labels: labelMap } } });
    expect(readJson(r.outputs['bake-file-annotations'])).toEqual({ target: { [target]: { annotations } } });
    expect(readJson(r.outputs['bake-file'])).toEqual({
      target: { [target]: { tags: c.tags, labels: labelMap, args } },
    });
    // each step writes its own files under RUNNER_TEMP
    expect(r.outputs['bake-file']).toContain(join(r.dir, 'runner-temp', 'compute-tags-'));
  });

  it('the bake file is laid out as metadata-action writes it', async () => {
    const r = await run({
      event: push('refs/tags/v1.2.3'),
      inputs: { images: 'name/app', tags: 'type=ref,event=tag', flavor: 'latest=false' },
    });
    expect(readFileSync(r.outputs['bake-file'] as string, 'utf8')).toBe(
      [
        '{',
        '  "target": {',
        '    "docker-metadata-action": {',
        '      "tags": [',
        '        "name/app:v1.2.3"',
        '      ],',
        '      "labels": {',
        `        "org.opencontainers.image.created": "${MERGE_TIME}",`,
        '        "org.opencontainers.image.description": "The app, in a container",',
        '        "org.opencontainers.image.licenses": "MIT",',
        `        "org.opencontainers.image.revision": "${MERGE}",`,
        '        "org.opencontainers.image.source": "https://github.com/name/app",',
        '        "org.opencontainers.image.title": "app",',
        '        "org.opencontainers.image.url": "https://github.com/name/app",',
        '        "org.opencontainers.image.version": "v1.2.3"',
        '      },',
        '      "args": {',
        '        "DOCKER_META_IMAGES": "name/app",',
        '        "DOCKER_META_VERSION": "v1.2.3"',
        '      }',
        '    }',
        '  }',
        '}',
      ].join('\n'),
    );
  });

  it('sep-tags, sep-labels and sep-annotations join the outputs, a single space included', async () => {
    const r = await run({
      event: push('refs/heads/main'),
      inputs: {
        images: 'name/app',
        tags: 'type=ref,event=branch\ntype=raw,my',
        'sep-tags': ' ',
        'sep-labels': ',',
        'sep-annotations': ';',
      },
    });
    expect(r.outputs.tags).toBe('name/app:main name/app:my');
    expect(r.outputs['tag-names']).toBe('main my');
    expect(r.outputs.labels).toBe(oci('main', MERGE, MERGE_TIME).join(','));
    expect(r.outputs.annotations).toBe(atLevels(['manifest'], oci('main', MERGE, MERGE_TIME)).join(';'));
  });

  it('every output is also a DOCKER_METADATA_OUTPUT_* variable, unless DOCKER_METADATA_SET_OUTPUT_ENV is false', async () => {
    const on = await run({
      event: push('refs/heads/main'),
      inputs: { images: 'name/app', tags: 'type=ref,event=branch' },
    });
    expect(Object.keys(on.env).sort()).toEqual([
      'DOCKER_METADATA_OUTPUT_ANNOTATIONS',
      'DOCKER_METADATA_OUTPUT_BAKE_FILE',
      'DOCKER_METADATA_OUTPUT_BAKE_FILE_ANNOTATIONS',
      'DOCKER_METADATA_OUTPUT_BAKE_FILE_LABELS',
      'DOCKER_METADATA_OUTPUT_BAKE_FILE_TAGS',
      'DOCKER_METADATA_OUTPUT_IS_RELEASE',
      'DOCKER_METADATA_OUTPUT_JSON',
      'DOCKER_METADATA_OUTPUT_LABELS',
      'DOCKER_METADATA_OUTPUT_TAGS',
      'DOCKER_METADATA_OUTPUT_TAG_NAMES',
      'DOCKER_METADATA_OUTPUT_VERSION',
    ]);
    for (const [name, value] of Object.entries(on.outputs)) {
      expect(on.env[`DOCKER_METADATA_OUTPUT_${name.replace(/\W/g, '_').toUpperCase()}`]).toBe(value);
    }
    expect(on.env.DOCKER_METADATA_OUTPUT_TAGS).toBe('name/app:main');
    const off = await run({
      event: push('refs/heads/main'),
      inputs: { images: 'name/app', tags: 'type=ref,event=branch' },
      env: { DOCKER_METADATA_SET_OUTPUT_ENV: 'false' },
    });
    expect(off.outputs.tags).toBe('name/app:main');
    expect(off.env).toEqual({});
  });

  it.each<[string, Record<string, string>, Record<string, string>, string]>([
    [
      'a short sha length that is not a number',
      { images: 'name/app' },
      { DOCKER_METADATA_SHORT_SHA_LENGTH: 'abc' },
      "Environment variable DOCKER_METADATA_SHORT_SHA_LENGTH: 'abc' is not accepted (expected a whole number from 4 to 40)",
    ],
    [
      'a misspelt annotation level',
      { images: 'name/app' },
      { DOCKER_METADATA_ANNOTATIONS_LEVELS: 'manifest,indx' },
      "Environment variable DOCKER_METADATA_ANNOTATIONS_LEVELS: 'indx' is not an annotation level",
    ],
    [
      'a boolean that is not one',
      { images: 'name/app' },
      { DOCKER_METADATA_SET_OUTPUT_ENV: 'yes' },
      "Environment variable DOCKER_METADATA_SET_OUTPUT_ENV: 'yes' is not a boolean (expected true or false)",
    ],
    [
      'a match= without a group',
      { images: 'name/app', tags: 'type=semver,pattern={{version}},match=v\\d' },
      {},
      "Input 'tags': 'type=semver,pattern={{version}},match=v\\d': match 'v\\d' has no group",
    ],
    [
      'an image line with two names and an attribute',
      { images: 'name/app,other/app,enable=true' },
      {},
      "Input 'images': 'name/app,other/app,enable=true' names more than one image",
    ],
    [
      'an image attribute metadata-action does not have',
      { images: 'name/app,tag=v1' },
      {},
      "Input 'images': 'name/app,tag=v1': 'tag=v1' is not an image name, name=... or enable=...",
    ],
  ])('fails clearly on %s', async (_name, inputs, env, message) => {
    const r = await run({ event: push('refs/heads/main'), inputs, env });
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain(message);
    expect(r.outputs).toEqual({});
    expect(r.stdout).not.toMatch(/\n\s+at /);
  });
});
