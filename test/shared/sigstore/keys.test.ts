import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyError, loadPrivateKey, loadPublicKey, publicKeyPem, readPem } from '#shared/sigstore/keys.js';

const dir = join(import.meta.dirname, '../../fixtures/sigstore');
const cosignKey = readFileSync(join(dir, 'cosign.key'), 'utf8');
const cosignPub = readFileSync(join(dir, 'cosign.pub'), 'utf8');
const PASSWORD = 'correct horse battery';

// biome-ignore lint/suspicious/noExplicitAny: the key file JSON is edited field by field
function cosignKeyWith(change: (doc: Record<string, any>) => void): string {
  const pem = readPem(cosignKey)!;
  const doc = JSON.parse(pem.der.toString('utf8'));
  change(doc);
  const body = Buffer.from(JSON.stringify(doc))
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n${body}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n`;
}

describe('loadPrivateKey', () => {
  it('opens a key written by cosign generate-key-pair, and its public half is cosign.pub', async () => {
    const key = await loadPrivateKey(cosignKey, PASSWORD);
    expect(key.source).toBe('cosign');
    expect(key.privateKey.asymmetricKeyType).toBe('ec');
    expect(key.hash).toBe('sha256');
    expect(publicKeyPem(key.publicKey).trim()).toBe(cosignPub.trim());
    const sig = sign('sha256', Buffer.from('payload'), key.privateKey);
    expect(verify('sha256', Buffer.from('payload'), loadPublicKey(cosignPub), sig)).toBe(true);
  });

  it.each([
    ['a wrong password', cosignKey, 'wrong', 'the password does not open the cosign private key (wrong key-password?)'],
    ['no password', cosignKey, undefined, 'the password does not open the cosign private key (wrong key-password?)'],
    [
      'another cipher',
      cosignKeyWith((d) => {
        d.cipher.name = 'aes-gcm';
      }),
      PASSWORD,
      'the cosign private key uses scrypt key derivation and aes-gcm cipher (expected scrypt and nacl/secretbox)',
    ],
    [
      'a memory bomb in the scrypt parameters',
      cosignKeyWith((d) => {
        d.kdf.params.N = 2 ** 30;
      }),
      PASSWORD,
      'the cosign private key has scrypt parameters out of range (N=1073741824, r=8, p=1)',
    ],
    [
      'a cut ciphertext',
      cosignKeyWith((d) => {
        d.ciphertext = 'AAAA';
      }),
      PASSWORD,
      'the cosign private key is truncated (nonce or ciphertext missing)',
    ],
    [
      'text that is no PEM',
      'not a key',
      PASSWORD,
      'is not a PEM private key (no -----BEGIN ... PRIVATE KEY----- block)',
    ],
    [
      'a certificate',
      '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
      PASSWORD,
      "a 'CERTIFICATE' PEM block is not a private key this action reads (expected ENCRYPTED SIGSTORE PRIVATE KEY, PRIVATE KEY, ENCRYPTED PRIVATE KEY or EC PRIVATE KEY)",
    ],
  ])('refuses %s with a message that holds no key material', async (_name, text, password, message) => {
    const err = await loadPrivateKey(text, password).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyError);
    expect((err as Error).message).toBe(message);
    expect((err as Error).message).not.toContain(PASSWORD);
  });

  it.each([
    ['EC P-256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }), 'sha256'],
    ['EC P-384', () => generateKeyPairSync('ec', { namedCurve: 'P-384' }), 'sha384'],
    ['RSA 2048', () => generateKeyPairSync('rsa', { modulusLength: 2048 }), 'sha256'],
    ['Ed25519', () => generateKeyPairSync('ed25519'), undefined],
  ] as const)('reads a PKCS#8 %s key, plain and encrypted', async (_name, make, hash) => {
    const { privateKey, publicKey } = make();
    const plain = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const encrypted = privateKey
      .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' })
      .toString();
    for (const [text, password] of [
      [plain, undefined],
      [encrypted, 'pw'],
    ] as const) {
      const key = await loadPrivateKey(text, password);
      expect(key.source).toBe('pkcs8');
      expect(key.hash).toBe(hash);
      expect(publicKeyPem(key.publicKey)).toBe(publicKeyPem(publicKey));
    }
    await expect(loadPrivateKey(encrypted, undefined)).rejects.toThrow(
      'the PKCS#8 key is encrypted and no key-password was given',
    );
  });

  it('reads a SEC1 EC key', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = await loadPrivateKey(privateKey.export({ format: 'pem', type: 'sec1' }).toString(), undefined);
    expect(key.source).toBe('sec1');
  });

  it('refuses key types cosign cannot verify', async () => {
    const { privateKey } = generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 224 });
    await expect(
      loadPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), undefined),
    ).rejects.toThrow('dsa keys are not supported (expected ECDSA, RSA or Ed25519)');
  });
});

describe('loadPublicKey', () => {
  it('reads cosign.pub', () => {
    expect(loadPublicKey(cosignPub).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });
  it.each([
    ['a private key', cosignKey],
    ['no PEM', 'ssh-ed25519 AAAA'],
  ])('refuses %s', (_name, text) => {
    expect(() => loadPublicKey(text)).toThrow('is not a PEM public key (expected a -----BEGIN PUBLIC KEY----- block)');
  });
});
