// Verification of Sigstore bundle referrers for promote's gate: each referrer of the digest is
// fetched and judged by its own manifest (subject = the digest, a bundle artifact type), its
// bundle verified with @sigstore/verify against the trusted root and the identity policy, and
// the signed in-toto subject compared with the digest (the verifier does not do that).
import type { Descriptor, ManifestResult, RegistryClient, RepositoryRef } from '../oci/client.js';
import { listReferrers, subjectOf } from '../oci/referrers.js';
import { describeError } from '../errors.js';
import { foreignText as f } from './foreign-text.js';
import type { LayerVerdict } from './cosign-legacy.js';
import { parseStatement, statementCovers } from './in-toto.js';
import { BUNDLE_V03_MEDIA_TYPE } from './keyless.js';

const BUNDLE_PREFIX = 'application/vnd.dev.sigstore.bundle';
const MAX_BUNDLE_BYTES = 32 * 1024 * 1024;

export interface IdentityPolicy {
  /** exact subject alternative name */
  identity?: string;
  identityRegexp?: RegExp;
  /** the pattern as the user wrote it, for messages (RegExp.source escapes slashes) */
  identityRegexpText?: string;
  /** OIDC issuer (Fulcio extension 1.3.6.1.4.1.57264.1.8) */
  issuer?: string;
}

export type BundleReadClient = Pick<RegistryClient, 'getManifest' | 'getBlobBytes' | 'referrersApi'>;

/** A verifier bound to one trusted root: built once per run. */
export interface BundleVerifier {
  /** throws with the reason when the bundle does not verify; returns the signer's SAN */
  verify(
    bundleJson: unknown,
    options?: VerifyOptions,
  ): {
    identity: string;
    issuer: string | undefined;
    payload: Buffer;
    /** who signed, for messages, when it is not a certificate identity (a key) */
    signer?: string;
  };
}

export interface VerifyOptions {
  /** the signed bytes of a message-signature bundle (a DSSE bundle carries its own payload) */
  artifact?: Buffer | undefined;
  /**
   * what the RFC 3161 timestamps cover when it is not the signature: cosign 2.x legacy
   * attestations are timestamped over the whole envelope JSON
   */
  timestamped?: Buffer | undefined;
}

export async function createBundleVerifier(trustedRootJson: unknown, policy: IdentityPolicy): Promise<BundleVerifier> {
  const { TrustedRoot } = await import('@sigstore/protobuf-specs');
  const { bundleFromJSON } = await import('@sigstore/bundle');
  const { Verifier, toSignedEntity, toTrustMaterial } = await import('@sigstore/verify');
  const trust = toTrustMaterial(TrustedRoot.fromJSON(trustedRootJson));
  // a timestamp from the log or from a TSA of the trusted root: private instances sign without a log
  const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 1, timestampThreshold: 1 });
  return {
    verify(bundleJson, options = {}) {
      const bundle = bundleFromJSON(bundleJson);
      if (bundle.content.$case === 'messageSignature' && !options.artifact) {
        throw new Error('a message signature needs the signed artifact');
      }
      const entity = toSignedEntity(bundle, options.artifact);
      const timestamped = options.timestamped;
      if (timestamped) {
        // only the timestamp check reads `signature` as bytes; the other checks stay the content's
        const content = entity.signature;
        entity.signature = {
          signature: timestamped,
          compareSignature: (sig) => content.compareSignature(sig),
          compareDigest: (digest) => content.compareDigest(digest),
          verifySignature: (key) => content.verifySignature(key),
        };
      }
      const exact: { subjectAlternativeName?: string; extensions?: { issuer: string } } = {};
      if (policy.identity) exact.subjectAlternativeName = policy.identity;
      if (policy.issuer) exact.extensions = { issuer: policy.issuer };
      const signer = verifier.verify(entity, exact);
      const identity = signer.identity?.subjectAlternativeName ?? '';
      if (policy.identityRegexp && !policy.identityRegexp.test(identity)) {
        throw new Error(
          `certificate identity ${f(identity)} does not match ${policy.identityRegexpText ?? policy.identityRegexp.source}`,
        );
      }
      const payload =
        bundle.content.$case === 'dsseEnvelope'
          ? Buffer.from(bundle.content.dsseEnvelope.payload)
          : (options.artifact as Buffer);
      return { identity, issuer: signer.identity?.extensions?.issuer, payload };
    },
  };
}

