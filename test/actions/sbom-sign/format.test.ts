// format: auto decided from the registry's answer, table-driven against a client whose referrers
// API answers or not; an explicit format is taken as asked (a P-384 key cannot make bundles).
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '#shared/errors.js';
import { resolveFormat } from '../../../actions/sbom-sign/src/format.js';

const repo = { registry: 'registry.example', repository: 'app' };
const digest = `sha256:${'a'.repeat(64)}`;
const tag = `sha256-${'a'.repeat(64)}`;
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;

function client(api: boolean) {
  const calls: string[] = [];
  return {
    calls,
    referrersApi: async (_repo: unknown, d: string) => {
      calls.push(d);
      return api ? [] : null;
    },
  };
}

describe('resolveFormat', () => {
  it.each([
    ['key', true, p256, 'bundle', 'format: auto, and the registry answers the OCI referrers API'],
    [
      'key',
      false,
      p256,
      'legacy',
      `format: auto, and the registry has no OCI referrers API (cosign's ${tag}.sig / .att tags)`,
    ],
    ['keyless', true, undefined, 'bundle', 'format: auto, and the registry answers the OCI referrers API'],
    [
      'keyless',
      false,
      undefined,
      'legacy',
      `format: auto, and the registry has no OCI referrers API (cosign's ${tag}.sig / .att tags)`,
    ],
  ] as const)('sign: %s, referrers API %s -> as expected', async (sign, api, key, format, reason) => {
    const c = client(api);
    expect(await resolveFormat(c, repo, digest, 'auto', sign, key)).toEqual({ format, reason });
    expect(c.calls).toEqual([digest]);
  });

  it('takes an explicit format without asking the registry', async () => {
    const c = client(false);
    expect(await resolveFormat(c, repo, digest, 'bundle', 'key', p256)).toEqual({
      format: 'bundle',
      reason: 'format: bundle',
    });
    expect(await resolveFormat(c, repo, digest, 'legacy', 'key', p384)).toEqual({
      format: 'legacy',
      reason: 'format: legacy',
    });
    expect(c.calls).toEqual([]);
  });

  it('a P-384 key: auto keeps the legacy layout, bundle is refused naming format', async () => {
    const c = client(true);
    expect(await resolveFormat(c, repo, digest, 'auto', 'key', p384)).toEqual({
      format: 'legacy',
      reason: 'format: auto, and the key is ECDSA secp384r1; bundles are signed with ECDSA P-256, RSA or Ed25519 keys',
    });
    const refused = resolveFormat(c, repo, digest, 'bundle', 'key', p384);
    await expect(refused).rejects.toBeInstanceOf(ConfigurationError);
    await expect(refused).rejects.toThrow(
      "Input 'format': 'bundle' cannot be used: the key is ECDSA secp384r1; bundles are signed with ECDSA P-256, RSA or Ed25519 keys (use format: legacy for this key)",
    );
  });

  it('sign: none asks nothing', async () => {
    const c = client(true);
    expect((await resolveFormat(c, repo, digest, 'auto', 'none', undefined)).format).toBe('legacy');
    expect(c.calls).toEqual([]);
  });
});
