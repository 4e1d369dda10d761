import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RepositoryRef } from '#shared/oci/client.js';
import {
  attestationLayer,
  relateAttestation,
  sameSignature,
  signatureLayer,
  verifyLegacyAttestations,
  verifyLegacySignatures,
  writeLegacyLayer,
} from '#shared/sigstore/cosign-legacy.js';
import { imageStatement } from '#shared/sigstore/in-toto.js';
import { MemoryRegistry, sha256 } from '../oci/memory-registry.js';

/** The memory registry with a blob store: what the cosign layout writes and reads. */
class BlobRegistry extends MemoryRegistry {
  readonly blobs = new Map<string, Buffer>();
  async pushBlobBytes(_repo: RepositoryRef, bytes: Buffer) {
    const digest = sha256(bytes);
    const existed = this.blobs.has(digest);
    this.blobs.set(digest, bytes);
    return { digest, size: bytes.length, transfer: existed ? ('existed' as const) : ('uploaded' as const) };
  }
  async getBlobBytes(_repo: RepositoryRef, digest: string) {
    const b = this.blobs.get(digest);
    if (!b) throw Object.assign(new Error(`blob ${digest} not found`), { status: 404 });
    return b;
  }
}

const repo = { registry: 'r.example', repository: 'app' };
const DIGEST = `sha256:${'1'.repeat(64)}`;
const OTHER = `sha256:${'2'.repeat(64)}`;
const key = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });

async function sign(reg: BlobRegistry, k: ReturnType<typeof key>) {
  const layer = signatureLayer('r.example/app', DIGEST, k.privateKey);
  return writeLegacyLayer(reg, repo, DIGEST, 'sig', layer, async (existing, payload) =>
    (await sameSignature(existing, payload, layer, k.publicKey)) ? 'same' : 'other',
  );
}

async function attest(
  reg: BlobRegistry,
  k: ReturnType<typeof key>,
  predicateType: string,
  predicate: unknown,
  subject = DIGEST,
) {
  const statement = imageStatement('r.example/app', subject, predicateType, predicate);
  return writeLegacyLayer(reg, repo, DIGEST, 'att', attestationLayer(statement, k.privateKey), (existing, payload) =>
    relateAttestation(existing, payload, { statement }, k.publicKey),
  );
}

describe('cosign legacy layout', () => {
  it('a signature is written once per key; other signers are kept', async () => {
    const reg = new BlobRegistry();
    const a = key();
    const b = key();
    expect((await sign(reg, a)).status).toBe('created');
    const again = await sign(reg, a);
    expect(again.status).toBe('unchanged');
    expect((await sign(reg, b)).status).toBe('added');
    const layers = JSON.parse(reg.manifests.get(reg.tagMap.get(again.tag)!)!.bytes.toString()).layers;
    expect(layers).toHaveLength(2);
    for (const k of [a, b]) {
      const { verdicts } = await verifyLegacySignatures(reg, repo, DIGEST, k.publicKey);
      expect(verdicts.filter((v) => v.valid)).toHaveLength(1);
    }
    const stranger = await verifyLegacySignatures(reg, repo, DIGEST, key().publicKey);
    expect(stranger.verdicts.map((v) => v.detail)).toEqual([
      'its signature does not verify with public-key',
      'its signature does not verify with public-key',
    ]);
    expect((await verifyLegacySignatures(reg, repo, OTHER, a.publicKey)).found).toBe(false);
  });

  it('an attestation replaces its own older one of the same type, keeps the rest, and skips an equal one', async () => {
    const reg = new BlobRegistry();
    const a = key();
    const b = key();
    expect((await attest(reg, a, 'https://spdx.dev/Document', { v: 1 })).status).toBe('created');
    expect((await attest(reg, a, 'https://spdx.dev/Document', { v: 1 })).status).toBe('unchanged');
    expect((await attest(reg, b, 'https://spdx.dev/Document', { v: 1 })).status).toBe('added');
    expect((await attest(reg, a, 'https://spdx.dev/Document', { v: 2 })).status).toBe('replaced');
    expect((await attest(reg, a, 'https://slsa.dev/provenance/v1', {})).status).toBe('added');
    const { verdicts } = await verifyLegacyAttestations(reg, repo, DIGEST, a.publicKey);
    expect(verdicts.map((v) => [v.predicateType, v.valid])).toEqual([
      ['https://spdx.dev/Document', false],
      ['https://spdx.dev/Document', true],
      ['https://slsa.dev/provenance/v1', true],
    ]);
  });

  it('refuses an attestation about another subject, and one whose annotation lies', async () => {
    const reg = new BlobRegistry();
    const a = key();
    await attest(reg, a, 'https://spdx.dev/Document', {}, OTHER);
    const lying = attestationLayer(
      imageStatement('r.example/app', DIGEST, 'https://example.com/scan', {}),
      a.privateKey,
    );
    lying.annotations.predicateType = 'https://slsa.dev/provenance/v1';
    await writeLegacyLayer(reg, repo, DIGEST, 'att', lying, async () => 'other');
    const { verdicts } = await verifyLegacyAttestations(reg, repo, DIGEST, a.publicKey);
    expect(verdicts.map((v) => v.detail)).toEqual([
      `its subject is not ${DIGEST}`,
      'its annotation says https://slsa.dev/provenance/v1 but it holds https://example.com/scan',
    ]);
  });
});
