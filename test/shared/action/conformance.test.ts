// The runner protocol of shared/src/action, proven against @actions/core (a development
// dependency only): the same calls through both, and what each writes compared: the
// GITHUB_OUTPUT / GITHUB_STATE / GITHUB_ENV / GITHUB_PATH files (multi-line values, the heredoc
// delimiter check), workflow commands with every annotation property, masking, groups. Where
// ours differs on purpose, the test says so and pins both sides. Summaries are compared as
// rendered by cmark-gfm in summary-render.test.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { annotate, debug, group, info, maskSecret, warning } from '#shared/action/log.js';
import { addPath, exportVariable, setOutput } from '#shared/action/outputs.js';
import { saveState } from '#shared/action/state.js';

const FILES = ['OUTPUT', 'STATE', 'ENV', 'PATH'] as const;
let dir: string;
let out: string[];
const saved = { ...process.env };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'conformance-'));
  out = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  process.env = { ...saved };
  rmSync(dir, { recursive: true, force: true });
});

interface Written {
  stdout: string;
  files: Record<(typeof FILES)[number], string>;
  env: Record<string, string | undefined>;
}

let round = 0;
/** Runs `calls` against fresh runner files and returns what was written, delimiters normalised. */
async function capture(calls: () => void | Promise<void>, envKeys: string[] = []): Promise<Written> {
  round++;
  for (const k of FILES) {
    const file = join(dir, `${k}-${round}`);
    writeFileSync(file, '');
    process.env[`GITHUB_${k}`] = file;
  }
  process.env.PATH = '/usr/bin';
  out.length = 0;
  await calls();
  const normal = (text: string) => text.replace(/ghadelimiter_[0-9a-f-]{36}/g, 'ghadelimiter_<uuid>');
  const files = Object.fromEntries(
    FILES.map((k) => [k, normal(readFileSync(process.env[`GITHUB_${k}`] as string, 'utf8'))]),
  ) as Written['files'];
  const env = Object.fromEntries(['PATH', ...envKeys].map((k) => [k, process.env[k]]));
  for (const k of envKeys) delete process.env[k];
  return { stdout: normal(out.join('')), files, env };
}

const MULTI = 'first line\nsecond: with, punctuation %25 100%\r\n\nlast';

describe('file commands: the same bytes as @actions/core', () => {
  it.each([
    ['a plain value', 'v1.2.3'],
    ['an empty value', ''],
    ['a multi-line value with CRLF, blank lines and %', MULTI],
    ['unicode', 'größe ✓ 🚀'],
  ])('setOutput / exportVariable / addPath with %s', async (_name, value) => {
    const theirs = await capture(() => {
      core.setOutput('out-name', value);
      core.exportVariable('SOME_VAR', value);
      core.addPath('/opt/tool/bin');
    }, ['SOME_VAR']);
    const ours = await capture(() => {
      setOutput('out-name', value);
      exportVariable('SOME_VAR', value);
      addPath('/opt/tool/bin');
    }, ['SOME_VAR']);
    expect(ours).toEqual(theirs);
    expect(ours.files.OUTPUT).toBe(`out-name<<ghadelimiter_<uuid>\n${value}\nghadelimiter_<uuid>\n`);
    expect(ours.env).toEqual({ PATH: '/opt/tool/bin:/usr/bin', SOME_VAR: value });
  });

  it('writes objects and numbers as JSON, as core does', async () => {
    const value = { tags: ['a', 'b'], n: 1 };
    const theirs = await capture(() => {
      core.setOutput('json', value);
      core.setOutput('count', 3);
      core.setOutput('flag', true);
    });
    const ours = await capture(() => {
      setOutput('json', value);
      setOutput('count', 3);
      setOutput('flag', true);
    });
    expect(ours.files).toEqual(theirs.files);
  });

  it('differs on purpose for null: core writes an empty string, ours JSON null', async () => {
    const theirs = await capture(() => core.setOutput('x', null));
    const ours = await capture(() => setOutput('x', null));
    expect(theirs.files.OUTPUT).toBe('x<<ghadelimiter_<uuid>\n\nghadelimiter_<uuid>\n');
    // outputs of ours that are not strings are JSON throughout, so fromJSON() reads every one back
    expect(ours.files.OUTPUT).toBe('x<<ghadelimiter_<uuid>\nnull\nghadelimiter_<uuid>\n');
  });

  it('state: objects the same; differs on purpose for strings, which ours stores as JSON too', async () => {
    const theirs = await capture(() => {
      core.saveState('obj', { paths: ['/tmp/a'] });
      core.saveState('text', 'plain');
    });
    const ours = await capture(() => {
      saveState('obj', { paths: ['/tmp/a'] });
      saveState('text', 'plain');
    });
    const [theirObj, theirText] = theirs.files.STATE.split(/(?=text<<)/);
    const [ourObj, ourText] = ours.files.STATE.split(/(?=text<<)/);
    expect(ourObj).toBe(theirObj);
    // loadState parses what saveState wrote, whatever its type
    expect(theirText).toBe('text<<ghadelimiter_<uuid>\nplain\nghadelimiter_<uuid>\n');
    expect(ourText).toBe('text<<ghadelimiter_<uuid>\n"plain"\nghadelimiter_<uuid>\n');
  });

  describe('a value holding the heredoc delimiter', () => {
    const fixed = '0123abcd-0000-4000-8000-000000000000';
    let original: typeof crypto.randomUUID;
    beforeEach(() => {
      // both draw the delimiter from node:crypto; fixing it lets a value hold it
      original = crypto.randomUUID;
      crypto.randomUUID = () => fixed;
      syncBuiltinESMExports();
    });
    afterEach(() => {
      crypto.randomUUID = original;
      syncBuiltinESMExports();
    });

    it.each([
      ['output value', (f: typeof core.setOutput) => f('name', `a\nghadelimiter_${fixed}\nevil<<x`)],
      ['output name', (f: typeof core.setOutput) => f(`ghadelimiter_${fixed}`, 'v')],
    ])('is refused by both, and nothing is written (%s)', async (_name, call) => {
      let theirError: unknown;
      let ourError: unknown;
      const theirs = await capture(() => {
        try {
          call(core.setOutput);
        } catch (err) {
          theirError = err;
        }
      });
      const ours = await capture(() => {
        try {
          call(setOutput as typeof core.setOutput);
        } catch (err) {
          ourError = err;
        }
      });
      expect(String(theirError)).toContain('should not contain the delimiter');
      expect(String(ourError)).toContain('contains the heredoc delimiter');
      expect(ours.files.OUTPUT).toBe('');
      expect(theirs.files.OUTPUT).toBe('');
    });
  });
});

