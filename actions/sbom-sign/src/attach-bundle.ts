// Keyless attachment: each statement (the cosign v3 signature statement, then the attestations)
// signed into its own Sigstore bundle and pushed as a referrer of the image digest.
import type { SerializedBundle } from '@sigstore/bundle';
import type { Descriptor, RegistryClient, RepositoryRef } from '#shared/oci/client.js';
import { pushBundleReferrer } from '#shared/sigstore/bundle-referrer.js';
import type { Statement } from '#shared/sigstore/in-toto.js';
import { certificateIdentity, type KeylessSigner } from '#shared/sigstore/keyless.js';

export interface AttachedBundle {
  predicateType: string;
  /** digest of the referrer manifest */
  digest: string;
  /** `referrers-api` or the fallback tag that lists it */
  listedBy: string;
  logIndex?: string;
  /** the Sigstore bundle pushed (for the workflow artifact) */
  bundle: SerializedBundle;
}

export interface AttachedBundles {
  signature: AttachedBundle;
  attestations: AttachedBundle[];
  identity: string | undefined;
}

export async function attachBundles(
  client: Pick<RegistryClient, 'getManifest' | 'putManifest' | 'pushBlobBytes' | 'referrersApi'>,
  repo: RepositoryRef,
  subject: Descriptor,
  signer: KeylessSigner,
  signature: Statement,
  attestations: readonly Statement[],
): Promise<AttachedBundles> {
  let identity: string | undefined;
  const one = async (statement: Statement): Promise<AttachedBundle> => {
    const signed = await signer.sign(statement);
    identity ??= await certificateIdentity(signed.certificatePem);
    const pushed = await pushBundleReferrer(client, repo, subject, signed.bundle, statement.predicateType);
    const out: AttachedBundle = {
      predicateType: statement.predicateType,
      digest: pushed.digest,
      listedBy: pushed.listedBy,
      bundle: signed.bundle,
    };
    if (signed.logIndex !== undefined) out.logIndex = signed.logIndex;
    return out;
  };
  const sig = await one(signature);
  const atts: AttachedBundle[] = [];
  for (const s of attestations) atts.push(await one(s));
  return { signature: sig, attestations: atts, identity };
}
