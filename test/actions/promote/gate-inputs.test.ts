import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseKeylessGate,
  parsePublicKey,
  parseRequiredAttestations,
} from '../../../actions/promote/src/gate-inputs.js';

const dir = mkdtempSync(join(tmpdir(), 'gate-inputs-'));
const pub = join(import.meta.dirname, '../../fixtures/sigstore/cosign.pub');
const root = join(dir, 'trusted_root.json');
writeFileSync(root, JSON.stringify({ certificateAuthorities: [] }));
const ISSUER = 'https://token.actions.githubusercontent.com';

describe('parseRequiredAttestations', () => {
  it('maps short names and cosign type names to predicate URIs, each once', () => {
    expect(
      parseRequiredAttestations([
        'spdx',
        'spdxjson',
        'slsa-provenance',
        'cyclonedx',
        'vuln',
        'https://example.com/p/v1',
      ]),
    ).toEqual([
      'https://spdx.dev/Document',
      'https://slsa.dev/provenance/v1',
      'https://cyclonedx.org/bom',
      'https://cosign.sigstore.dev/attestation/vuln/v1',
      'https://example.com/p/v1',
    ]);
  });
  it('names the input for anything else', () => {
    expect(() => parseRequiredAttestations(['sbom'])).toThrow(
      "Input 'require-attestations': 'sbom' is not a predicate type (expected a URI or one of: spdx, spdxjson, cyclonedx, slsa, slsa-provenance, slsaprovenance1, provenance, vuln)",
    );
  });
});

describe('parsePublicKey', () => {
  it('reads a path and PEM text alike', () => {
    expect(parsePublicKey(pub).asymmetricKeyType).toBe('ec');
    expect(parsePublicKey(readFileSync(pub, 'utf8')).asymmetricKeyType).toBe('ec');
  });
  it.each([
    [
      'nope.pub',
      "Input 'public-key': 'nope.pub' is neither a PEM public key nor the path of one (expected the text or path of cosign.pub)",
    ],
    ['-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', "Input 'public-key': the public key cannot be read"],
  ])('refuses %j', (value, message) => {
    expect(() => parsePublicKey(value)).toThrow(message);
  });
});

describe('parseKeylessGate', () => {
  it('is off without an identity', () => {
    expect(parseKeylessGate(undefined, undefined, undefined, undefined)).toBeUndefined();
  });
  it('takes an exact identity or a regexp, with the issuer and the trusted root', () => {
    expect(
      parseKeylessGate('https://github.com/o/r/.github/workflows/x.yml@refs/heads/main', undefined, ISSUER, root),
    ).toEqual({
      policy: { identity: 'https://github.com/o/r/.github/workflows/x.yml@refs/heads/main', issuer: ISSUER },
      trustedRoot: { certificateAuthorities: [] },
    });
    const gate = parseKeylessGate(undefined, '^https://github\\.com/o/', ISSUER, root);
    expect(gate?.policy.identityRegexp?.test('https://github.com/o/r')).toBe(true);
    expect(gate?.policy.identityRegexpText).toBe('^https://github\\.com/o/');
  });
  it.each([
    [
      [undefined, undefined, ISSUER, root],
      "Input 'certificate-oidc-issuer': needs certificate-identity or certificate-identity-regexp as well",
    ],
    [
      ['a', 'b', ISSUER, root],
      "Input 'certificate-identity-regexp': cannot be combined with certificate-identity (give one of them)",
    ],
    [['a', undefined, undefined, root], "Input 'certificate-oidc-issuer': is required with a certificate identity"],
    [[undefined, '(', ISSUER, root], "Input 'certificate-identity-regexp': is not a regular expression"],
    [['a', undefined, ISSUER, join(dir, 'missing.json')], "Input 'trusted-root': '"],
    [['a', undefined, ISSUER, pub], 'is not JSON (expected a Sigstore trusted_root.json)'],
  ] as const)('refuses %j', (args, message) => {
    expect(() =>
      parseKeylessGate(...(args as [string | undefined, string | undefined, string | undefined, string | undefined])),
    ).toThrow(message);
  });
});
