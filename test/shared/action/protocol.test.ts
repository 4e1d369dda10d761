import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { annotate, group, maskSecret } from '#shared/action/log.js';
import { exportVariable, setOutput } from '#shared/action/outputs.js';
import { inputVariable, issueCommand, readInput } from '#shared/action/protocol.js';
import { loadState, saveState } from '#shared/action/state.js';
import { addDetails, addHeading, addTable, writeSummary } from '#shared/action/summary.js';
import { parseFileCommands, parseWorkflowCommands } from '../../harness/run-action.js';

let dir: string;
let out: string[];
const saved = { ...process.env };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'protocol-'));
  for (const k of ['OUTPUT', 'STATE', 'ENV', 'PATH', 'STEP_SUMMARY']) {
    const file = join(dir, k);
    writeFileSync(file, '');
    process.env[`GITHUB_${k}`] = file;
  }
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

const file = (k: string) => readFileSync(join(dir, k), 'utf8');

describe('runner protocol', () => {
  it('names inputs as the runner does: upper case, spaces to _, hyphens kept', () => {
    expect(inputVariable('max-size')).toBe('INPUT_MAX-SIZE');
    expect(inputVariable('a b')).toBe('INPUT_A_B');
    process.env['INPUT_SHA-LENGTH'] = ' 7 ';
    expect(readInput('sha-length')).toBe(' 7 ');
  });

  it('escapes messages and properties so a value cannot start a second command', () => {
    issueCommand('error', { file: 'a,b:c', line: 3 }, '100% done\n::add-mask::x');
    expect(out.join('')).toBe('::error file=a%2Cb%3Ac,line=3::100%25 done%0A::add-mask::x\n');
    const parsed = parseWorkflowCommands(out.join(''));
    expect(parsed.annotations[0]).toMatchObject({ level: 'error', message: '100% done\n::add-mask::x' });
    expect(parsed.masks).toEqual([]);
  });

  it('writes multi-line outputs, state and variables as heredocs the runner reads back', () => {
    setOutput('tags', 'a:1\na:2');
    setOutput('json', { n: 1 });
    saveState('plan', { keep: ['x'] });
    exportVariable('DOCKER_CONFIG', '/tmp/x');
    expect(parseFileCommands(file('OUTPUT'))).toEqual({ tags: 'a:1\na:2', json: '{"n":1}' });
    expect(parseFileCommands(file('STATE'))).toEqual({ plan: '{"keep":["x"]}' });
    expect(parseFileCommands(file('ENV'))).toEqual({ DOCKER_CONFIG: '/tmp/x' });
    expect(process.env.DOCKER_CONFIG).toBe('/tmp/x');
    process.env.STATE_plan = '{"keep":["x"]}';
    expect(loadState('plan')).toEqual({ keep: ['x'] });
    expect(out).toEqual([]);
  });

  it('masks each line of a multi-line secret and places annotations on a file line', async () => {
    maskSecret('-----BEGIN KEY-----\nabcdefgh\n-----END KEY-----');
    annotate('error', 'unknown instruction', { file: 'Dockerfile', line: 3 });
    await group('Push', async () => undefined);
    const parsed = parseWorkflowCommands(out.join(''));
    expect(parsed.masks).toEqual([
      '-----BEGIN KEY-----\nabcdefgh\n-----END KEY-----',
      '-----BEGIN KEY-----',
      'abcdefgh',
      '-----END KEY-----',
    ]);
    expect(out).toContain('::error file=Dockerfile,line=3::unknown instruction\n');
    expect(out.slice(-2)).toEqual(['::group::Push\n', '::endgroup::\n']);
  });

  it('appends the job summary once, blocks set apart by blank lines, table cells escaped', async () => {
    addHeading('Built <app>');
    addTable(['tag', 'why'], [['1.0', 'a|b & c']]);
    addDetails('plan', '- x');
    await writeSummary();
    await writeSummary();
    expect(file('STEP_SUMMARY')).toBe(
      '<h3>Built &lt;app&gt;</h3>\n\n<table>\n<tr><th>tag</th><th>why</th></tr>\n<tr><td>1.0</td><td>a&#124;b &amp; c</td></tr>\n</table>\n\n<details><summary>plan</summary>\n\n- x\n\n</details>\n\n',
    );
  });
});
