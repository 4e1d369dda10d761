// Signing and verification keys in the forms users hold them: cosign's encrypted private key
// (`cosign generate-key-pair`: scrypt-derived key, NaCl secretbox around a PKCS#8 key), plain or
// encrypted PKCS#8 / SEC1 PEM, and PEM public keys. Everything here is node:crypto except the
// secretbox (XSalsa20-Poly1305), which node does not offer.
import { createPrivateKey, createPublicKey, type KeyObject, scrypt } from 'node:crypto';

export const COSIGN_PRIVATE_KEY_LABELS = ['ENCRYPTED SIGSTORE PRIVATE KEY', 'ENCRYPTED COSIGN PRIVATE KEY'] as const;

/** Why a key could not be read: the message never contains key material or the password. */
export class KeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyError';
  }
}

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** what kind of key file it came from, for messages */
  source: 'cosign' | 'pkcs8' | 'sec1';
  /** node's signing digest for the key type (undefined for ed25519) */
  hash: 'sha256' | 'sha384' | 'sha512' | undefined;
}

const PEM_RE = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)\r?\n?-----END \1-----/;

/** The first PEM block of a text: its label and base64-decoded body. */
export function readPem(text: string): { label: string; der: Buffer } | undefined {
  const m = PEM_RE.exec(text);
  if (!m) return undefined;
  const body = (m[2] ?? '').replace(/^[A-Za-z-]+:.*$/gm, '').replace(/\s+/g, '');
  return { label: m[1]!, der: Buffer.from(body, 'base64') };
}

function scryptAsync(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // node's default memory cap (32 MiB) is below what cosign's N=65536, r=8 takes (64 MiB)
    scrypt(password, salt, 32, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

interface CosignKeyFile {
  kdf?: { name?: string; params?: { N?: number; r?: number; p?: number }; salt?: string };
  cipher?: { name?: string; nonce?: string };
  ciphertext?: string;
}

/** Decrypts the PKCS#8 DER inside a cosign private key file. */
export async function decryptCosignKey(json: Buffer, password: string): Promise<Buffer> {
  let doc: CosignKeyFile;
  try {
    doc = JSON.parse(json.toString('utf8')) as CosignKeyFile;
  } catch {
    throw new KeyError('the cosign private key does not hold the JSON cosign writes');
  }
  const { kdf, cipher } = doc;
  if (kdf?.name !== 'scrypt' || cipher?.name !== 'nacl/secretbox') {
    throw new KeyError(
      `the cosign private key uses ${kdf?.name ?? 'no'} key derivation and ${cipher?.name ?? 'no'} cipher (expected scrypt and nacl/secretbox)`,
    );
  }
  const n = kdf.params?.N ?? 0;
  const r = kdf.params?.r ?? 0;
  const p = kdf.params?.p ?? 0;
  // bounds keep a crafted key file from asking for gigabytes of memory or hours of work
  if (!Number.isInteger(n) || n < 2 || n > 1 << 20 || (n & (n - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) {
    throw new KeyError(`the cosign private key has scrypt parameters out of range (N=${n}, r=${r}, p=${p})`);
  }
  // loaded here only: verifying with a public key (promote) never needs the secretbox
  const { default: nacl } = await import('tweetnacl');
  const salt = Buffer.from(kdf.salt ?? '', 'base64');
  const nonce = Buffer.from(cipher.nonce ?? '', 'base64');
  const box = Buffer.from(doc.ciphertext ?? '', 'base64');
  if (nonce.length !== nacl.secretbox.nonceLength || box.length <= nacl.secretbox.overheadLength) {
    throw new KeyError('the cosign private key is truncated (nonce or ciphertext missing)');
  }
  const key = await scryptAsync(password, salt, n, r, p);
  const opened = nacl.secretbox.open(new Uint8Array(box), new Uint8Array(nonce), new Uint8Array(key));
  key.fill(0);
  if (!opened) throw new KeyError('the password does not open the cosign private key (wrong key-password?)');
  return Buffer.from(opened);
}

function hashFor(key: KeyObject): SigningKey['hash'] {
  if (key.asymmetricKeyType === 'ed25519') return undefined;
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'secp384r1') return 'sha384';
    if (curve === 'secp521r1') return 'sha512';
  }
  return 'sha256';
}

function supported(key: KeyObject): void {
  const type = key.asymmetricKeyType;
  if (type !== 'ec' && type !== 'rsa' && type !== 'ed25519') {
    throw new KeyError(`${type ?? 'an unknown'} keys are not supported (expected ECDSA, RSA or Ed25519)`);
  }
}

/**
 * A private key from the text of a key file: cosign's encrypted format (needs the password),
 * PKCS#8 (`PRIVATE KEY`, `ENCRYPTED PRIVATE KEY` with the password) or SEC1 (`EC PRIVATE KEY`).
 */
export async function loadPrivateKey(text: string, password: string | undefined): Promise<SigningKey> {
  const pem = readPem(text);
  if (!pem) throw new KeyError('is not a PEM private key (no -----BEGIN ... PRIVATE KEY----- block)');
  let privateKey: KeyObject;
  let source: SigningKey['source'];
  try {
    if ((COSIGN_PRIVATE_KEY_LABELS as readonly string[]).includes(pem.label)) {
      const der = await decryptCosignKey(pem.der, password ?? '');
      privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      der.fill(0);
      source = 'cosign';
    } else if (pem.label === 'PRIVATE KEY' || pem.label === 'ENCRYPTED PRIVATE KEY') {
      if (pem.label === 'ENCRYPTED PRIVATE KEY' && !password) {
        throw new KeyError('the PKCS#8 key is encrypted and no key-password was given');
      }
      privateKey = createPrivateKey({
        key: pem.der,
        format: 'der',
        type: 'pkcs8',
        ...(pem.label === 'ENCRYPTED PRIVATE KEY' ? { passphrase: password } : {}),
      });
      source = 'pkcs8';
    } else if (pem.label === 'EC PRIVATE KEY') {
      privateKey = createPrivateKey({ key: pem.der, format: 'der', type: 'sec1' });
      source = 'sec1';
    } else {
      throw new KeyError(
        `a '${pem.label.slice(0, 40)}' PEM block is not a private key this action reads (expected ENCRYPTED SIGSTORE PRIVATE KEY, PRIVATE KEY, ENCRYPTED PRIVATE KEY or EC PRIVATE KEY)`,
      );
    }
  } catch (err) {
    if (err instanceof KeyError) throw err;
    // node's own messages name the decoder, never the key bytes
    throw new KeyError(`the private key cannot be read (${(err as Error).message.split('\n')[0]})`);
  }
  supported(privateKey);
  return { privateKey, publicKey: createPublicKey(privateKey), source, hash: hashFor(privateKey) };
}

/** A public key from PEM text (`PUBLIC KEY`, as `cosign generate-key-pair` writes cosign.pub). */
export function loadPublicKey(text: string): KeyObject {
  const pem = readPem(text);
  if (pem?.label !== 'PUBLIC KEY') {
    throw new KeyError('is not a PEM public key (expected a -----BEGIN PUBLIC KEY----- block)');
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem.der, format: 'der', type: 'spki' });
  } catch (err) {
    throw new KeyError(`the public key cannot be read (${(err as Error).message.split('\n')[0]})`);
  }
  supported(key);
  return key;
}

/** The PEM of a public key, as cosign.pub holds it. */
export function publicKeyPem(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'spki' }).toString();
}

/** The digest node uses when signing or verifying with this key (undefined for Ed25519). */
export function signingHash(key: KeyObject): SigningKey['hash'] {
  return hashFor(key);
}
