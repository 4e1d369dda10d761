// Bake definitions for docker/bake-action: the files docker/metadata-action writes, with the same
// shape (`{"target": {"<bake-target>": {...}}}`), so that `files: cwd://${{ steps.meta.outputs.bake-file }}`
// keeps working. A bake file that inherits from the target gets the tags, labels or annotations.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type BakeKind = 'tags' | 'labels' | 'annotations' | 'tags-labels';

export interface BakeSource {
  tags: readonly string[];
  version: string;
  /** image names as written (`name/app`) */
  images: readonly string[];
  labels: Readonly<Record<string, string>>;
  /** `level:key=value` */
  annotations: readonly string[];
}

type Definition = { target: Record<string, Record<string, unknown>> };

function args(source: BakeSource): Record<string, string> {
  // an empty version is left out, as metadata-action leaves its undefined version out
  return {
    DOCKER_META_IMAGES: source.images.join(','),
    ...(source.version ? { DOCKER_META_VERSION: source.version } : {}),
  };
}

export function bakeDefinition(kind: BakeKind, source: BakeSource, target: string): Definition {
  let body: Record<string, unknown>;
  switch (kind) {
    case 'tags':
      body = { tags: [...source.tags], args: args(source) };
      break;
    case 'labels':
      body = { labels: { ...source.labels } };
      break;
    case 'annotations':
      body = { annotations: [...source.annotations] };
      break;
    case 'tags-labels':
      body = { tags: [...source.tags], labels: { ...source.labels }, args: args(source) };
      break;
  }
  return { target: { [target]: body } };
}

const FILE_NAMES: Record<BakeKind, string> = {
  tags: 'bake-tags.json',
  labels: 'bake-labels.json',
  annotations: 'bake-annotations.json',
  'tags-labels': 'bake.json',
};

/**
 * Writes the four bake files into a new folder under `parent` (the runner's temporary folder),
 * one folder per step so that two compute-tags steps of a job never share a file.
 */
export function writeBakeFiles(parent: string, source: BakeSource, target: string): Record<BakeKind, string> {
  const dir = mkdtempSync(join(parent, 'compute-tags-'));
  const paths = {} as Record<BakeKind, string>;
  for (const kind of Object.keys(FILE_NAMES) as BakeKind[]) {
    const path = join(dir, FILE_NAMES[kind]);
    writeFileSync(path, JSON.stringify(bakeDefinition(kind, source, target), null, 2));
    paths[kind] = path;
  }
  return paths;
}
