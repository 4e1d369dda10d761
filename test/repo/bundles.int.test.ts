// Every bundle runs the way the GitHub runner runs it; with no inputs it stops with our own
// one-line error naming the missing input, exit code 1, and no stack trace.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runAction } from '../harness/run-action.js';

const actions = readdirSync(join(repoRoot, 'actions')).filter((n) =>
  existsSync(join(repoRoot, 'actions', n, 'action.yml')),
);

describe.each(actions)('bundle %s', (name) => {
  it('is built and has no missing modules', () => {
    const bundle = join(repoRoot, 'dist', name, 'index.js');
    expect(existsSync(bundle), `${bundle} (run npm run build)`).toBe(true);
    expect(readFileSync(bundle, 'utf8')).not.toContain('webpackMissingModule');
  });

  it('without inputs fails with one line naming the missing input', async () => {
    const result = await runAction(name, { post: false });
    expect(result.code).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/^Input '[a-z][a-z0-9-]*': .*(required|expected)/);
    expect(result.stdout + result.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(result.outputs).toEqual({});
  });
});
