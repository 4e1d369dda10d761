import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperationError } from '#shared/errors.js';
import { runCommand } from '#shared/exec.js';
import { authEnv, GitRepo } from '#shared/git/git-repo.js';

let root: string;
let repo: string;
let shallow: string;
let first: string;

async function git(cwd: string, args: string[], date = '2026-01-02T03:04:05Z'): Promise<string> {
  const env = {
    ...process.env,
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
    GIT_CONFIG_NOSYSTEM: '1',
    HOME: root,
  };
  const r = await runCommand('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, env });
  return r.stdout.trim();
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'git-repo-'));
  repo = join(root, 'repo');
  await runCommand('git', ['init', '-q', '-b', 'main', repo]);
  await git(repo, ['commit', '-q', '--allow-empty', '-m', 'one'], '2026-01-02T03:04:05Z');
  first = await git(repo, ['rev-parse', 'HEAD']);
  await git(repo, ['tag', 'v1.0.0']);
  await git(repo, ['tag', '-a', '-m', 'annotated', 'api/v2.0.0']);
  await git(repo, ['commit', '-q', '--allow-empty', '-m', 'two'], '2026-05-06T07:08:09+02:00');
  await git(repo, ['tag', 'v1.1.0-rc.1']);
  shallow = join(root, 'shallow');
  await runCommand('git', ['clone', '-q', '--depth', '1', `file://${repo}`, shallow]);
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('GitRepo', () => {
  it('lists every tag, lightweight and annotated', async () => {
    expect((await new GitRepo({ cwd: repo }).listTags()).sort()).toEqual(['api/v2.0.0', 'v1.0.0', 'v1.1.0-rc.1']);
  });

  it('reads commit times', async () => {
    const g = new GitRepo({ cwd: repo });
    expect((await g.commitTime()).toISOString()).toBe('2026-05-06T05:08:09.000Z');
    expect((await g.commitTime(first)).toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect((await g.commitTime('v1.0.0')).toISOString()).toBe('2026-01-02T03:04:05.000Z');
  });

  it('tells a shallow clone from a full one', () => {
    expect(new GitRepo({ cwd: repo }).isShallow()).toBe(false);
    expect(new GitRepo({ cwd: shallow }).isShallow()).toBe(true);
    expect(new GitRepo({ cwd: root }).isShallow()).toBeUndefined();
  });

  it('fails with an OperationError outside a repository and for an unknown revision', async () => {
    const outside = new GitRepo({ cwd: root, env: { ...process.env, GIT_CEILING_DIRECTORIES: root } });
    await expect(outside.listTags()).rejects.toThrow(OperationError);
    await expect(outside.listTags()).rejects.toThrow(
      /git tag --list in .*: exit code 128: fatal: not a git repository/,
    );
    await expect(new GitRepo({ cwd: repo }).commitTime('0000000000000000000000000000000000000000')).rejects.toThrow(
      OperationError,
    );
  });

  it('runs git once for repeated tag reads', async () => {
    let calls = 0;
    const g = new GitRepo({
      cwd: repo,
      run: (cmd, args, opts) => {
        calls++;
        return runCommand(cmd, args, opts);
      },
    });
    await g.listTags();
    await g.listTags();
    expect(calls).toBe(1);
  });
});

describe('authEnv', () => {
  const basic = Buffer.from('x-access-token:tok-123').toString('base64');
  it.each([
    ['https://github.com/acme/deploy.git', 'http.https://github.com/.extraheader'],
    ['https://ghe.example.com:8443/acme/deploy', 'http.https://ghe.example.com:8443/.extraheader'],
    ['git@github.com:acme/deploy.git', 'http.extraheader'],
    [undefined, 'http.extraheader'],
  ])('%s -> %s, reset before set', (url, key) => {
    expect(authEnv('tok-123', url)).toEqual({
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: key,
      GIT_CONFIG_VALUE_0: '',
      GIT_CONFIG_KEY_1: key,
      GIT_CONFIG_VALUE_1: `Authorization: Basic ${basic}`,
    });
  });

  it('is empty without a token', () => {
    expect(authEnv(undefined, 'https://github.com/a/b')).toEqual({});
  });
});
