// Test helper: Trivy database artifacts as Trivy publishes them (an OCI manifest with a
// `application/vnd.aquasec.trivy.config.v1+json` config and one gzip'd tar layer of the
// database media type), built with the system tar and pushed with the project's registry client.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from '#shared/oci/client.js';
import { DB_LAYER_MEDIA_TYPE, JAVA_DB_LAYER_MEDIA_TYPE } from '#shared/trivy/db.js';

export interface PushedDb {
  reference: string;
  digest: string;
  layerDigest: string;
  layerBytes: Buffer;
  dbBytes: Buffer;
}

/** A database layer: trivy.db (or trivy-java.db) of `size` bytes and metadata.json. */
export function dbLayer(kind: 'db' | 'java-db', size: number, seed = 'x'): { layer: Buffer; db: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'trivy-db-'));
  const db = Buffer.alloc(size);
  // incompressible enough to stay about `size` on the wire, and different per seed
  let x = [...seed].reduce((a, c) => a * 31 + c.charCodeAt(0), 7) >>> 0;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    db[i] = x >>> 24;
  }
  const name = kind === 'db' ? 'trivy.db' : 'trivy-java.db';
  writeFileSync(join(dir, name), db);
  writeFileSync(
    join(dir, 'metadata.json'),
    JSON.stringify({
      Version: kind === 'db' ? 2 : 1,
      NextUpdate: '2026-12-06T12:00:00Z',
      UpdatedAt: '2026-12-06T06:00:00Z',
      DownloadedAt: '0001-01-01T00:00:00Z',
    }),
  );
  execFileSync('tar', ['-czf', join(dir, 'layer.tar.gz'), '-C', dir, name, 'metadata.json']);
  return { layer: readFileSync(join(dir, 'layer.tar.gz')), db };
}

export async function pushDb(
  registryHost: string,
  repository: string,
  tag: string,
  kind: 'db' | 'java-db' = 'db',
  size = 4096,
  seed = 'x',
  user?: { username: string; password: string },
): Promise<PushedDb> {
  const client = new RegistryClient({ credentials: async () => user });
  const repo = { registry: registryHost, repository };
  const { layer, db } = dbLayer(kind, size, seed);
  const config = Buffer.from('{}');
  const c = await client.pushBlobBytes(repo, config);
  const l = await client.pushBlobBytes(repo, layer);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.aquasec.trivy.config.v1+json', digest: c.digest, size: c.size },
      layers: [
        {
          mediaType: kind === 'db' ? DB_LAYER_MEDIA_TYPE : JAVA_DB_LAYER_MEDIA_TYPE,
          digest: l.digest,
          size: l.size,
          annotations: { 'org.opencontainers.image.title': 'db.tar.gz' },
        },
      ],
      annotations: { 'org.opencontainers.image.created': '2026-12-06T06:12:00Z' },
    }),
  );
  const { digest } = await client.putManifest(repo, tag, manifest, 'application/vnd.oci.image.manifest.v1+json');
  await client.close();
  return {
    reference: `${registryHost}/${repository}:${tag}`,
    digest,
    layerDigest: l.digest,
    layerBytes: layer,
    dbBytes: db,
  };
}
