// Images for the promote tests, written straight over HTTP to an anonymous test registry, so
// that the fixtures do not depend on the client under test: a two-platform index with a
// referrer on one platform (referrers tag schema, as distribution 2.8 has no referrers API), a
// cosign-style `.sig` tag on the index, and single-platform images with a chosen creation time.
import { createHash, randomBytes } from 'node:crypto';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
const EMPTY_JSON = 'application/vnd.oci.empty.v1+json';

export interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
  artifactType?: string;
  annotations?: Record<string, string>;
}

export const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function ok(res: Response, what: string): Promise<Response> {
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
  return res;
}

export async function pushBlob(url: string, repo: string, bytes: Buffer, mediaType: string): Promise<Desc> {
  const digest = sha256(bytes);
  const start = await ok(
    await fetch(`${url}/v2/${repo}/blobs/uploads/`, { method: 'POST' }),
    `start upload to ${repo}`,
  );
  const location = new URL(start.headers.get('location') as string, url);
  location.searchParams.set('digest', digest);
  await ok(
    await fetch(location, {
      method: 'PUT',
      body: bytes,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) },
    }),
    `upload ${digest} to ${repo}`,
  );
  return { mediaType, digest, size: bytes.length };
}

export async function putManifest(
  url: string,
  repo: string,
  reference: string,
  json: object,
  mediaType: string,
): Promise<Desc> {
  const bytes = Buffer.from(JSON.stringify(json));
  await ok(
    await fetch(`${url}/v2/${repo}/manifests/${reference}`, {
      method: 'PUT',
      body: bytes,
      headers: { 'content-type': mediaType },
    }),
    `put manifest ${reference} to ${repo}`,
  );
  return { mediaType, digest: sha256(bytes), size: bytes.length };
}

/** The raw manifest bytes and the digest the registry reports, or null when the tag is absent. */
export async function getManifest(
  url: string,
  repo: string,
  reference: string,
): Promise<{ digest: string; bytes: Buffer } | null> {
  const res = await fetch(`${url}/v2/${repo}/manifests/${reference}`, {
    headers: { accept: [OCI_MANIFEST, OCI_INDEX].join(', ') },
  });
  if (res.status === 404) return null;
  await ok(res, `get manifest ${reference} from ${repo}`);
  return { digest: res.headers.get('docker-content-digest') as string, bytes: Buffer.from(await res.arrayBuffer()) };
}

export async function listTags(url: string, repo: string): Promise<string[]> {
  const res = await fetch(`${url}/v2/${repo}/tags/list`);
  if (res.status === 404) return [];
  const body = (await (await ok(res, `list tags of ${repo}`)).json()) as { tags: string[] | null };
  return (body.tags ?? []).sort();
}

export async function pushImage(
  url: string,
  repo: string,
  options: { arch?: string; created?: string; layerBytes?: number; layers?: number; tag?: string } = {},
): Promise<{ manifest: Desc; layers: Desc[]; config: Desc }> {
  const arch = options.arch ?? 'amd64';
  const layers: Desc[] = [];
  for (let i = 0; i < (options.layers ?? 1); i++) {
    layers.push(await pushBlob(url, repo, randomBytes(options.layerBytes ?? 4096), OCI_LAYER));
  }
  const configJson: Record<string, unknown> = {
    architecture: arch,
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    config: {},
  };
  if (options.created) configJson.created = options.created;
  const config = await pushBlob(url, repo, Buffer.from(JSON.stringify(configJson)), OCI_CONFIG);
  const manifest = await putManifest(
    url,
    repo,
    options.tag ?? sha256(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers }))),
    { schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers },
    OCI_MANIFEST,
  );
  return { manifest, layers, config };
}

/** An artifact attached to `subject`, recorded in the subject's referrers tag schema index. */
export async function attachReferrer(url: string, repo: string, subject: Desc, artifactType: string): Promise<Desc> {
  const empty = await pushBlob(url, repo, Buffer.from('{}'), EMPTY_JSON);
  const payload = await pushBlob(url, repo, randomBytes(256), 'application/octet-stream');
  const json = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType,
    config: empty,
    layers: [payload],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
  };
  const bytes = Buffer.from(JSON.stringify(json));
  const desc = await putManifest(url, repo, sha256(bytes), json, OCI_MANIFEST);
  const referrer = { ...desc, artifactType };
  await putManifest(
    url,
    repo,
    subject.digest.replace(':', '-'),
    { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [referrer] },
    OCI_INDEX,
  );
  return referrer;
}

/** A cosign-style simple-signing signature under the tag `sha256-<hex>.sig`. */
export async function attachCosignSignature(url: string, repo: string, subject: Desc): Promise<Desc> {
  const payload = Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': repo },
        image: { 'docker-manifest-digest': subject.digest },
        type: 'cosign container image signature',
      },
    }),
  );
  const layer = await pushBlob(url, repo, payload, 'application/vnd.dev.cosign.simplesigning.v1+json');
  const config = await pushBlob(
    url,
    repo,
    Buffer.from(
      JSON.stringify({ architecture: '', os: '', rootfs: { type: 'layers', diff_ids: [layer.digest] }, config: {} }),
    ),
    OCI_CONFIG,
  );
  return putManifest(
    url,
    repo,
    `${subject.digest.replace(':', '-')}.sig`,
    {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config,
      layers: [{ ...layer, annotations: { 'dev.cosignproject.cosign/signature': randomBytes(48).toString('base64') } }],
    },
    OCI_MANIFEST,
  );
}

export interface Fixture {
  index: Desc;
  platforms: Record<'amd64' | 'arm64', { manifest: Desc; layers: Desc[]; config: Desc }>;
  referrer: Desc;
  signature: Desc;
}

/** A two-platform index tagged `tag`, an SBOM-like referrer on arm64 and a `.sig` tag on the index. */
export async function pushFixture(
  url: string,
  repo: string,
  tag: string,
  created = '2025-01-01T00:00:00Z',
): Promise<Fixture> {
  const amd64 = await pushImage(url, repo, { arch: 'amd64', created });
  const arm64 = await pushImage(url, repo, { arch: 'arm64', created });
  const index = await putManifest(
    url,
    repo,
    tag,
    {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        { ...amd64.manifest, platform: { os: 'linux', architecture: 'amd64' } },
        { ...arm64.manifest, platform: { os: 'linux', architecture: 'arm64' } },
      ],
    },
    OCI_INDEX,
  );
  const referrer = await attachReferrer(url, repo, arm64.manifest, 'application/spdx+json');
  const signature = await attachCosignSignature(url, repo, index);
  return { index, platforms: { amd64, arm64 }, referrer, signature };
}
