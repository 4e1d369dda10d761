// Foreign strings in the log: whatever a registry, a file or an input holds, the runner must run
// no workflow command the action did not write. Each case is read back with a parser that
// follows the runner's own rules (V2 `::` lines after blanks, legacy `##[` anywhere, stop-commands).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  debug,
  escapeValue,
  fmt,
  foreignText,
  info,
  maskSecret,
  warning,
  withForeignText,
} from '#shared/action/log.js';
import { plainLine } from '#shared/action/protocol.js';
import { runnerCommands } from '../../harness/workflow-commands.js';

let out: string[];
beforeEach(() => {
  out = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

const stdout = () => out.join('');
const names = () => runnerCommands(stdout()).map((c) => c.name);

const HOSTILE = [
  'application/vnd.oci.image.manifest.v1+json\n::warning::INJECTED',
  'x\r::save-state name=cleanup::["/home"]',
  'x\r\n::set-output name=digest::sha256:evil',
  '  ::add-mask::visible',
  '::error::INJECTED',
  'arm64 ##[warning]INJECTED',
  'amd64##[set-output name=x;]INJECTED',
  '%0A::warning::INJECTED',
  '\u001b[2K\u001b[1Ahidden',
  'a\u2028::warning::INJECTED',
  'a\u0085::warning::INJECTED',
];

describe('escapeValue: the one rule for interpolated values', () => {
  it.each([
    ['plain', 'linux/arm64', 'linux/arm64'],
    ['newline', 'a\nb', 'a%0Ab'],
    ['carriage return', 'a\rb', 'a%0Db'],
    ['percent first, so escapes read back', '100%0A', '100%250A'],
    ['double colon', 'a::b', 'a:%3Ab'],
    ['legacy form anywhere', 'x##[warning]y', 'x#%23[warning]y'],
    ['ANSI escape', '\u001b[31mred', '%1B[31mred'],
    ['line separator', 'a\u2028b', 'a%E2%80%A8b'],
    ['tab kept', 'a\tb', 'a\tb'],
    ['one colon kept', 'ghcr.io:443/a:1', 'ghcr.io:443/a:1'],
  ])('%s', (_, value, expected) => {
    expect(escapeValue(value)).toBe(expected);
  });

  it('fmt escapes each interpolated value and keeps numbers', () => {
    expect(fmt`Source ${'r@sha256:1'} is ${'a\n::warning::x'} (${3} of ${true})`).toBe(
      'Source r@sha256:1 is a%0A:%3Awarning:%3Ax (3 of true)',
    );
  });
});

describe('plainLine', () => {
  it.each([
    ['::warning::x', '%3A:warning::x'],
    ['   ::error::x', '   %3A:error::x'],
    ['\t::debug::x', '\t%3A:debug::x'],
    ['text ::warning::x', 'text ::warning::x'],
    ['a ##[error]b', 'a #%23[error]b'],
    ['50% done', '50% done'],
  ])('%j -> %j', (line, expected) => {
    expect(plainLine(line)).toBe(expected);
  });
});

describe('no foreign string starts a workflow command', () => {
  it.each(HOSTILE)('info with the value interpolated raw: %j', (value) => {
    info(`Source x is ${value}`);
    info(value);
    expect(names()).toEqual([]);
  });

  it.each(HOSTILE)('info with fmt keeps the value on its one line: %j', (value) => {
    info(fmt`Source x is ${value}`);
    expect(stdout().split('\n').filter(Boolean)).toHaveLength(1);
    expect(names()).toEqual([]);
  });

  it.each(HOSTILE)('warning and debug carry the value as data: %j', (value) => {
    warning(`gate: ${value}`);
    debug(value);
    expect(names()).toEqual(['warning', 'debug']);
    expect(runnerCommands(stdout())[0]?.data.startsWith('gate: ')).toBe(true);
  });

  it('a foreign block runs no command of its own, and resumes afterwards', () => {
    foreignText(`step 1\n::warning::INJECTED\n##[error]INJECTED\n::stop-commands::x\n::x::\n::error::again`);
    warning('ours');
    const commands = runnerCommands(stdout());
    expect(commands.map((c) => c.name)).toEqual(['stop-commands', commands[1]?.name, 'warning']);
    expect(commands[1]?.name).toBe(commands[0]?.data.toLowerCase());
    expect(commands[2]?.data).toBe('ours');
    expect(stdout()).toContain('step 1\n');
  });

  it('a mask issued while a foreign block streams still reaches the runner', async () => {
    await withForeignText(async (write) => {
      write('::warning::INJECTED');
      maskSecret('s3cr3t-value');
      write('::error::INJECTED');
    });
    const commands = runnerCommands(stdout()).filter((c) => !/^stop-[0-9a-f-]{36}$/.test(c.name));
    expect(commands.map((c) => [c.name, c.data])).toEqual([
      ['stop-commands', expect.any(String)],
      ['add-mask', 's3cr3t-value'],
      ['stop-commands', expect.any(String)],
    ]);
    // every stop has its resume: nothing after the block stays stopped
    warning('after');
    expect(runnerCommands(stdout()).at(-1)).toMatchObject({ name: 'warning', data: 'after' });
  });
});

describe('annotations', () => {
  it('carry no ANSI sequence or line separator, and a mask stays the very secret', () => {
    warning('a\u001b[31mb\u2028c');
    maskSecret('x\u2028y-secret');
    expect(stdout()).toBe('::warning::a%1B[31mb%E2%80%A8c\n::add-mask::x\u2028y-secret\n');
  });
});
