// The inputs of promote's signature and attestation gates, read once: the public key that
// signatures must verify with (inline PEM or a path, as cosign generate-key-pair writes
// cosign.pub), the keyless identity and where its trusted root comes from (a file, or a TUF
// repository: the public-good one by default) and the predicate types that must be attested.
import type { KeyObject } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getInput, getListInput } from '#shared/action/inputs.js';
import { fmt, info } from '#shared/action/log.js';
import { ConfigurationError } from '#shared/errors.js';
import { PREDICATE_NAMES, predicateTypeFor } from '#shared/sigstore/in-toto.js';
import { KeyError, loadPublicKey } from '#shared/sigstore/keys.js';
import {
  loadTrustedRoot,
  PUBLIC_GOOD_TUF_MIRROR,
  type TrustedRootSource,
  trustedRootProblem,
} from '#shared/sigstore/trusted-root.js';
import type { IdentityPolicy } from '#shared/sigstore/verify-bundle.js';

export interface KeylessGate {
  policy: IdentityPolicy;
  /** the TrustedRoot JSON, read from the file or fetched through TUF when the gate first needs it */
  trustedRoot: () => Promise<unknown>;
  /** where the trusted root comes from, for the debug log and tests */
  source: TrustedRootSource;
}

/** Where the trusted root comes from: the `trusted-root` file, or a TUF repository. */
export interface TrustedRootInputs {
  trustedRoot?: string | undefined;
  tufMirror?: string | undefined;
  tufRoot?: string | undefined;
  /** public-key is given too: trusted-root alone then serves key-signed bundles' log entries */
  withPublicKey?: boolean;
  /** RUNNER_TOOL_CACHE, else RUNNER_TEMP, else the system's temp folder */
  cacheDir: string;
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
  const problem = trustedRootProblem(doc);
  if (problem)
    throw new ConfigurationError(`'${path}' ${problem} (expected a Sigstore trusted_root.json)`, 'trusted-root');
  return doc;
}

export function parseTufMirror(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError(
      `'${value}' is not a URL (expected the https:// base URL of a TUF repository)`,
      'tuf-mirror',
    );
  }
  if (
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.username ||
    url.password ||
    url.search ||
    url.hash
  ) {
    throw new ConfigurationError(
      `'${value}' is not a plain http(s) URL (expected the base URL of a TUF repository, such as ${PUBLIC_GOOD_TUF_MIRROR})`,
      'tuf-mirror',
    );
  }
  return url.href.replace(/\/+$/, '');
}

/** The initial root.json of a TUF repository, as `cosign initialize --root` takes it. */
export function parseTufRoot(path: string): Buffer {
  const expected = '(expected the path of the initial root.json of the TUF repository)';
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new ConfigurationError(`'${path}' is not a file ${expected}`, 'tuf-root');
  }
  const bytes = readFileSync(path);
  let doc: { signed?: { _type?: unknown } } | null;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ConfigurationError(`'${path}' is not JSON ${expected}`, 'tuf-root');
  }
  if (doc?.signed?._type !== 'root') {
    throw new ConfigurationError(`'${path}' is not TUF root metadata ${expected}`, 'tuf-root');
  }
  return bytes;
}

/** The trusted root's source: the file when given, else TUF (public-good unless a mirror is given). */
export function parseTrustedRootSource(inputs: TrustedRootInputs): TrustedRootSource {
  if (inputs.trustedRoot !== undefined) {
    for (const name of ['tuf-mirror', 'tuf-root'] as const) {
      if ((name === 'tuf-mirror' ? inputs.tufMirror : inputs.tufRoot) !== undefined) {
        throw new ConfigurationError(
          'cannot be combined with trusted-root (give the trusted_root.json file, or the TUF repository it comes from)',
          name,
        );
      }
    }
    return { json: parseTrustedRoot(inputs.trustedRoot) };
  }
  const mirror = inputs.tufMirror === undefined ? PUBLIC_GOOD_TUF_MIRROR : parseTufMirror(inputs.tufMirror);
  if (inputs.tufRoot === undefined && mirror !== PUBLIC_GOOD_TUF_MIRROR) {
    throw new ConfigurationError(
      `is required with tuf-mirror ${mirror} (the initial root.json of that TUF repository; only the public-good root is built in)`,
      'tuf-root',
    );
  }
  const tuf: TrustedRootSource = { tuf: { mirror, cacheDir: inputs.cacheDir } };
  if (inputs.tufRoot !== undefined) tuf.tuf.initialRoot = parseTufRoot(inputs.tufRoot);
  return tuf;
}

export function parseKeylessGate(
  identity: string | undefined,
  identityRegexp: string | undefined,
  issuer: string | undefined,
  root: TrustedRootInputs,
): KeylessGate | undefined {
  if (identity === undefined && identityRegexp === undefined) {
    if (issuer !== undefined) {
      throw new ConfigurationError(
        'needs certificate-identity or certificate-identity-regexp as well',
        'certificate-oidc-issuer',
      );
    }
    for (const name of ['trusted-root', 'tuf-mirror', 'tuf-root'] as const) {
      const given = { 'trusted-root': root.trustedRoot, 'tuf-mirror': root.tufMirror, 'tuf-root': root.tufRoot }[name];
      // trusted-root also serves public-key: the logs that check key-signed bundles' log entries
      if (given !== undefined && !(name === 'trusted-root' && root.withPublicKey)) {
        throw new ConfigurationError(
          name === 'trusted-root'
            ? 'needs certificate-identity or certificate-identity-regexp, or public-key, as well'
            : 'needs certificate-identity or certificate-identity-regexp as well',
          name,
        );
      }
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
  const policy: IdentityPolicy = { issuer };
  if (identity !== undefined) policy.identity = identity;
  if (identityRegexp !== undefined) {
    policy.identityRegexp = parseRegexp(identityRegexp);
    policy.identityRegexpText = identityRegexp;
  }
  const source = parseTrustedRootSource(root);
  const trustedRoot = async (): Promise<unknown> => {
    const doc = await loadTrustedRoot(source);
    if ('tuf' in source)
      info(fmt`Keyless: the trusted root is the trusted_root.json of TUF repository ${source.tuf.mirror}`);
    return doc;
  };
  return { policy, source, trustedRoot };
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
      {
        trustedRoot: getInput('trusted-root'),
        tufMirror: getInput('tuf-mirror'),
        tufRoot: getInput('tuf-root'),
        withPublicKey: key !== undefined,
        cacheDir: join(process.env.RUNNER_TOOL_CACHE || process.env.RUNNER_TEMP || tmpdir(), 'sigstore-tuf'),
      },
    ),
    requireAttestations: parseRequiredAttestations(getListInput('require-attestations')),
  };
}