describe('workflow commands: the same lines as @actions/core', () => {
  it('annotations with every property, messages and properties escaped', async () => {
    const message = 'line one\nline two: 100% done, really\r';
    const theirs = await capture(() => {
      core.error(message, {
        title: 'A title: with, commas',
        file: 'src/app.ts',
        startLine: 3,
        endLine: 5,
        startColumn: 2,
        endColumn: 14,
      });
      core.warning(message, { file: 'Dockerfile', startLine: 7 });
      core.notice(message, { title: 'Note' });
      core.error('bare');
    });
    const ours = await capture(() => {
      annotate('error', message, {
        title: 'A title: with, commas',
        file: 'src/app.ts',
        line: 3,
        endLine: 5,
        col: 2,
        endColumn: 14,
      });
      annotate('warning', message, { file: 'Dockerfile', line: 7 });
      annotate('notice', message, { title: 'Note' });
      annotate('error', 'bare');
    });
    expect(ours.stdout).toBe(theirs.stdout);
    expect(ours.stdout.split('\n')[0]).toBe(
      '::error title=A title%3A with%2C commas,file=src/app.ts,line=3,endLine=5,col=2,endColumn=14::line one%0Aline two: 100%25 done, really%0D',
    );
  });

  it('info, warning without properties, debug and groups', async () => {
    const theirs = await capture(async () => {
      core.info('plain text');
      core.warning('careful: 50%');
      core.debug('details\nmore');
      await core.group('A group', async () => core.info('inside'));
    });
    const ours = await capture(async () => {
      info('plain text');
      warning('careful: 50%');
      debug('details\nmore');
      await group('A group', async () => info('inside'));
    });
    expect(ours.stdout).toBe(theirs.stdout);
  });

  it('masking: the same for one line; differs on purpose for a multi-line secret, masked line by line too', async () => {
    const one = 'single-line-secret';
    const pem = '-----BEGIN KEY-----\nMIIEabcdefghijkl\nmnopqrstuvwxyz12\n-----END KEY-----';
    const theirs = await capture(() => {
      core.setSecret(one);
      core.setSecret(pem);
    });
    const ours = await capture(() => {
      maskSecret(one);
      maskSecret(pem);
    });
    const theirLines = theirs.stdout.split('\n').filter(Boolean);
    const ourLines = ours.stdout.split('\n').filter(Boolean);
    expect(ourLines.slice(0, 2)).toEqual(theirLines);
    // the runner masks a registered value where it appears whole; a log line holding one line of
    // the key (a tool echoing it, a diff) would show it. Ours registers each line as well.
    expect(ourLines.slice(2)).toEqual([
      '::add-mask::-----BEGIN KEY-----',
      '::add-mask::MIIEabcdefghijkl',
      '::add-mask::mnopqrstuvwxyz12',
      '::add-mask::-----END KEY-----',
    ]);
  });
});
