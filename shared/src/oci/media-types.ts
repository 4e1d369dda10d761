// Media types of the OCI image spec and Docker's image formats that the registry client and the
// graph code recognise, and the Accept list sent for manifests so that a registry hands back
// whatever it stores byte for byte instead of converting it.

export const MediaType = {
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  OciLayer: 'application/vnd.oci.image.layer.v1.tar',
  OciLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OciLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  OciEmptyJson: 'application/vnd.oci.empty.v1+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  DockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  /** schema 1 (signed) manifests: recognised so they can be named in errors, never produced */
  DockerManifestV1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  DockerManifestV1: 'application/vnd.docker.distribution.manifest.v1+json',
} as const;

/** The digest and size of the OCI empty JSON blob `{}`, used as the config of artifacts. */
export const EMPTY_JSON = {
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
  bytes: Buffer.from('{}'),
} as const;

export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MediaType.OciIndex,
  MediaType.OciManifest,
  MediaType.DockerManifestList,
  MediaType.DockerManifest,
];

/** Every manifest type we can handle, most capable first; schema 1 is deliberately left out. */
export const MANIFEST_ACCEPT: string = MANIFEST_MEDIA_TYPES.join(', ');

function bare(mt: string): string {
  return (mt.split(';')[0] ?? '').trim().toLowerCase();
}

export function isIndexMediaType(mt: string): boolean {
  const m = bare(mt);
  return m === MediaType.OciIndex || m === MediaType.DockerManifestList;
}

export function isImageManifestMediaType(mt: string): boolean {
  const m = bare(mt);
  return m === MediaType.OciManifest || m === MediaType.DockerManifest;
}

export function isManifestMediaType(mt: string): boolean {
  return MANIFEST_MEDIA_TYPES.includes(bare(mt));
}

/** The media type without parameters (`; charset=utf-8`) and in lower case. */
export function bareMediaType(mt: string): string {
  return bare(mt);
}
