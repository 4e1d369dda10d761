// check-dist rebuilds the bundles from clean and must fail when a committed bundle is stale.
// Runs in a throwaway git repository holding one action, so only one bundle is built.
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '#shared/exec.js';
import { repoRoot } from '../harness/run-action.js';

const action = 'compute-tags';
let dir: string;

async function git(...args: string[]): Promise<void> {
  // no background `gc --auto`: it may still write into .git while the folder is removed
  await runCommand('git', ['-c', 'user.name=ci', '-c', 'user.email=ci@example.com', '-c', 'gc.auto=0', ...args], {
    cwd: dir,
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'check-dist-'));
  for (const p of ['package.json', 'tsconfig.json', 'scripts', 'shared', `actions/${action}`, `dist/${action}`]) {
    cpSync(join(repoRoot, p), join(dir, p), { recursive: true });
  }
  // a real folder, not a symlink: the bundler names modules by their resolved path, so a link to
  // another folder would change chunk ids. Hard links are instant; a plain copy is the fallback.
  const linked = await runCommand('cp', ['-al', join(repoRoot, 'node_modules'), join(dir, 'node_modules')], {
    allowFailure: true,
  });
  if (linked.code !== 0) cpSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), { recursive: true });
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'fixture');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
});

describe('check-dist', () => {
  it('passes when the committed bundle is what the sources build', async () => {
    const result = await runCommand('bash', ['scripts/check-dist.sh'], { cwd: dir, allowFailure: true });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('fails on a stale bundle and names it', async () => {
    appendFileSync(join(dir, 'dist', action, 'index.js'), '\n// an edit that the sources do not produce\n');
    await git('commit', '-q', '-am', 'stale bundle');
    const result = await runCommand('bash', ['scripts/check-dist.sh'], { cwd: dir, allowFailure: true });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('dist/ differs from a clean build');
    expect(result.stderr).toContain(`dist/${action}/index.js`);
  });
});
