// Writing cosign's `sha256-<hex>.sig` / `.att` / `.sbom` tags at a target that may already have
// its own. The target's tag can hold signatures made there (a production key), so a copy never
// replaces it: `.sig` and `.att` are merged as cosign merges them (one layer per signature or
// attestation, the signatures of both sides, each once), and any other different tag (an `.sbom`,
// which cosign replaces instead of appending to, or a manifest that is not cosign's layout) is
// left as it is and reported.
import { Readable } from 'node:stream';
import type { Descriptor, ManifestResult, RegistryClient, RepositoryRef } from './client.js';
import { digestOf } from './digest.js';
import { type CosignTagKind, isNotFound } from './referrers.js';

export type CosignTagAction = 'created' | 'unchanged' | 'merged' | 'kept';

export interface CosignTagOutcome {
  tag: string;
  action: CosignTagAction;
  /** the digest the tag points at afterwards */
  digest: string;
  /** for 'merged': signatures added; for 'kept': why the target's tag was left alone */
  detail?: string;
}

export type CosignTagClient = Pick<RegistryClient, 'getManifest' | 'putManifest' | 'getBlobBytes' | 'pushBlob'>;

// biome-ignore lint/suspicious/noExplicitAny: manifests are arbitrary JSON documents
type Json = any;

/** Two layers are the same signature when digest and annotations (the signature itself, certificate, bundle) agree. */
function layerKey(d: Descriptor): string {
  const annotations = d.annotations ?? {};
  const sorted = Object.keys(annotations)
    .sort()
    .map((k) => [k, annotations[k]]);
  return `${d.digest} ${JSON.stringify(sorted)}`;
}

function layersOf(json: Json): Descriptor[] | undefined {
  if (!json || typeof json !== 'object' || !Array.isArray(json.layers) || !json.config?.digest) return undefined;
  return json.layers as Descriptor[];
}

/**
 * The target's manifest with the source's layers appended (those it lacks), or undefined when
 * the two cannot be merged (not both cosign-style image manifests of the same media type).
 */
export function mergeCosignLayers(
  target: Pick<ManifestResult, 'mediaType' | 'json'>,
  source: Pick<ManifestResult, 'mediaType' | 'json'>,
): { json: Json; added: Descriptor[] } | undefined {
  const have = layersOf(target.json);
  const extra = layersOf(source.json);
  if (!have || !extra || target.mediaType !== source.mediaType) return undefined;
  const keys = new Set(have.map(layerKey));
  const added: Descriptor[] = [];
  for (const l of extra) {
    const key = layerKey(l);
    if (keys.has(key)) continue;
    keys.add(key);
    added.push(l);
  }
  return { json: { ...target.json, layers: [...have, ...added] }, added };
}

/** cosign's signature image config lists one diff_id (and one history entry) per layer: keep it consistent. */
export function mergedConfig(config: Json, layers: readonly Descriptor[]): Json {
  const out = { ...config };
  if (out.rootfs && typeof out.rootfs === 'object') {
    out.rootfs = { ...out.rootfs, diff_ids: layers.map((l) => l.digest) };
  }
  if (Array.isArray(out.history) && out.history.length > 0 && out.history.length < layers.length) {
    const last = out.history[out.history.length - 1];
    out.history = [...out.history, ...Array.from({ length: layers.length - out.history.length }, () => ({ ...last }))];
  }
  return out;
}

/**
 * Points `tag` at the target at the source's cosign artifact, or merges it into what the tag
 * already holds. The source artifact and its blobs must already be at the target (the graph copy
 * puts them there by digest first).
 */
export async function writeCosignTag(
  client: CosignTagClient,
  repo: RepositoryRef,
  tag: string,
  kind: CosignTagKind,
  source: Pick<ManifestResult, 'digest' | 'mediaType' | 'bytes' | 'json'>,
): Promise<CosignTagOutcome> {
  let current: ManifestResult | null = null;
  try {
    current = await client.getManifest(repo, tag);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!current) {
    await client.putManifest(repo, tag, source.bytes, source.mediaType);
    return { tag, action: 'created', digest: source.digest };
  }
  if (current.digest === source.digest) return { tag, action: 'unchanged', digest: current.digest };
  if (kind === 'sbom') {
    return {
      tag,
      action: 'kept',
      digest: current.digest,
      detail: `the target has its own SBOM under ${tag} (${current.digest}); cosign replaces rather than merges SBOMs, so it was left as it is`,
    };
  }
  const merged = mergeCosignLayers(current, source);
  if (!merged) {
    return {
      tag,
      action: 'kept',
      digest: current.digest,
      detail: `the target's ${tag} (${current.digest}, ${current.mediaType}) is not a cosign ${kind} manifest that the source's (${source.mediaType}) can be merged into, so it was left as it is`,
    };
  }
  if (merged.added.length === 0) return { tag, action: 'unchanged', digest: current.digest };
  const json = merged.json;
  const configDesc = json.config as Descriptor;
  const config = JSON.parse((await client.getBlobBytes(repo, configDesc.digest, 1 << 20)).toString('utf8'));
  const configBytes = Buffer.from(JSON.stringify(mergedConfig(config, json.layers)));
  const configDigest = digestOf(configBytes);
  await client.pushBlob(repo, { digest: configDigest, size: configBytes.length }, () => Readable.from([configBytes]));
  json.config = { ...configDesc, digest: configDigest, size: configBytes.length };
  const bytes = Buffer.from(JSON.stringify(json));
  const put = await client.putManifest(repo, tag, bytes, current.mediaType);
  const noun = kind === 'sig' ? 'signature' : 'attestation';
  return {
    tag,
    action: 'merged',
    digest: put.digest,
    detail: `${merged.added.length} ${noun}(s) of the source added to the target's ${json.layers.length - merged.added.length}`,
  };
}
