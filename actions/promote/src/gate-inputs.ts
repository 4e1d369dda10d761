// The inputs of promote's signature and attestation gates, read once: the public key that
// signatures must verify with (inline PEM or a path, as cosign generate-key-pair writes
// cosign.pub) and the predicate types that must be attested.
import type { KeyObject } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { getInput, getListInput } from '#shared/action/inputs.js';
import { ConfigurationError } from '#shared/errors.js';
import { PREDICATE_NAMES, predicateTypeFor } from '#shared/sigstore/in-toto.js';
import { KeyError, loadPublicKey } from '#shared/sigstore/keys.js';

export interface SignatureGateInputs {
  publicKey: KeyObject | undefined;
  /** predicate type URIs */
  requireAttestations: string[];
}

export function parsePublicKey(value: string): KeyObject {
  let text = value;
  if (!value.includes('-----BEGIN')) {
    if (!existsSync(value) || !statSync(value).isFile()) {
      throw new ConfigurationError(
        `'${value}' is neither a PEM public key nor the path of one (expected the text or path of cosign.pub)`,
        'public-key',
      );
    }
    text = readFileSync(value, 'utf8');
  }
  try {
    return loadPublicKey(text);
  } catch (err) {
    if (err instanceof KeyError) throw new ConfigurationError(err.message, 'public-key');
    throw err;
  }
}

export function parseRequiredAttestations(items: readonly string[]): string[] {
  const out: string[] = [];
  for (const item of items) {
    const type = predicateTypeFor(item);
    if (!type) {
      throw new ConfigurationError(
        `'${item}' is not a predicate type (expected a URI or one of: ${PREDICATE_NAMES.join(', ')})`,
        'require-attestations',
      );
    }
    if (!out.includes(type)) out.push(type);
  }
  return out;
}

export function getSignatureGateInputs(): SignatureGateInputs {
  const key = getInput('public-key');
  return {
    publicKey: key === undefined ? undefined : parsePublicKey(key),
    requireAttestations: parseRequiredAttestations(getListInput('require-attestations')),
  };
}
