// Sigstore bundles stored as OCI 1.1 referrers of the image, the layout cosign v3 writes: an
// artifact manifest with artifactType `application/vnd.dev.sigstore.bundle.v0.3+json`, the empty
// config, the bundle as its one layer and the image as its subject. Registries without the
// referrers API get the referrers tag schema (`sha256-<hex>` index) instead.
import type { Descriptor, RegistryClient, RepositoryRef } from '../oci/client.js';
import { EMPTY_JSON, MediaType } from '../oci/media-types.js';
import { pushManifestWithSubject } from '../oci/referrers.js';
import { BUNDLE_V03_MEDIA_TYPE } from './keyless.js';

export const BUNDLE_CONTENT_ANNOTATION = 'dev.sigstore.bundle.content';
export const BUNDLE_PREDICATE_ANNOTATION = 'dev.sigstore.bundle.predicateType';
/** what cosign v3 signs for an image signature: an in-toto statement of this predicate type */
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';

export type BundleClient = Pick<RegistryClient, 'getManifest' | 'putManifest' | 'pushBlobBytes' | 'referrersApi'>;

export interface PushedBundle {
  /** digest of the referrer manifest */
  digest: string;
  /** where the referrer is listed: the referrers API, or the fallback tag */
  listedBy: 'referrers-api' | string;
}

export async function pushBundleReferrer(
  client: BundleClient,
  repo: RepositoryRef,
  subject: Descriptor,
  bundle: object,
  predicateType: string,
): Promise<PushedBundle> {
  await client.pushBlobBytes(repo, EMPTY_JSON.bytes);
  const layer = await client.pushBlobBytes(repo, Buffer.from(JSON.stringify(bundle)));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      artifactType: BUNDLE_V03_MEDIA_TYPE,
      config: { mediaType: MediaType.OciEmptyJson, digest: EMPTY_JSON.digest, size: EMPTY_JSON.size },
      layers: [{ mediaType: BUNDLE_V03_MEDIA_TYPE, digest: layer.digest, size: layer.size }],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      annotations: {
        [BUNDLE_CONTENT_ANNOTATION]: 'dsse-envelope',
        [BUNDLE_PREDICATE_ANNOTATION]: predicateType,
      },
    }),
  );
  const pushed = await pushManifestWithSubject(client, repo, { bytes: manifest, mediaType: MediaType.OciManifest });
  return { digest: pushed.digest, listedBy: pushed.fallbackTag ?? 'referrers-api' };
}
