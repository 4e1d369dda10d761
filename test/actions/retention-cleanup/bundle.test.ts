import { describe, expect, it } from 'vitest';
import { runAction } from '../../harness/run-action.js';

describe('retention-cleanup bundle', () => {
  it.each([
    [
      { repositories: '127.0.0.1:1/acme/api', 'keep-tags': '/[/' },
      "Input 'keep-tags': '/[/' is not a valid regular expression",
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
    expect(result.errors.join('\n')).toContain(message);
    expect(result.everything.replace(/::add-mask::.*\n/g, '')).not.toContain('planted-secret-77');
  });
});
