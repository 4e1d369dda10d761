// What sbom-sign attaches to one image digest, in cosign's tag layout: the signature
// (`sha256-<hex>.sig`) and the in-toto attestations (`sha256-<hex>.att`), each written only when
// an equal one signed by the same key is not already there.
import type { KeyObject } from 'node:crypto';
import type { RepositoryRef } from '#shared/oci/client.js';
import {
  attestationLayer,
  type LegacyClient,
  type LegacyLayer,
  relateAttestation,
  sameSignature,
  signatureLayer,
  type WriteLayerResult,
  writeLegacyLayer,
} from '#shared/sigstore/cosign-legacy.js';
import type { Statement } from '#shared/sigstore/in-toto.js';

/** cosign names Docker Hub repositories by the index host in its claims. */
export function dockerReference(repo: RepositoryRef): string {
  const host = repo.registry === 'docker.io' ? 'index.docker.io' : repo.registry;
  return `${host}/${repo.repository}`;
}

export interface Attached {
  /** with the layer this run signed (for the workflow artifact) */
  signature?: WriteLayerResult & { layer: LegacyLayer };
  attestations: Array<WriteLayerResult & { predicateType: string; layer: LegacyLayer }>;
}

export async function attachLegacy(
  client: LegacyClient,
  repo: RepositoryRef,
  digest: string,
  key: KeyObject,
  privateKey: KeyObject,
  statements: readonly Statement[],
  options: { sign: boolean },
): Promise<Attached> {
  const attached: Attached = { attestations: [] };
  if (options.sign) {
    const layer = signatureLayer(dockerReference(repo), digest, privateKey);
    const written = await writeLegacyLayer(client, repo, digest, 'sig', layer, async (existing, payload) =>
      (await sameSignature(existing, payload, layer, key)) ? 'same' : 'other',
    );
    attached.signature = { ...written, layer };
  }
  for (const statement of statements) {
    const layer = attestationLayer(statement, privateKey);
    const written = await writeLegacyLayer(client, repo, digest, 'att', layer, (existing, payload) =>
      relateAttestation(existing, payload, { statement }, key),
    );
    attached.attestations.push({ ...written, predicateType: statement.predicateType, layer });
  }
  return attached;
}
