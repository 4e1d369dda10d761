// SBOM documents as sbom-sign accepts them: SPDX 2.x JSON or CycloneDX JSON, checked against the
// declared format before anything is signed, and summarised (packages, top licences) for the job
// summary. A document that is not what it claims to be is refused: signing it would vouch for it.
import { PredicateType } from '#shared/sigstore/in-toto.js';

export const SBOM_FORMATS = ['spdx-json', 'cyclonedx-json'] as const;
export type SbomFormat = (typeof SBOM_FORMATS)[number];

export interface SbomInfo {
  format: SbomFormat;
  /** `SPDX-2.3`, `CycloneDX 1.6` */
  version: string;
  packages: number;
  /** licence ids by number of packages, most used first */
  topLicenses: Array<{ license: string; packages: number }>;
  /** the parsed document, which becomes the attestation predicate */
  document: Record<string, unknown>;
  predicateType: string;
}

/** Why a document is refused; the caller names the input. */
export class SbomError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SbomError';
  }
}

function detect(doc: Record<string, unknown>): SbomFormat | undefined {
  if (typeof doc.spdxVersion === 'string') return 'spdx-json';
  if (doc.bomFormat === 'CycloneDX') return 'cyclonedx-json';
  return undefined;
}

const NOT_LICENSES = new Set(['NOASSERTION', 'NONE', '']);

function countLicenses(perPackage: string[][]): Array<{ license: string; packages: number }> {
  const counts = new Map<string, number>();
  for (const licenses of perPackage) for (const l of new Set(licenses)) counts.set(l, (counts.get(l) ?? 0) + 1);
  return [...counts.entries()]
    .map(([license, packages]) => ({ license, packages }))
    .sort((a, b) => b.packages - a.packages || a.license.localeCompare(b.license));
}

function spdx(doc: Record<string, unknown>): Omit<SbomInfo, 'format' | 'document' | 'predicateType'> {
  const version = doc.spdxVersion as string;
  if (!/^SPDX-2\.\d+$/.test(version)) throw new SbomError(`is ${version}, not SPDX 2.x`);
  const missing = ['SPDXID', 'name', 'dataLicense', 'documentNamespace'].filter((k) => typeof doc[k] !== 'string');
  const creation = doc.creationInfo as { created?: unknown } | undefined;
  if (typeof creation?.created !== 'string') missing.push('creationInfo.created');
  if (missing.length) throw new SbomError(`is not a complete SPDX document (missing ${missing.join(', ')})`);
  if (doc.packages !== undefined && !Array.isArray(doc.packages))
    throw new SbomError('has a packages field that is not a list');
  const packages = (doc.packages ?? []) as Array<Record<string, unknown>>;
  const licenses = packages.map((p) => {
    const out: string[] = [];
    for (const field of ['licenseConcluded', 'licenseDeclared']) {
      const v = p?.[field];
      if (typeof v === 'string' && !NOT_LICENSES.has(v)) out.push(v);
    }
    return out;
  });
  return { version, packages: packages.length, topLicenses: countLicenses(licenses) };
}

function cyclonedx(doc: Record<string, unknown>): Omit<SbomInfo, 'format' | 'document' | 'predicateType'> {
  const spec = doc.specVersion;
  if (typeof spec !== 'string' || !/^1\.\d+$/.test(spec)) {
    throw new SbomError(`has specVersion ${JSON.stringify(spec ?? null)}, not a CycloneDX 1.x version`);
  }
  if (doc.components !== undefined && !Array.isArray(doc.components)) {
    throw new SbomError('has a components field that is not a list');
  }
  const all: Array<Record<string, unknown>> = [];
  const walk = (items: unknown, depth: number) => {
    if (!Array.isArray(items) || depth > 64) return;
    for (const c of items) {
      if (!c || typeof c !== 'object') continue;
      all.push(c as Record<string, unknown>);
      walk((c as { components?: unknown }).components, depth + 1);
    }
  };
  walk(doc.components, 0);
  const licenses = all.map((c) => {
    const out: string[] = [];
    for (const entry of Array.isArray(c.licenses) ? c.licenses : []) {
      const e = entry as { license?: { id?: unknown; name?: unknown }; expression?: unknown };
      const value = e?.license?.id ?? e?.license?.name ?? e?.expression;
      if (typeof value === 'string' && !NOT_LICENSES.has(value)) out.push(value);
    }
    return out;
  });
  return { version: `CycloneDX ${spec}`, packages: all.length, topLicenses: countLicenses(licenses) };
}

/** Parses and checks an SBOM of the declared format. */
export function parseSbom(bytes: Buffer, declared: SbomFormat): SbomInfo {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new SbomError(`is not JSON (${(err as Error).message.split('\n')[0]})`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new SbomError('is not a JSON object');
  const record = doc as Record<string, unknown>;
  const found = detect(record);
  if (!found) throw new SbomError('is neither SPDX (no spdxVersion) nor CycloneDX (no bomFormat: CycloneDX)');
  if (found !== declared) {
    throw new SbomError(
      `is ${found === 'spdx-json' ? 'SPDX' : 'CycloneDX'} but sbom-format is ${declared} (set sbom-format: ${found})`,
    );
  }
  const info = found === 'spdx-json' ? spdx(record) : cyclonedx(record);
  return {
    ...info,
    format: found,
    document: record,
    predicateType: found === 'spdx-json' ? PredicateType.spdx : PredicateType.cyclonedx,
  };
}
