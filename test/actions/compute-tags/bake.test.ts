import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BakeKind, bakeDefinition, writeBakeFiles } from '../../../actions/compute-tags/src/bake.js';

const SOURCE = {
  tags: ['name/app:1.2.3', 'ghcr.io/name/app:1.2.3'],
  version: '1.2.3',
  images: ['name/app', 'ghcr.io/name/app'],
  labels: { 'org.opencontainers.image.version': '1.2.3' },
  annotations: ['index:org.opencontainers.image.version=1.2.3'],
};
const ARGS = { DOCKER_META_IMAGES: 'name/app,ghcr.io/name/app', DOCKER_META_VERSION: '1.2.3' };

describe('bakeDefinition', () => {
  it.each<[BakeKind, object]>([
    ['tags', { tags: SOURCE.tags, args: ARGS }],
    ['labels', { labels: SOURCE.labels }],
    ['annotations', { annotations: SOURCE.annotations }],
    ['tags-labels', { tags: SOURCE.tags, labels: SOURCE.labels, args: ARGS }],
  ])('%s', (kind, body) => {
    expect(bakeDefinition(kind, SOURCE, 'meta')).toEqual({ target: { meta: body } });
  });

  it('leaves DOCKER_META_VERSION out when there is no version', () => {
    expect(bakeDefinition('tags', { ...SOURCE, tags: [], version: '' }, 't')).toEqual({
      target: { t: { tags: [], args: { DOCKER_META_IMAGES: 'name/app,ghcr.io/name/app' } } },
    });
  });
});

describe('writeBakeFiles', () => {
  it('writes four files into a new folder per call', () => {
    const a = writeBakeFiles(tmpdir(), SOURCE, 'meta');
    const b = writeBakeFiles(tmpdir(), SOURCE, 'meta');
    try {
      expect(dirname(a.tags)).not.toBe(dirname(b.tags));
      expect(Object.keys(a).sort()).toEqual(['annotations', 'labels', 'tags', 'tags-labels']);
      for (const kind of Object.keys(a) as BakeKind[]) {
        expect(JSON.parse(readFileSync(a[kind], 'utf8'))).toEqual(bakeDefinition(kind, SOURCE, 'meta'));
      }
    } finally {
      rmSync(dirname(a.tags), { recursive: true, force: true });
      rmSync(dirname(b.tags), { recursive: true, force: true });
    }
  });
});
