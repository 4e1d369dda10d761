// Descriptors read from manifest JSON (index entries, referrers, layers): what a descriptor must
// have, and its media type, artifact type and platform held to their grammar. Light on purpose:
// modules that only read descriptors import this without loading the registry client.
import type { Descriptor, ManifestResult } from './client.js';
import { checkedPlatform, InvalidContentError, isMediaType, quoteForeign } from './grammar.js';

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

/**
 * A descriptor from manifest JSON, or undefined when the entry lacks what a descriptor must have.
 * A media type, artifact type or platform that breaks its grammar is an InvalidContentError:
 * those strings reach logs, decisions and new manifests, and a plan must not skip the entry.
 */
export function toDescriptor(value: unknown): Descriptor | undefined {
  const v = value as Record<string, unknown> | null;
  if (!v || typeof v !== 'object') return undefined;
  if (typeof v.mediaType !== 'string' || typeof v.digest !== 'string' || typeof v.size !== 'number') return undefined;
  const where = `descriptor ${quoteForeign(v.digest)}`;
  if (!isMediaType(v.mediaType)) {
    throw new InvalidContentError(where, `its mediaType ${quoteForeign(v.mediaType)} is not a media type`);
  }
  const d: Descriptor = { mediaType: v.mediaType, digest: v.digest, size: v.size };
  const annotations = stringRecord(v.annotations);
  if (annotations) d.annotations = annotations;
  if (typeof v.artifactType === 'string' && v.artifactType !== '') {
    if (!isMediaType(v.artifactType)) {
      throw new InvalidContentError(where, `its artifactType ${quoteForeign(v.artifactType)} is not a media type`);
    }
    d.artifactType = v.artifactType;
  }
  const p = v.platform as Record<string, unknown> | undefined;
  if (p && typeof p === 'object' && typeof p.os === 'string' && typeof p.architecture === 'string') {
    d.platform = checkedPlatform(p, where);
  }
  return d;
}

/** The entries of an index (OCI index or Docker manifest list) with their platforms; [] for a single manifest. */
export function indexManifests(manifest: Pick<ManifestResult, 'json'>): Descriptor[] {
  const list = (manifest.json as { manifests?: unknown })?.manifests;
  if (!Array.isArray(list)) return [];
  return list.map(toDescriptor).filter((d): d is Descriptor => d !== undefined);
}
