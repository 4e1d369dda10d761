// The live log: a group per platform as lines come, workflow commands stopped inside each group
// so the program's lines are shown and never obeyed (checked with the harness's runner-like parser).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openLiveLog } from '#shared/action/live-log.js';
import { parseWorkflowCommands } from '../../harness/run-action.js';

let out: string[];
beforeEach(() => {
  out = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

/** stdout with each random resume token replaced by <token-N> */
function lines(): string[] {
  const text = out.join('');
  const tokens = [...new Set([...text.matchAll(/::stop-commands::(\S+)/g)].map((m) => m[1] as string))];
  let result = text;
  tokens.forEach((t, i) => {
    result = result.split(t).join(`<token-${i}>`);
  });
  return result.split('\n').filter((l) => l !== '');
}

describe('openLiveLog', () => {
  it('opens a group per platform as the lines change platform, commands stopped in each', () => {
    const log = openLiveLog({
      title: (p) => `Building ${p ?? 'common steps'}`,
      platformOf: (line) => /^\[(\S+)\]/.exec(line)?.[1],
    });
    for (const line of ['load context', '[linux/amd64] STEP 1', 'no platform', '[linux/arm64] STEP 1', '::warning::x'])
      log.line(line);
    log.end();
    log.end();
    expect(lines()).toEqual([
      '::group::Building common steps',
      '::stop-commands::<token-0>',
      'load context',
      '::<token-0>::',
      '::endgroup::',
      '::group::Building linux/amd64',
      '::stop-commands::<token-1>',
      '[linux/amd64] STEP 1',
      'no platform',
      '::<token-1>::',
      '::endgroup::',
      '::group::Building linux/arm64',
      '::stop-commands::<token-2>',
      '[linux/arm64] STEP 1',
      '::warning::x',
      '::<token-2>::',
      '::endgroup::',
    ]);
  });

  it("never lets the program's lines act as commands, and uses a new token each time", () => {
    const log = openLiveLog({ title: () => 'push', group: false });
    log.line('::add-mask::not-a-secret');
    log.line('::error::injected');
    log.end();
    log.line('::set-output name=x::y');
    log.end();
    const text = out.join('');
    expect(parseWorkflowCommands(text)).toEqual({ annotations: [], masks: [] });
    const tokens = [...text.matchAll(/::stop-commands::(\S+)/g)].map((m) => m[1]);
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).not.toBe(tokens[1]);
    expect(lines().filter((l) => l.includes('group'))).toEqual([]);
  });
});

describe('liveOutput with a real child process', () => {
  it('shows its lines in one group as they come, and keeps the last ones for the error', async () => {
    const { liveOutput } = await import('#shared/action/live-log.js');
    const { runCommand } = await import('#shared/exec.js');
    const live = liveOutput('Scanning the image', 2);
    const script =
      "console.log('::warning::from the tool'); for (let i = 1; i <= 4; i++) console.error('step ' + i); process.exitCode = 2;";
    let error: unknown;
    try {
      await runCommand(process.execPath, ['-e', script], { ...live.options, description: 'scanner' });
    } catch (err) {
      error = err;
    } finally {
      live.end();
    }
    expect(String(error)).toContain('running scanner: exit code 2: step 4');
    const shown = lines();
    expect(shown[0]).toBe('::group::Scanning the image');
    expect(shown.at(-1)).toBe('::endgroup::');
    expect(shown.filter((l) => l.startsWith('step '))).toEqual(['step 1', 'step 2', 'step 3', 'step 4']);
    expect(parseWorkflowCommands(out.join(''))).toEqual({ annotations: [], masks: [] });
  });
});
