// The files of `upload-artifact: true`: the SBOM and what was signed, each in the form cosign's
// own output options write it, so they can be checked away from the registry: Sigstore bundles
// (`*.sigstore.json`, keyless) or the simple-signing payload with its base64 signature and the
// DSSE envelopes of the attestations (key-based, legacy layout).
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { PredicateType } from '#shared/sigstore/in-toto.js';

/** One signed thing to keep: a bundle, or a legacy signature/attestation. */
export type SignedFile =
  | { kind: 'bundle'; role: 'signature' | 'attestation'; predicateType: string; json: unknown }
  | { kind: 'signature'; payload: Buffer; signatureBase64: string; certificate?: string | undefined }
  | { kind: 'attestation'; predicateType: string; envelope: Buffer };

const SLUGS: Record<string, string> = {
  [PredicateType.spdx]: 'spdx',
  [PredicateType.cyclonedx]: 'cyclonedx',
  [PredicateType.slsaProvenance]: 'slsa-provenance',
  [PredicateType.vuln]: 'vuln',
};

/** A file-name part for a predicate type (foreign URIs reduced to safe characters). */
export function predicateSlug(type: string): string {
  return (
    SLUGS[type] ??
    (type
      .replace(/^[a-z]+:\/\//i, '')
      .replace(/[^A-Za-z0-9.-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) ||
      'predicate')
  );
}

/** Writes the files into `dir` (created) and returns their paths, the SBOM first. */
export async function writeArtifactFiles(
  dir: string,
  sbomPath: string | undefined,
  signed: readonly SignedFile[],
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  const put = async (name: string, data: string | Buffer) => {
    const path = join(dir, name);
    await writeFile(path, data);
    files.push(path);
  };
  if (sbomPath) {
    const path = join(dir, basename(sbomPath));
    await copyFile(sbomPath, path);
    files.push(path);
  }
  // bundles and envelopes are numbered apart: a keyless legacy attestation has one of each
  let bundles = 0;
  let envelopes = 0;
  for (const s of signed) {
    if (s.kind === 'bundle') {
      const name =
        s.role === 'signature'
          ? 'signature.sigstore.json'
          : `attestation-${++bundles}-${predicateSlug(s.predicateType)}.sigstore.json`;
      await put(name, `${JSON.stringify(s.json)}\n`);
    } else if (s.kind === 'signature') {
      await put('signature.payload.json', s.payload);
      await put('signature.sig', s.signatureBase64);
      if (s.certificate) await put('signature.pem', s.certificate);
    } else {
      await put(`attestation-${++envelopes}-${predicateSlug(s.predicateType)}.dsse.json`, s.envelope);
    }
  }
  return files;
}
