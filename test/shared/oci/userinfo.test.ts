// A password pasted into a registry URL or an image reference is cut out before the text is
// quoted in an error.
import { describe, expect, it } from 'vitest';
import { parseReference, stripUserinfo } from '#shared/oci/reference.js';
import { normalizeRegistry } from '#shared/registries/hosts.js';

describe('stripUserinfo', () => {
  it.each([
    ['https://user:pw@ghcr.io', 'https://ghcr.io'],
    ['https://user:p@ss@ghcr.io/x', 'https://ghcr.io/x'],
    ['HTTP://u@127.0.0.1:5000/', 'HTTP://127.0.0.1:5000/'],
    ['user:pw@ghcr.io/org/app:1', 'ghcr.io/org/app:1'],
    ['ghcr.io/org/app@sha256:abc', 'ghcr.io/org/app@sha256:abc'],
    ['app@sha256:abc', 'app@sha256:abc'],
    ['localhost:5000/app:1', 'localhost:5000/app:1'],
  ])('%s -> %s', (text, expected) => {
    expect(stripUserinfo(text)).toBe(expected);
  });
});

describe('errors quote no password', () => {
  it('registry-login: a registry URL with credentials', () => {
    expect(() => normalizeRegistry('https://octo:ghp_s3cretPassw0rd@ghcr.io')).toThrow(
      "Input 'registry': 'https://ghcr.io' carries credentials in the URL: give the registry host alone and the credentials as username and password",
    );
  });

  it('an image reference with credentials', () => {
    let message = '';
    try {
      parseReference('octo:ghp_s3cretPassw0rd@ghcr.io/org/app:1', { input: 'source' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(
      /^Input 'source': 'ghcr\.io\/org\/app:1' is not a valid image reference: .*\(and credentials do not belong in a reference\)$/,
    );
    expect(message).not.toContain('s3cret');
  });
});
