import { describe, expect, it } from 'vitest';
import { runAction } from '../../harness/run-action.js';

describe('retention-cleanup bundle', () => {
  it.each([
    [
      { repositories: '127.0.0.1:1/acme/api', 'keep-tags': '/[/' },
      "Input 'keep-tags': '/[/' is not a valid regular expression",
    ],
    [
      { repositories: '127.0.0.1:1/acme/api', 'delete-tags': 'pr-*\n/[/' },
      "Input 'delete-tags': '/[/' is not a valid regular expression",
    ],
    [
      { repositories: '127.0.0.1:1/acme/api', 'keep-tags': 'release/*' },
      "Input 'keep-tags': 'release/*' contains '/', which no tag can hold",
    ],
    [
      { repositories: '127.0.0.1:1/acme/api', 'older-than': '30x' },
      "Input 'older-than': '30x' is not a duration (expected a number and a unit",
    ],
    [
      { repositories: '127.0.0.1:1/acme/api', 'older-than': '30 days' },
      "Input 'older-than': '30 days' is not a duration",
    ],
    [
      { repositories: '127.0.0.1:1/acme/api:v1' },
      "Input 'repositories': '127.0.0.1:1/acme/api:v1' names a tag or digest",
    ],
    [
      { repositories: 'ghcr.io/acme/api', password: 'planted-secret-77' },
      "Input 'token': is required for GitHub Packages",
    ],
  ])('fails clearly on %j', async (inputs, message) => {
    const result = await runAction('retention-cleanup', { inputs });
    expect(result.code).toBe(1);
    // one line, no stack trace, nothing attempted against the (unreachable) registry
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain(message);
    expect(result.errors[0]).not.toContain('\n');
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/\n\s+at /);
    expect(result.outputs).toEqual({});
    expect(result.everything.replace(/::add-mask::.*\n/g, '')).not.toContain('planted-secret-77');
  });
});