export interface BundleVerdict extends LayerVerdict {
  identity?: string;
  /** the cosign tag a keyless legacy layer was read from; undefined for bundle referrers */
  where?: string;
}

/** Every bundle referrer of `digest`, each judged: valid ones carry their predicate type and identity. */
export async function verifyBundleReferrers(
  client: BundleReadClient,
  repo: RepositoryRef,
  digest: string,
  verifier: BundleVerifier,
): Promise<BundleVerdict[]> {
  const { descriptors } = await listReferrers(client, repo, digest);
  const verdicts: BundleVerdict[] = [];
  for (const entry of descriptors) {
    if (!(entry.artifactType ?? '').startsWith(BUNDLE_PREFIX)) continue;
    verdicts.push(await judgeBundleReferrer(client, repo, digest, verifier, entry));
  }
  return verdicts;
}

async function judgeBundleReferrer(
  client: BundleReadClient,
  repo: RepositoryRef,
  digest: string,
  verifier: BundleVerifier,
  entry: Descriptor,
): Promise<BundleVerdict> {
  const name = entry.digest;
  if (entry.digest === digest) return { layer: name, valid: false, detail: 'the referrer entry is the image itself' };
  let manifest: ManifestResult;
  try {
    manifest = await client.getManifest(repo, entry.digest);
  } catch (err) {
    return { layer: name, valid: false, detail: `the referrer cannot be read (${describeError(err)})` };
  }
  const subject = subjectOf(manifest.json);
  if (subject?.digest !== digest) {
    return {
      layer: name,
      valid: false,
      detail: subject ? `its subject is ${f(subject.digest)}, not ${digest}` : 'it has no subject',
    };
  }
  const layers: Descriptor[] = Array.isArray(manifest.json.layers) ? manifest.json.layers : [];
  const layer = layers.find((l) => typeof l?.mediaType === 'string' && l.mediaType.startsWith(BUNDLE_PREFIX));
  const artifactType = manifest.json.artifactType ?? manifest.json.config?.mediaType;
  if (!layer || typeof artifactType !== 'string' || !artifactType.startsWith(BUNDLE_PREFIX)) {
    return {
      layer: name,
      valid: false,
      detail: `it is ${f(artifactType ?? 'an untyped manifest')}, not a Sigstore bundle`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse((await client.getBlobBytes(repo, layer.digest, MAX_BUNDLE_BYTES)).toString('utf8'));
  } catch (err) {
    return { layer: name, valid: false, detail: `its bundle cannot be read (${f(describeError(err))})` };
  }
  let verified: ReturnType<BundleVerifier['verify']>;
  try {
    verified = verifier.verify(json);
  } catch (err) {
    return { layer: name, valid: false, detail: `its bundle does not verify: ${f(describeError(err), 400)}` };
  }
  const statement = parseStatement(verified.payload);
  if (!statement)
    return {
      layer: name,
      valid: false,
      detail: 'its payload is not an in-toto statement',
      identity: verified.identity,
    };
  if (!statementCovers(statement, digest)) {
    return {
      layer: name,
      valid: false,
      detail: `it signs another subject than ${digest}`,
      predicateType: statement.predicateType,
      identity: verified.identity,
    };
  }
  return {
    layer: name,
    valid: true,
    detail: `${f(statement.predicateType)} over ${digest} signed by ${verified.signer ?? `${f(verified.identity)} (${f(verified.issuer ?? 'no issuer')})`}`,
    predicateType: statement.predicateType,
    identity: verified.identity,
  };
}

export { BUNDLE_V03_MEDIA_TYPE };
