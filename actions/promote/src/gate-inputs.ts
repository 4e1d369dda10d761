// The inputs of promote's signature and attestation gates, read once: the public key that
// signatures must verify with (inline PEM or a path, as cosign generate-key-pair writes
// cosign.pub) and the predicate types that must be attested.
import type { KeyObject } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { getInput, getListInput } from '#shared/action/inputs.js';
import { ConfigurationError } from '#shared/errors.js';
import { PREDICATE_NAMES, predicateTypeFor } from '#shared/sigstore/in-toto.js';
import { KeyError, loadPublicKey } from '#shared/sigstore/keys.js';
import type { IdentityPolicy } from '#shared/sigstore/verify-bundle.js';

export interface KeylessGate {
  policy: IdentityPolicy;
  /** parsed TrustedRoot JSON */
  trustedRoot: unknown;
}

export interface SignatureGateInputs {
  publicKey: KeyObject | undefined;
  /** keyless verification of Sigstore bundle referrers, when an identity is asked for */
  keyless: KeylessGate | undefined;
  /** predicate type URIs */
  requireAttestations: string[];
  /** trusted-root given with public-key: the logs that check key-signed bundles' log entries */
  publicKeyTrustedRoot: unknown;
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

/** A regexp input, anchored by the user as they wish (like cosign's --certificate-identity-regexp). */
function parseRegexp(value: string): RegExp {
  if (value.length > 1024)
    throw new ConfigurationError('is longer than 1024 characters', 'certificate-identity-regexp');
  try {
    return new RegExp(value);
  } catch (err) {
    throw new ConfigurationError(
      `is not a regular expression (${(err as Error).message})`,
      'certificate-identity-regexp',
    );
  }
}

export function parseTrustedRoot(path: string): unknown {
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new ConfigurationError(`'${path}' is not a file (expected a Sigstore trusted_root.json)`, 'trusted-root');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new ConfigurationError(`'${path}' is not JSON (expected a Sigstore trusted_root.json)`, 'trusted-root');
  }
  const root = doc as { certificateAuthorities?: unknown } | null;
  if (!root || !Array.isArray(root.certificateAuthorities)) {
    throw new ConfigurationError(
      `'${path}' has no certificateAuthorities (expected a Sigstore trusted_root.json)`,
      'trusted-root',
    );
  }
  return doc;
}

export function parseKeylessGate(
  identity: string | undefined,
  identityRegexp: string | undefined,
  issuer: string | undefined,
  trustedRoot: string | undefined,
): KeylessGate | undefined {
  if (identity === undefined && identityRegexp === undefined) {
    if (issuer !== undefined) {
      throw new ConfigurationError(
        'needs certificate-identity or certificate-identity-regexp as well',
        'certificate-oidc-issuer',
      );
    }
    return undefined;
  }
  if (identity !== undefined && identityRegexp !== undefined) {
    throw new ConfigurationError(
      'cannot be combined with certificate-identity (give one of them)',
      'certificate-identity-regexp',
    );
  }
  if (issuer === undefined) {
    throw new ConfigurationError(
      'is required with a certificate identity (for GitHub Actions: https://token.actions.githubusercontent.com)',
      'certificate-oidc-issuer',
    );
  }
  if (trustedRoot === undefined) {
    throw new ConfigurationError(
      "is required for keyless verification in this version (the trusted_root.json of the Sigstore instance; for the public-good instance, as 'cosign trusted-root create' or the sigstore TUF repository provide it)",
      'trusted-root',
    );
  }
  const policy: IdentityPolicy = { issuer };
  if (identity !== undefined) policy.identity = identity;
  if (identityRegexp !== undefined) {
    policy.identityRegexp = parseRegexp(identityRegexp);
    policy.identityRegexpText = identityRegexp;
  }
  return { policy, trustedRoot: parseTrustedRoot(trustedRoot) };
}

export function getSignatureGateInputs(): SignatureGateInputs {
  const key = getInput('public-key');
  const trustedRoot = getInput('trusted-root');
  return {
    publicKey: key === undefined ? undefined : parsePublicKey(key),
    publicKeyTrustedRoot: key !== undefined && trustedRoot !== undefined ? parseTrustedRoot(trustedRoot) : undefined,
    keyless: parseKeylessGate(
      getInput('certificate-identity'),
      getInput('certificate-identity-regexp'),
      getInput('certificate-oidc-issuer'),
      getInput('trusted-root'),
    ),
    requireAttestations: parseRequiredAttestations(getListInput('require-attestations')),
  };
}
