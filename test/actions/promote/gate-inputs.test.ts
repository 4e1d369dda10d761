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
  const cacheDir = join(dir, 'cache');
  const file = { trustedRoot: root, cacheDir };
  const none = { cacheDir };
  const tufRoot = join(dir, 'root.json');
  writeFileSync(tufRoot, JSON.stringify({ signatures: [], signed: { _type: 'root', version: 1 } }));

  it('is off without an identity', () => {
    expect(parseKeylessGate(undefined, undefined, undefined, none)).toBeUndefined();
  });
  it('takes an exact identity or a regexp, with the issuer and the trusted root file', async () => {
    const gate = parseKeylessGate(
      'https://github.com/o/r/.github/workflows/x.yml@refs/heads/main',
      undefined,
      ISSUER,
      file,
    );
    expect(gate?.policy).toEqual({
      identity: 'https://github.com/o/r/.github/workflows/x.yml@refs/heads/main',
      issuer: ISSUER,
    });
    expect(gate?.source).toEqual({ json: { certificateAuthorities: [] } });
    expect(await gate?.trustedRoot()).toEqual({ certificateAuthorities: [] });
    const byRegexp = parseKeylessGate(undefined, '^https://github\\.com/o/', ISSUER, file);
    expect(byRegexp?.policy.identityRegexp?.test('https://github.com/o/r')).toBe(true);
    expect(byRegexp?.policy.identityRegexpText).toBe('^https://github\\.com/o/');
  });
  it('without a trusted-root file, takes the public-good TUF repository, or the mirror and root given', () => {
    expect(parseKeylessGate('a', undefined, ISSUER, none)?.source).toEqual({
      tuf: { mirror: 'https://tuf-repo-cdn.sigstore.dev', cacheDir },
    });
    expect(
      parseKeylessGate('a', undefined, ISSUER, { tufMirror: 'https://tuf.example.com/repo/', tufRoot, cacheDir })
        ?.source,
    ).toEqual({
      tuf: { mirror: 'https://tuf.example.com/repo', cacheDir, initialRoot: readFileSync(tufRoot) },
    });
    // the public-good root may be given too (a newer one than the built-in)
    expect(parseKeylessGate('a', undefined, ISSUER, { tufRoot, cacheDir })?.source).toEqual({
      tuf: { mirror: 'https://tuf-repo-cdn.sigstore.dev', cacheDir, initialRoot: readFileSync(tufRoot) },
    });
  });
  it("takes trusted-root without an identity when public-key is given (it checks key bundles' log entries)", () => {
    expect(parseKeylessGate(undefined, undefined, undefined, { ...file, withPublicKey: true })).toBeUndefined();
    expect(() =>
      parseKeylessGate(undefined, undefined, undefined, {
        tufMirror: 'https://tuf.example.com',
        withPublicKey: true,
        cacheDir,
      }),
    ).toThrow("Input 'tuf-mirror': needs certificate-identity or certificate-identity-regexp as well");
  });
  it.each([
    [
      [undefined, undefined, ISSUER, file],
      "Input 'certificate-oidc-issuer': needs certificate-identity or certificate-identity-regexp as well",
    ],
    [
      [undefined, undefined, undefined, file],
      "Input 'trusted-root': needs certificate-identity or certificate-identity-regexp, or public-key, as well",
    ],
    [
      [undefined, undefined, undefined, { tufMirror: 'https://tuf.example.com', cacheDir }],
      "Input 'tuf-mirror': needs certificate-identity or certificate-identity-regexp as well",
    ],
    [
      ['a', 'b', ISSUER, file],
      "Input 'certificate-identity-regexp': cannot be combined with certificate-identity (give one of them)",
    ],
    [['a', undefined, undefined, file], "Input 'certificate-oidc-issuer': is required with a certificate identity"],
    [[undefined, '(', ISSUER, file], "Input 'certificate-identity-regexp': is not a regular expression"],
    [['a', undefined, ISSUER, { trustedRoot: join(dir, 'missing.json'), cacheDir }], "Input 'trusted-root': '"],
    [['a', undefined, ISSUER, { trustedRoot: pub, cacheDir }], 'is not JSON (expected a Sigstore trusted_root.json)'],
    [
      ['a', undefined, ISSUER, { trustedRoot: tufRoot, cacheDir }],
      'has no certificateAuthorities (expected a Sigstore trusted_root.json)',
    ],
    [
      ['a', undefined, ISSUER, { ...file, tufMirror: 'https://tuf.example.com' }],
      "Input 'tuf-mirror': cannot be combined with trusted-root (give the trusted_root.json file, or the TUF repository it comes from)",
    ],
    [['a', undefined, ISSUER, { ...file, tufRoot }], "Input 'tuf-root': cannot be combined with trusted-root"],
    [
      ['a', undefined, ISSUER, { tufMirror: 'https://tuf.example.com', cacheDir }],
      "Input 'tuf-root': is required with tuf-mirror https://tuf.example.com (the initial root.json of that TUF repository; only the public-good root is built in)",
    ],
    [
      ['a', undefined, ISSUER, { tufMirror: 'tuf.example.com', tufRoot, cacheDir }],
      "Input 'tuf-mirror': 'tuf.example.com' is not a URL (expected the https:// base URL of a TUF repository)",
    ],
    [
      ['a', undefined, ISSUER, { tufMirror: 'ftp://tuf.example.com', tufRoot, cacheDir }],
      "Input 'tuf-mirror': 'ftp://tuf.example.com' is not a plain http(s) URL",
    ],
    [
      ['a', undefined, ISSUER, { tufMirror: 'https://tuf.example.com', tufRoot: root, cacheDir }],
      `Input 'tuf-root': '${root}' is not TUF root metadata (expected the path of the initial root.json of the TUF repository)`,
    ],
    [
      ['a', undefined, ISSUER, { tufMirror: 'https://tuf.example.com', tufRoot: join(dir, 'nope.json'), cacheDir }],
      "Input 'tuf-root': '",
    ],
  ] as const)('refuses %j', (args, message) => {
    expect(() => parseKeylessGate(...(args as unknown as Parameters<typeof parseKeylessGate>))).toThrow(message);
  });
});
