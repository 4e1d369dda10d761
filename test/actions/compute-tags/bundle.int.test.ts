// The bundle (dist/compute-tags/index.js) run the way the GitHub runner runs it: inputs as
// INPUT_* variables, a recorded event payload, outputs and the job summary read back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCommand } from '#shared/exec.js';
import { runAction } from '../../harness/run-action.js';
import { pushRandomImage } from '../../stack/helpers.js';
import { type EventName, EVENTS_DIR, loadEvent } from './fixtures.js';

const stack = inject('stack');
const SECOND = [
  'type=ref,event=branch',
  'type=ref,event=pr',
  'type=semver,pattern={{version}}',
  'type=semver,pattern={{major}}.{{minor}}',
  'type=semver,pattern={{major}}',
  'type=sha',
].join('\n');
// Docker Hub is out of reach in tests: any registry request goes to a closed local port.
const NO_INTERNET = { HTTPS_PROXY: 'http://127.0.0.1:1', HTTP_PROXY: 'http://127.0.0.1:1' };
let root: string;

async function gitRepo(name: string, tags: string[]): Promise<string> {
  const dir = join(root, name);
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: root, GIT_COMMITTER_DATE: '2026-11-19T09:27:24Z' };
  const git = (args: string[]) =>
    runCommand('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir, env });
  await runCommand('git', ['init', '-q', dir]);
  await git(['commit', '-q', '--allow-empty', '-m', 'c']);
  for (const t of tags) await git(['tag', t]);
  return dir;
}

