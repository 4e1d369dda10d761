// Real images for the graph and copy integration tests: a two-platform OCI index built with
// buildah (amd64 + arm64, FROM scratch with a static busybox, no RUN so no emulation is needed),
// and artifacts attached the two ways real registries hold them: OCI referrers with `subject`
// (through the `sha256-<hex>` tag schema on distribution 2.8, which ignores subject) and
// cosign-style `sha256-<hex>.sig` tags.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Descriptor, RegistryClient, RepositoryRef } from '#shared/oci/client.js';
import { cosignTag, pushManifestWithSubject } from '#shared/oci/referrers.js';
import { runCommand } from '#shared/exec.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const SPDX = 'application/spdx+json';
const EMPTY = 'application/vnd.oci.empty.v1+json';

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Builds the two-platform index with buildah and pushes it to `host/repository:tag`. */
export async function buildMultiPlatform(
  host: string,
  repository: string,
  tag: string,
  busybox: string,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'buildah-'));
  const b = ['--storage-driver', 'vfs', '--root', join(dir, 'root'), '--runroot', join(dir, 'run')];
  const buildah = (args: string[]) => runCommand('buildah', [...b, ...args], { timeoutMs: 120_000 });
  try {
    for (const arch of ['amd64', 'arm64']) {
      const ctr = (await buildah(['from', '--arch', arch, 'scratch'])).stdout.trim();
      await buildah(['copy', ctr, busybox, '/bin/busybox']);
      await buildah(['config', '--cmd', '["/bin/busybox","true"]', '--label', `arch=${arch}`, ctr]);
      await buildah(['commit', '-q', '--format', 'oci', ctr, `img-${arch}`]);
    }
    await buildah(['manifest', 'create', 'list']);
    await buildah(['manifest', 'add', 'list', 'img-amd64']);
    await buildah(['manifest', 'add', 'list', 'img-arm64']);
    await buildah([
      'manifest',
      'push',
      '-q',
      '--all',
      '--format',
      'oci',
      '--tls-verify=false',
      'list',
      `docker://${host}/${repository}:${tag}`,
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Pushes an artifact manifest with `subject` (and its blobs); returns its descriptor. */
export async function attachReferrer(
  client: RegistryClient,
  repo: RepositoryRef,
  subject: Descriptor,
  artifactType: string,
  content: string,
): Promise<Descriptor> {
  const empty = await client.pushBlobBytes(repo, Buffer.from('{}'));
  const layer = await client.pushBlobBytes(repo, Buffer.from(content));
  const json = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType,
    config: { mediaType: EMPTY, digest: empty.digest, size: empty.size },
    layers: [{ mediaType: artifactType, digest: layer.digest, size: layer.size }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations: { 'org.opencontainers.image.created': '2026-11-20T10:00:00Z' },
  };
  const bytes = Buffer.from(JSON.stringify(json));
  const r = await pushManifestWithSubject(client, repo, { bytes, mediaType: OCI_MANIFEST });
  return { mediaType: OCI_MANIFEST, digest: r.digest, size: bytes.length, artifactType };
}

/** Pushes a cosign-style simple-signing signature under `sha256-<hex>.sig`; returns its digest. */
export async function attachCosignSignature(
  client: RegistryClient,
  repo: RepositoryRef,
  subject: string,
): Promise<string> {
  const payload = Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': repo.repository },
        image: { 'docker-manifest-digest': subject },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );
  const layer = await client.pushBlobBytes(repo, payload);
  const config = await client.pushBlobBytes(
    repo,
    Buffer.from(
      JSON.stringify({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: [layer.digest] } }),
    ),
  );
  const json = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.size },
    layers: [
      {
        mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
        digest: layer.digest,
        size: layer.size,
        annotations: { 'dev.cosignproject.cosign/signature': Buffer.from(`sig of ${subject}`).toString('base64') },
      },
    ],
  };
  const bytes = Buffer.from(JSON.stringify(json));
  return (await client.putManifest(repo, cosignTag(subject, 'sig'), bytes, OCI_MANIFEST)).digest;
}

export interface AttachedImage {
  index: Descriptor;
  amd64: Descriptor;
  arm64: Descriptor;
  /** sigstore bundle referrer of the index */
  indexBundle: Descriptor;
  /** SBOM referrer of the amd64 child, and a bundle signing that SBOM (a referrer of a referrer) */
  amd64Sbom: Descriptor;
  sbomBundle: Descriptor;
  /** cosign `.sig` manifests of the index and of the amd64 child */
  indexSig: string;
  amd64Sig: string;
}

/** Builds the index and attaches every kind of artifact the graph knows. */
export async function buildAttachedImage(
  client: RegistryClient,
  host: string,
  repository: string,
  tag: string,
  busybox: string,
): Promise<AttachedImage> {
  await buildMultiPlatform(host, repository, tag, busybox);
  const repo = { registry: host, repository };
  const root = await client.getManifest(repo, tag);
  const index: Descriptor = { mediaType: root.mediaType, digest: root.digest, size: root.bytes.length };
  const child = (arch: string) => {
    const d = (root.json.manifests as Descriptor[]).find((m) => m.platform?.architecture === arch)!;
    return { mediaType: d.mediaType, digest: d.digest, size: d.size };
  };
  const amd64 = child('amd64');
  const arm64 = child('arm64');
  const indexBundle = await attachReferrer(client, repo, index, BUNDLE, `bundle for ${index.digest}`);
  const amd64Sbom = await attachReferrer(
    client,
    repo,
    amd64,
    SPDX,
    `{"spdxVersion":"SPDX-2.3","name":"${amd64.digest}"}`,
  );
  const sbomBundle = await attachReferrer(client, repo, amd64Sbom, BUNDLE, `bundle for ${amd64Sbom.digest}`);
  const indexSig = await attachCosignSignature(client, repo, index.digest);
  const amd64Sig = await attachCosignSignature(client, repo, amd64.digest);
  return { index, amd64, arm64, indexBundle, amd64Sbom, sbomBundle, indexSig, amd64Sig };
}

/** The digest of what skopeo reads at a reference (sha256 of `skopeo inspect --raw`). */
export async function skopeoDigest(
  skopeo: string,
  ref: string,
  creds?: { username: string; password: string },
): Promise<string> {
  const args = ['inspect', '--raw', '--tls-verify=false'];
  if (creds) args.push('--creds', `${creds.username}:${creds.password}`);
  const r = await runCommand(skopeo, [...args, `docker://${ref}`], { timeoutMs: 60_000 });
  return sha256(Buffer.from(r.stdout, 'utf8'));
}

/** Counts the registry's access-log lines matching a pattern. */
export async function countLogLines(logFile: string, pattern: RegExp): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(logFile, 'utf8');
  return text.split('\n').filter((l) => pattern.test(l)).length;
}
