// `sign: keyless` with `format: legacy`: sign and attest in cosign's tag layout with a Fulcio
// certificate, then the outputs and the job summary (with the cosign 2.x commands that check it);
// the files for the workflow artifact (the payload, signature, certificate and envelopes, plus
// each layer as a Sigstore bundle v0.1) go back to the caller, which uploads them.
import { info } from '#shared/action/log.js';
import { setOutputs } from '#shared/action/outputs.js';
import { formatPlatform, type Descriptor, type RegistryClient, type RepositoryRef } from '#shared/oci/client.js';
import { COSIGN_SIGN_PREDICATE } from '#shared/sigstore/bundle-referrer.js';
import { layerToBundle } from '#shared/sigstore/cosign-keyless.js';
import { CERTIFICATE_ANNOTATION, type LegacyLayer, SIGNATURE_ANNOTATION } from '#shared/sigstore/cosign-legacy.js';
import type { Statement } from '#shared/sigstore/in-toto.js';
import type { SignedFile } from './artifact.js';
import { attachKeylessLegacy } from './attach-keyless-legacy.js';
import type { KeylessInputs } from './inputs.js';
import { createLegacyKeylessSigner } from './keyless-legacy-signer.js';
import type { SbomResult } from './main.js';
import { writeKeylessLegacySummary } from './summary.js';

export interface KeylessLegacyRun {
  client: RegistryClient;
  repo: RepositoryRef;
  digest: string;
  /** `registry/repository`, for outputs and log lines */
  name: string;
  pinned: string;
  sbom: SbomResult | undefined;
  statements: readonly Statement[];
  keyless: KeylessInputs;
  getToken: () => Promise<string>;
  /** the token's issuer, known once the token was fetched */
  issuer: () => string | undefined;
  /** the platform images to sign as well (sign-platforms), [] otherwise */
  platforms: () => Promise<Descriptor[]>;
}

function asBundle(layer: LegacyLayer): object | undefined {
  const converted = layerToBundle(layer);
  return 'reason' in converted ? undefined : converted.bundle;
}

/** Signs, sets the outputs and the summary; returns the files for `upload-artifact`. */
export async function signKeylessLegacy(run: KeylessLegacyRun): Promise<SignedFile[]> {
  const signer = await createLegacyKeylessSigner({ ...run.keyless, getToken: run.getToken });
  const attached = await attachKeylessLegacy(run.client, run.repo, run.digest, signer, run.statements);
  const sig = attached.signature;
  info(
    `Signature ${sig.status} in ${run.name}:${sig.tag} (layer ${sig.layerDigest}) for ${attached.identity || 'an unknown identity'}${sig.logIndex ? `, Rekor log index ${sig.logIndex}` : ''}`,
  );
  for (const a of attached.attestations) info(`Attestation ${a.predicateType} ${a.status} in ${run.name}:${a.tag}`);
  for (const child of await run.platforms()) {
    const done = await attachKeylessLegacy(run.client, run.repo, child.digest, signer, []);
    info(
      `Platform ${child.platform ? formatPlatform(child.platform) : 'unknown'} ${child.digest}: signature ${done.signature.status} in ${run.name}:${done.signature.tag}`,
    );
  }
  setOutputs({
    digest: run.digest,
    sbom: run.sbom?.path ?? '',
    'sbom-digest': run.sbom?.digest ?? '',
    signature: `${run.name}:${sig.tag}`,
    attestations: attached.attestations.map((a) => ({
      predicateType: a.predicateType,
      digest: a.layerDigest,
      reference: `${run.name}:${a.tag}`,
      status: a.status,
    })),
    'certificate-identity': attached.identity,
    'rekor-log-index': sig.logIndex ?? '',
  });
  writeKeylessLegacySummary({ pinned: run.pinned, sbom: run.sbom, attached, issuer: run.issuer() });
  const files: SignedFile[] = [
    {
      kind: 'signature',
      payload: sig.layer.payload,
      signatureBase64: sig.layer.annotations[SIGNATURE_ANNOTATION] ?? '',
      certificate: sig.layer.annotations[CERTIFICATE_ANNOTATION],
    },
  ];
  const bundle = asBundle(sig.layer);
  if (bundle) files.push({ kind: 'bundle', role: 'signature', predicateType: COSIGN_SIGN_PREDICATE, json: bundle });
  for (const a of attached.attestations) {
    files.push({ kind: 'attestation', predicateType: a.predicateType, envelope: a.layer.payload });
    const b = asBundle(a.layer);
    if (b) files.push({ kind: 'bundle', role: 'attestation', predicateType: a.predicateType, json: b });
  }
  return files;
}
