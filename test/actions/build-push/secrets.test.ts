// build-push secrets: a malformed line is masked before it is parsed and never quoted; nothing is
// written when any secret input is wrong; the clean-up list is saved before a secret is written,
// and the post step removes only the folders main creates.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readSecretLines } from '../../../actions/build-push/src/inputs.js';
import { isOwnFolder } from '../../../actions/build-push/src/post.js';
import { writeSecrets } from '../../../actions/build-push/src/secrets.js';

const TOKEN = 'npm_Zq81bXc0aLr5TtY2mW9vE4kP6sH3jD7fG1nQ';
let dir: string;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bp-secrets-'));
  mkdirSync(join(dir, 'temp'));
  mkdirSync(join(dir, 'ws'));
  env = { RUNNER_TEMP: join(dir, 'temp'), GITHUB_WORKSPACE: join(dir, 'ws') };
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

describe('readSecretLines', () => {
  it.each([
    [
      'a YAML-style line',
      `GOOD=x\nNPM_TOKEN: ${TOKEN}`,
      'line 2 (not shown: it may hold a secret) is not an id=value line',
    ],
    [
      'a colon before the =',
      `NPM_TOKEN: ${TOKEN}=more`,
      'line 1 (not shown: it may hold a secret) has an id that is not only',
    ],
    ['a value with no id', `=${TOKEN}`, 'line 1 (not shown: it may hold a secret) is not an id=value line'],
  ])('%s: masked first, never quoted', (_, text, message) => {
    const masked: string[] = [];
    let error: Error | undefined;
    try {
      readSecretLines(text, (s) => masked.push(s));
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).toContain(`Input 'secrets': ${message}`);
    expect(error?.message).not.toContain(TOKEN.slice(4, 20));
    expect(masked.some((m) => m.includes(TOKEN))).toBe(true);
  });

  it('masks every raw line and every value, skips comments, keeps the order', () => {
    const masked: string[] = [];
    expect(readSecretLines('# comment\n a = 1 \n\nb=c=d\n', (s) => masked.push(s))).toEqual([
      ['a', '1'],
      ['b', 'c=d'],
    ]);
    expect(masked).toEqual(['# comment', 'a = 1', 'b=c=d', '1', 'c=d']);
  });
});

describe('writeSecrets', () => {
  it('writes nothing when a secret file is missing', async () => {
    await expect(writeSecrets([['token', TOKEN]], [['npmrc', 'missing/.npmrc']], env)).rejects.toThrow(
      "Input 'secret-files': secret 'npmrc': file missing/.npmrc does not exist",
    );
    expect(readdirSync(join(dir, 'temp'))).toEqual([]);
  });

  it('refuses a folder given as a secret file', async () => {
    mkdirSync(join(dir, 'ws', 'folder'));
    await expect(writeSecrets([], [['x', 'folder']], env)).rejects.toThrow("secret 'x': folder is not a file");
  });

  it('announces the private folder before a secret is in it', async () => {
    writeFileSync(join(dir, 'ws', '.npmrc'), 'x');
    const seen: Array<{ dir: string; entries: string[] }> = [];
    const out = await writeSecrets([['token', TOKEN]], [['npmrc', '.npmrc']], env, (d) =>
      seen.push({ dir: d, entries: readdirSync(d) }),
    );
    expect(seen).toEqual([{ dir: out.dir, entries: [] }]);
    expect(out.files).toEqual([
      ['token', join(out.dir, 'secret-0')],
      ['npmrc', join(dir, 'ws', '.npmrc')],
    ]);
    expect(isOwnFolder(out.dir, env)).toBe(true);
  });

  it('removes the folder when writing fails half-way', async () => {
    let created = '';
    await expect(
      writeSecrets([['token', TOKEN]], [], env, (d) => {
        created = d;
        throw new Error('state file gone');
      }),
    ).rejects.toThrow('state file gone');
    expect(created).not.toBe('');
    expect(existsSync(created)).toBe(false);
  });
});

describe('post clean-up scope', () => {
  it.each([
    ['temp/build-push-AbC123', true],
    ['temp/build-push-secrets-x1Y2z3', true],
    ['temp', false],
    ['temp/other-folder', false],
    ['temp/build-push-a/../../ws', false],
    ['ws/build-push-abc', false],
    ['/home', false],
  ])('%s -> %s', (path, own) => {
    expect(isOwnFolder(path.startsWith('/') ? path : join(dir, path), env)).toBe(own);
  });
});
