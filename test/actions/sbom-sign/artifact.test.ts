import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { predicateSlug, writeArtifactFiles } from '../../../actions/sbom-sign/src/artifact.js';

describe('predicateSlug', () => {
  it.each([
    ['https://spdx.dev/Document', 'spdx'],
    ['https://cyclonedx.org/bom', 'cyclonedx'],
    ['https://slsa.dev/provenance/v1', 'slsa-provenance'],
    ['https://cosign.sigstore.dev/attestation/vuln/v1', 'vuln'],
    ['https://example.com/custom/v2', 'example.com-custom-v2'],
    ['../../etc/passwd', '..-..-etc-passwd'],
    ['///', 'predicate'],
  ])('%s -> %s', (type, slug) => {
    expect(predicateSlug(type)).toBe(slug);
  });
});

describe('writeArtifactFiles', () => {
  it('writes the SBOM first, then the signed files, numbered per attestation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sbom-artifact-'));
    const sbom = join(dir, 'sbom.cdx.json');
    writeFileSync(sbom, '{"bomFormat":"CycloneDX"}');
    const files = await writeArtifactFiles(join(dir, 'out'), sbom, [
      { kind: 'bundle', role: 'signature', predicateType: 'https://sigstore.dev/cosign/sign/v1', json: { a: 1 } },
      { kind: 'bundle', role: 'attestation', predicateType: 'https://cyclonedx.org/bom', json: { b: 2 } },
      { kind: 'bundle', role: 'attestation', predicateType: 'https://slsa.dev/provenance/v1', json: { c: 3 } },
    ]);
    expect(files.map((f) => basename(f))).toEqual([
      'sbom.cdx.json',
      'signature.sigstore.json',
      'attestation-1-cyclonedx.sigstore.json',
      'attestation-2-slsa-provenance.sigstore.json',
    ]);
    expect(readFileSync(files[2] as string, 'utf8')).toBe('{"b":2}\n');
  });
});
