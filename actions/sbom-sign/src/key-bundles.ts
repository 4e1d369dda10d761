// Key-based signing into Sigstore bundles: each statement (the cosign v3 signature statement,
// then the attestations) signed with the user's key into its own bundle v0.3 and pushed as a
// referrer of the image digest, as `cosign sign --key` / `cosign attest --key` of cosign v3 do.
//
// A re-run must not stack referrers. ECDSA signatures differ on every run, so "already signed"
// cannot mean "the same bundle": it means a bundle referrer of the same digest whose DSSE payload
// is byte for byte the statement this run would sign and whose signature verifies with this key
// (and, when this run logs to Rekor, which carries a log entry). Such a statement is reported
// `unchanged` and nothing is pushed; a statement that differs (provenance of another run) is new.
import { group, info } from '#shared/action/log.js';
import { setOutputs } from '#shared/action/outputs.js';
import { ConfigurationError } from '#shared/errors.js';
import { type Descriptor, formatPlatform, type RegistryClient, type RepositoryRef } from '#shared/oci/client.js';
import { listReferrers, referrersTag, subjectOf } from '#shared/oci/referrers.js';
import {
  BUNDLE_PREDICATE_ANNOTATION,
  COSIGN_SIGN_PREDICATE,
  pushBundleReferrer,
} from '#shared/sigstore/bundle-referrer.js';
import { imageStatement, type Statement } from '#shared/sigstore/in-toto.js';
import {
  bundleKeyProblem,
  createKeyBundleSigner,
  keyFingerprint,
  type KeyBundleSigner,
  signsPayload,
} from '#shared/sigstore/key-bundle.js';
import { BUNDLE_V03_MEDIA_TYPE } from '#shared/sigstore/keyless.js';
import type { SigningKey } from '#shared/sigstore/keys.js';
import type { SignedFile } from './artifact.js';
import type { AttachedBundle } from './attach-bundle.js';
import type { SbomResult } from './main.js';
import { writeKeyBundleSummary } from './summary.js';

export type KeyBundleClient = Pick<
  RegistryClient,
  'getManifest' | 'putManifest' | 'pushBlobBytes' | 'referrersApi' | 'getBlobBytes'
>;

export interface KeyAttachedBundle extends AttachedBundle {
  status: 'created' | 'unchanged';
}

export interface KeyAttachedBundles {
  signature: KeyAttachedBundle;
  attestations: KeyAttachedBundle[];
}

const MAX_BUNDLE_BYTES = 32 * 1024 * 1024;

interface Existing {
  digest: string;
  predicateType: string | undefined;
  bundle: unknown;
}

/** The bundle referrers of `subject` already in the registry, each read from its own manifest. */
async function existingBundles(
  client: KeyBundleClient,
  repo: RepositoryRef,
  subject: string,
): Promise<{ found: Existing[]; api: boolean }> {
  const listing = await listReferrers(client, repo, subject, { artifactType: BUNDLE_V03_MEDIA_TYPE });
  const found: Existing[] = [];
  for (const entry of listing.descriptors) {
    if (entry.digest === subject) continue;
    try {
      const manifest = await client.getManifest(repo, entry.digest);
      if (subjectOf(manifest.json)?.digest !== subject) continue;
      const layer = (Array.isArray(manifest.json.layers) ? manifest.json.layers : []).find(
        (l: Descriptor) => l?.mediaType === BUNDLE_V03_MEDIA_TYPE,
      ) as Descriptor | undefined;
      if (!layer) continue;
      const bundle = JSON.parse((await client.getBlobBytes(repo, layer.digest, MAX_BUNDLE_BYTES)).toString('utf8'));
      found.push({
        digest: entry.digest,
        predicateType: manifest.json.annotations?.[BUNDLE_PREDICATE_ANNOTATION],
        bundle,
      });
    } catch {
      // a referrer that cannot be read is no proof of a signature: this run signs again
    }
  }
  return { found, api: listing.api };
}

