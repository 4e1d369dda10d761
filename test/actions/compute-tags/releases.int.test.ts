// Floating decisions from real sources: git tags of a temporary repository and tags in the
// test stack's registry, read the way the action reads them.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCommand } from '#shared/exec.js';
import { GitRepo } from '#shared/git/git-repo.js';
import { listRegistryTags, readReleases } from '../../../actions/compute-tags/src/releases.js';
import { pushRandomImage } from '../../stack/helpers.js';
import { compute, tagEvent } from './fixtures.js';

const stack = inject('stack');
const RULES = [
  'type=semver,pattern={{version}}',
  'type=semver,pattern={{major}}.{{minor}}',
  'type=semver,pattern={{major}}',
];
let root: string;
let hanging: Server;
let hangingPort: number;

async function repoWithTags(name: string, tags: string[]): Promise<string> {
  const dir = join(root, name);
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: root };
  const git = (args: string[]) =>
    runCommand('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir, env });
  await runCommand('git', ['init', '-q', dir]);
  await git(['commit', '-q', '--allow-empty', '-m', 'c']);
  for (const t of tags) await git(['tag', t]);
  return dir;
}

const options = (registryName = 'registry x') => ({
  tagPrefix: '',
  imagePrefix: '',
  imageSuffix: '',
  registryName,
  registryTimeoutMs: 5_000,
});

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'compute-tags-releases-'));
  // accepts connections and never answers: the registry read must give up on its own
  hanging = createServer(() => {});
  await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
  hangingPort = (hanging.address() as { port: number }).port;
});

afterAll(async () => {
  hanging?.closeAllConnections();
  await new Promise((r) => hanging?.close(r));
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('releases from git tags', () => {
  it('v1.2.4 after v1.3.0: 1.2 moves, 1 and latest stay', async () => {
    const dir = await repoWithTags('plain', ['v1.2.3', 'v1.3.0', 'v1.4.0-rc.1', 'nightly', 'v1.2.4']);
    const git = new GitRepo({ cwd: dir });
    const read = await readReleases({ gitTags: () => git.listTags(), isShallow: () => git.isShallow() }, options());
    expect(read.problems).toEqual([]);
    expect(read.sources?.map((s) => [s.name, [...s.versions].sort()])).toEqual([
      ['git tags', ['1.2.3', '1.2.4', '1.3.0']],
    ]);
    const r = compute(tagEvent('v1.2.4'), { tags: RULES, sources: read.sources });
    expect(r.tagNames).toEqual(['1.2.4', '1.2']);
  });

  it('monorepo: only tags with the prefix count', async () => {
    const dir = await repoWithTags('mono', ['web/v9.0.0', 'api/v1.2.3', 'v5.0.0']);
    const git = new GitRepo({ cwd: dir });
    const read = await readReleases({ gitTags: () => git.listTags() }, { ...options(), tagPrefix: 'api/' });
    expect(read.sources?.[0]?.versions).toEqual(['1.2.3']);
    const r = compute('push-tag-api-v1.2.3', {
      tags: [...RULES, 'type=sha'],
      tagPrefix: 'api/',
      sources: read.sources,
    });
    expect(r.tagNames).toEqual(['1.2.3', '1.2', '1', 'sha-860c190', 'latest']);
  });

  it('a shallow checkout is reported', async () => {
    const dir = await repoWithTags('full', ['v1.0.0']);
    const clone = join(root, 'shallow');
    await runCommand('git', ['clone', '-q', '--depth', '1', `file://${dir}`, clone]);
    const git = new GitRepo({ cwd: clone });
    const read = await readReleases({ gitTags: () => git.listTags(), isShallow: () => git.isShallow() }, options());
    expect(read.problems.join('\n')).toContain('The checkout is shallow');
  });

  it('outside a repository there is no source', async () => {
    const git = new GitRepo({ cwd: root, env: { ...process.env, GIT_CEILING_DIRECTORIES: root } });
    const read = await readReleases({ gitTags: () => git.listTags() }, options());
    expect(read.sources).toBeUndefined();
    expect(read.problems[0]).toMatch(/^Git tags could not be read \(.*not a git repository/);
  });
});

describe('releases from the registry', () => {
  it('reads version tags of the image, with and without the flavor prefix', async () => {
    const registry = stack.anonymous;
    const repo = `compute-tags/app-${Date.now()}`;
    for (const tag of ['1.2.3', '1.3.0', '1.3', '1', 'latest', 'sha-860c190', 'v-2.0.0']) {
      await pushRandomImage(registry, repo, tag);
    }
    const tags = await listRegistryTags({ registry: registry.host, repository: repo });
    expect(tags.sort()).toEqual(['1', '1.2.3', '1.3', '1.3.0', 'latest', 'sha-860c190', 'v-2.0.0']);
    const read = await readReleases(
      {
        gitTags: () => Promise.reject(new Error('no checkout')),
        registryTags: () => listRegistryTags({ registry: registry.host, repository: repo }),
      },
      { ...options(`registry ${registry.host}/${repo}`), imagePrefix: 'v-' },
    );
    expect(read.sources?.map((s) => [s.name, [...s.versions].sort()])).toEqual([
      [`registry ${registry.host}/${repo}`, ['1.2.3', '1.3.0', '2.0.0']],
    ]);
    expect(read.problems).toEqual(['Git tags could not be read (no checkout)']);
    const r = compute(tagEvent('v1.2.4'), { tags: RULES, sources: read.sources });
    expect(r.tagNames).toEqual(['1.2.4', '1.2']);
    expect(r.floating).toEqual({
      '1.2': `moved: 1.2.4 is the highest release in 1.2.x (checked registry ${registry.host}/${repo})`,
      '1': `not moved: 1.3.0 (registry ${registry.host}/${repo}) is higher than 1.2.4 in 1.x`,
      latest: `not moved: 2.0.0 (registry ${registry.host}/${repo}) is higher than 1.2.4 in all releases`,
    });
  });

  it('a repository the registry does not know has no releases, and is a source', async () => {
    const read = await readReleases(
      {
        gitTags: () => Promise.reject(new Error('no checkout')),
        registryTags: () =>
          listRegistryTags({ registry: stack.anonymous.host, repository: 'compute-tags/never-pushed' }),
      },
      options(),
    );
    expect(read.sources).toEqual([{ name: 'registry x', versions: [] }]);
  });

  it('an unreachable or silent registry is a problem, not a failure', async () => {
    for (const host of ['127.0.0.1:1', `127.0.0.1:${hangingPort}`]) {
      const read = await readReleases(
        {
          gitTags: () => Promise.resolve(['v1.0.0']),
          registryTags: () => listRegistryTags({ registry: host, repository: 'a/b' }),
        },
        { ...options(`registry ${host}/a/b`), registryTimeoutMs: 1_500 },
      );
      expect(read.sources?.map((s) => s.name)).toEqual(['git tags']);
      expect(read.problems).toHaveLength(1);
      expect(read.problems[0]).toContain(`The tags of registry ${host}/a/b could not be read`);
    }
  });
});