function run(
  event: EventName,
  inputs: Record<string, string>,
  extra: { env?: Record<string, string>; workspace?: string } = {},
) {
  const { env } = loadEvent(event);
  return runAction('compute-tags', {
    inputs,
    event: join(EVENTS_DIR, `${event}.json`),
    eventName: env.GITHUB_EVENT_NAME,
    env: { ...env, ...NO_INTERNET, ...extra.env },
    workspace: extra.workspace,
  });
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'compute-tags-bundle-'));
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('compute-tags bundle', () => {
  it.each<[EventName, string, string[]]>([
    ['push-main', 'metadata-action-defaults', ['name/app:main']],
    ['push-feature', 'metadata-action-defaults', ['name/app:feature-Auth_Thing']],
    ['pull-request-123', 'metadata-action-defaults', ['name/app:pr-123']],
    ['push-main', SECOND, ['name/app:main', 'name/app:sha-860c190']],
    ['pull-request-123', SECOND, ['name/app:pr-123', 'name/app:sha-1234567']],
  ])('%s with %j', async (event, tags, expected) => {
    const r = await run(event, { images: 'name/app', tags });
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.outputs.tags).toBe(expected.join('\n'));
    expect(r.outputs['is-release']).toBe('false');
  });

  it('a tag push: every output, floating tags judged from git, the registry read reported', async () => {
    const workspace = await gitRepo('release', ['v1.0.0', 'v1.2.3']);
    const r = await run('push-tag-v1.2.3', { images: 'name/app\nghcr.io/name/app', tags: SECOND }, { workspace });
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    const names = ['1.2.3', '1.2', '1', 'sha-860c190', 'latest'];
    expect(r.outputs.tags).toBe(
      [...names.map((n) => `name/app:${n}`), ...names.map((n) => `ghcr.io/name/app:${n}`)].join('\n'),
    );
    expect(r.outputs['tag-names']).toBe(names.join('\n'));
    expect(r.outputs.version).toBe('1.2.3');
    expect(r.outputs['is-release']).toBe('true');
    expect(r.outputs.labels.split('\n')).toEqual([
      'org.opencontainers.image.created=2026-11-19T09:27:24.000Z',
      'org.opencontainers.image.description=The app, in a container',
      'org.opencontainers.image.licenses=MIT',
      'org.opencontainers.image.revision=860c1904a1ce19322e91ac35af1ab07466440c37',
      'org.opencontainers.image.source=https://github.com/name/app',
      'org.opencontainers.image.title=app',
      'org.opencontainers.image.url=https://github.com/name/app',
      'org.opencontainers.image.version=1.2.3',
    ]);
    expect(r.outputs.annotations.split('\n')[0]).toBe(
      'manifest:org.opencontainers.image.created=2026-11-19T09:27:24.000Z',
    );
    const json = JSON.parse(r.outputs.json);
    expect(json.tagNames).toEqual(names);
    expect(json.version).toBe('1.2.3');
    expect(json.labels['org.opencontainers.image.licenses']).toBe('MIT');
    expect(json.floating).toEqual({
      '1.2': 'moved: 1.2.3 is the highest release in 1.2.x (checked git tags)',
      '1': 'moved: 1.2.3 is the highest release in 1.x (checked git tags)',
      latest: 'moved: 1.2.3 is the highest release in all releases (checked git tags)',
    });
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(
      /^The tags of registry docker\.io\/name\/app could not be read \(.*\); floating tags are judged from git tags only$/,
    );
    expect(r.summary).toContain('<th>Tag</th><th>Rule</th><th>Floating</th>');
    expect(r.summary).toContain(
      '<td>1.2</td><td>type=semver,pattern={{major}}.{{minor}}</td><td>moved: 1.2.3 is the highest',
    );
  });

  it('a patch of an older line against the registry: 1 and latest stay, and the summary says why', async () => {
    const registry = stack.anonymous;
    const repo = `compute-tags/bundle-${Date.now()}`;
    await pushRandomImage(registry, repo, '1.3.0');
    const { payload, env } = loadEvent('push-tag-v1.2.3');
    const r = await runAction('compute-tags', {
      inputs: { images: `${registry.host}/${repo}`, tags: SECOND },
      event: { ...payload, ref: 'refs/tags/v1.2.4' },
      eventName: 'push',
      env: { ...env, GITHUB_REF: 'refs/tags/v1.2.4', GITHUB_REF_NAME: 'v1.2.4' },
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs['tag-names']).toBe('1.2.4\n1.2\nsha-860c190');
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^Git tags could not be read .*; floating tags are judged from registry /);
    expect(r.summary).toContain(
      `<td>1 (not emitted)</td><td>type=semver,pattern={{major}}</td><td>not moved: 1.3.0 (registry ${registry.host}/${repo}) is higher than 1.2.4 in 1.x</td>`,
    );
  });

  it('with no readable source floating tags move and a warning says so', async () => {
    const r = await run('push-tag-v1.2.3', { images: '127.0.0.1:1/name/app', tags: SECOND });
    expect(r.code).toBe(0);
    expect(r.outputs['tag-names']).toBe('1.2.3\n1.2\n1\nsha-860c190\nlatest');
    expect(r.warnings.join('\n')).toContain('floating tags move as with floating-tags: always');
  });

  it('monorepo prefix and the schedule defaults', async () => {
    const mono = await run('push-tag-api-v1.2.3', {
      images: 'name/app',
      'tag-prefix': 'api/',
      'floating-tags': 'always',
    });
    expect(mono.outputs['tag-names']).toBe('1.2.3\n1.2\n1\nsha-860c190\nlatest');
    const nightly = await run('schedule', { images: 'name/app' });
    expect(nightly.outputs['tag-names']).toBe('nightly\nmain\nsha-860c190');
  });

  it.each<[Record<string, string>, string]>([
    [{ images: '' }, "Input 'images': is required and was not given"],
    [{ images: 'name/app:v1' }, "Input 'images': 'name/app:v1' names a tag; give the image name only"],
    [{ images: 'http://x/y' }, "Input 'images': 'http://x/y' is not a valid image reference"],
    [{ images: 'name/app', tags: 'type=foo' }, "Input 'tags': 'type=foo': type 'foo' is unknown"],
    [
      { images: 'name/app', tags: 'type=raw,value=my tag' },
      "Input 'tags': 'type=raw,value=my tag': 'my tag' is not a valid tag: ' ' is not allowed in a tag",
    ],
    [{ images: 'name/app', tags: 'type=raw,value=-x' }, "'-x' is not a valid tag: a tag cannot start with . or -"],
    [
      { images: 'name/app', tags: 'type=raw,value={{nope}}' },
      "Input 'tags': 'type=raw,value={{nope}}': '{{nope}}' is unknown",
    ],
    [{ images: 'name/app', tags: 'type=sha,enable=yes' }, "enable='yes' gives 'yes' (expected true or false)"],
    [
      { images: 'name/app', tags: "type=schedule,pattern={{date 'YYYY' tz='Mars/Base'}}" },
      "'Mars/Base' is not a time zone",
    ],
    [
      { images: 'name/app', flavor: 'latest=sometimes' },
      "Input 'flavor': 'latest=sometimes': latest='sometimes' is not accepted",
    ],
    [
      { images: 'name/app', 'floating-tags': 'maybe' },
      "Input 'floating-tags': 'maybe' is not accepted (expected one of: highest, always, never)",
    ],
    [
      { images: 'name/app', 'sha-length': '2' },
      "Input 'sha-length': 2 is out of range (expected a whole number from 4 to 40)",
    ],
    [{ images: 'name/app', 'tag-prefix': 'a b' }, "Input 'tag-prefix': 'a b' contains white space"],
  ])('fails clearly on %j', async (inputs, message) => {
    const r = await run('schedule', inputs);
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain(message);
    expect(r.stdout).not.toMatch(/\n\s+at /);
  });
});