export async function attachKeyBundles(
  client: KeyBundleClient,
  repo: RepositoryRef,
  subject: Descriptor,
  signer: KeyBundleSigner,
  key: Pick<SigningKey, 'publicKey'>,
  signature: Statement,
  attestations: readonly Statement[],
): Promise<KeyAttachedBundles> {
  const { found, api } = await existingBundles(client, repo, subject.digest);
  const one = async (statement: Statement): Promise<KeyAttachedBundle> => {
    const payload = Buffer.from(JSON.stringify(statement));
    const same = found.find(
      (e) =>
        (e.predicateType === undefined || e.predicateType === statement.predicateType) &&
        signsPayload(e.bundle, payload, key.publicKey, signer.tlog),
    );
    if (same) {
      const out: KeyAttachedBundle = {
        predicateType: statement.predicateType,
        digest: same.digest,
        listedBy: api ? 'referrers-api' : referrersTag(subject.digest),
        // biome-ignore lint/suspicious/noExplicitAny: the bundle read back, as it was pushed
        bundle: same.bundle as any,
        status: 'unchanged',
      };
      // biome-ignore lint/suspicious/noExplicitAny: foreign JSON
      const index = (same.bundle as any)?.verificationMaterial?.tlogEntries?.[0]?.logIndex;
      if (typeof index === 'string') out.logIndex = index;
      return out;
    }
    const signed = await signer.sign(statement);
    const pushed = await pushBundleReferrer(client, repo, subject, signed.bundle, statement.predicateType);
    const out: KeyAttachedBundle = {
      predicateType: statement.predicateType,
      digest: pushed.digest,
      listedBy: pushed.listedBy,
      bundle: signed.bundle,
      status: 'created',
    };
    if (signed.logIndex !== undefined) out.logIndex = signed.logIndex;
    return out;
  };
  const sig = await one(signature);
  const atts: KeyAttachedBundle[] = [];
  for (const s of attestations) atts.push(await one(s));
  return { signature: sig, attestations: atts };
}

export interface KeyBundleRun {
  client: KeyBundleClient;
  repo: RepositoryRef;
  /** the image as resolved (the subject of every referrer) */
  image: Descriptor;
  /** registry/repository */
  name: string;
  pinned: string;
  key: SigningKey;
  /** the Rekor to log to, or undefined */
  rekorUrl: string | undefined;
  statements: readonly Statement[];
  sbom: SbomResult | undefined;
  /** the platform images to sign too (sign-platforms), [] otherwise */
  platforms: () => Promise<Descriptor[]>;
}

/** `sign: key` with bundles: signs, attaches, sets the outputs, writes the summary; returns the artifact files. */
export async function signWithKeyBundles(run: KeyBundleRun): Promise<SignedFile[]> {
  const problem = bundleKeyProblem(run.key.privateKey);
  if (problem) throw new ConfigurationError(`'bundle' cannot be used: ${problem}`, 'format');
  const signer = await createKeyBundleSigner({
    privateKey: run.key.privateKey,
    publicKey: run.key.publicKey,
    rekorUrl: run.rekorUrl,
  });
  const digest = run.image.digest;
  const bundles = await group('Signing (key, Sigstore bundles)', async () => {
    info(
      `Key ${keyFingerprint(run.key.publicKey)} (hint ${signer.hint}); ${run.rekorUrl ? `each bundle logged in ${run.rekorUrl}` : 'no transparency log entry'}`,
    );
    const done = await attachKeyBundles(
      run.client,
      run.repo,
      run.image,
      signer,
      run.key,
      imageStatement(run.name, digest, COSIGN_SIGN_PREDICATE, {}),
      run.statements,
    );
    for (const child of await run.platforms()) {
      const one = await attachKeyBundles(
        run.client,
        run.repo,
        child,
        signer,
        run.key,
        imageStatement(run.name, child.digest, COSIGN_SIGN_PREDICATE, {}),
        [],
      );
      info(
        `Platform ${child.platform ? formatPlatform(child.platform) : 'unknown'} ${child.digest}: signature bundle ${run.name}@${one.signature.digest} (${one.signature.status})`,
      );
    }
    return done;
  });
  const where = (b: { listedBy: string }) =>
    b.listedBy === 'referrers-api' ? 'the referrers API' : `the referrers tag ${b.listedBy}`;
  info(
    `Signature bundle ${run.name}@${bundles.signature.digest} ${bundles.signature.status}, listed by ${where(bundles.signature)}`,
  );
  for (const a of bundles.attestations)
    info(`Attestation ${a.predicateType} bundle ${run.name}@${a.digest} ${a.status}, listed by ${where(a)}`);
  setOutputs({
    digest,
    sbom: run.sbom?.path ?? '',
    'sbom-digest': run.sbom?.digest ?? '',
    signature: `${run.name}@${bundles.signature.digest}`,
    attestations: bundles.attestations.map((a) => ({
      predicateType: a.predicateType,
      digest: a.digest,
      reference: `${run.name}@${a.digest}`,
      status: a.status,
    })),
    'certificate-identity': '',
    'rekor-log-index': bundles.signature.logIndex ?? '',
  });
  writeKeyBundleSummary({
    pinned: run.pinned,
    sbom: run.sbom,
    bundles,
    keySource: run.key.source,
    tlog: signer.tlog,
    where,
  });
  return [
    { kind: 'bundle', role: 'signature', predicateType: COSIGN_SIGN_PREDICATE, json: bundles.signature.bundle },
    ...bundles.attestations.map(
      (a): SignedFile => ({ kind: 'bundle', role: 'attestation', predicateType: a.predicateType, json: a.bundle }),
    ),
  ];
}
