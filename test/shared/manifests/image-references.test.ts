import { mkdtempSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  expandFileGlobs,
  findImageReferences,
  findRepositoryMentions,
  scanImageReferences,
} from '#shared/manifests/image-references.js';

const fixtures = join(import.meta.dirname, '../../fixtures/gitops');
const read = (f: string) => readFileSync(join(fixtures, f), 'utf8');
const brief = (f: string) =>
  findImageReferences(read(f), f).references.map((r) => [
    r.kind,
    r.line,
    `${r.registry}/${r.repository}`,
    r.tag ?? null,
    r.digest ?? null,
  ]);

describe('findImageReferences on real files', () => {
  it('Helm values: image.repository/tag and the redis block', () => {
    expect(brief('helm-values-podinfo.yaml')).toEqual([
      ['helm-values', 11, 'ghcr.io/stefanprodan/podinfo', '6.14.1', null],
      ['helm-values', 174, 'docker.io/library/redis', '8.8.0', null],
    ]);
  });

  it('Kustomize images with newName/newTag', () => {
    expect(brief('kustomization-argocd-ha-base.yaml')).toEqual([
      ['kustomize-images', 13, 'quay.io/argoproj/argocd', 'v3.5.1', null],
    ]);
  });

  it('Kubernetes tag@digest images in initContainers and containers', () => {
    const refs = brief('deployment-sourcegraph-frontend.yaml');
    expect(refs.map((r) => r[2])).toEqual([
      'docker.io/sourcegraph/migrator',
      'docker.io/sourcegraph/frontend',
      'docker.io/sourcegraph/jaeger-agent',
    ]);
    expect(refs[1]).toEqual([
      'image-field',
      66,
      'docker.io/sourcegraph/frontend',
      'insiders',
      'sha256:0b3b4c5db65ed1105a74a8c744e69044c525737627eb9f13eae7a96c508d2bbf',
    ]);
  });

  it('Compose: quoted images, variables reported as unresolved, tag@digest', () => {
    const result = findImageReferences(read('docker-compose-sentry.yml'), 'compose.yml');
    const texts = result.references.map((r) => r.text);
    expect(texts).toContain('memcached:1.6.45-alpine');
    expect(texts).toContain('registry.gitlab.com/egos-tech/smtp');
    const seaweed = result.references.find((r) => r.repository === 'chrislusf/seaweedfs');
    expect(seaweed?.digest).toBe('sha256:d07aa1dae03c687e0737b86130ded1b18474211a09e85d737fbe5508b8805139');
    expect(result.unresolved.map((u) => u.text)).toContain('$SNUBA_IMAGE');
  });

  it('Argo CD kustomize.images strings, with and without name=', () => {
    const refs = brief('argocd-application-reference.yaml');
    expect(refs).toContainEqual(['argocd-images', 130, 'quay.io/argoprojlabs/argocd-e2e-container', '0.2', null]);
    expect(refs).toContainEqual(['argocd-images', 131, 'gcr.io/my-repo/my-app', '0.1', null]);
  });

  it('keeps a Helm tag as written (6.10 is not 6.1)', () => {
    const refs = findImageReferences('image:\n  repository: ghcr.io/acme/api\n  tag: 6.10\n').references;
    expect(refs.map((r) => r.tag)).toEqual(['6.10']);
  });

  it('returns nothing for broken YAML', () => {
    expect(findImageReferences('image: [unclosed\n').references).toEqual([]);
  });
});

describe('findRepositoryMentions', () => {
  it('finds tags and digests of the repository only', () => {
    const text = `a: ghcr.io/acme/api:1.2\nb: ghcr.io/acme/api-worker:9\nc: "ghcr.io/acme/api@sha256:${'a'.repeat(64)}"\n`;
    const found = findRepositoryMentions(text, [{ registry: 'ghcr.io', repository: 'acme/api' }]);
    expect(found.map((f) => [f.line, f.tag ?? null, f.digest ?? null])).toEqual([
      [1, '1.2', null],
      [3, null, `sha256:${'a'.repeat(64)}`],
    ]);
  });
});

describe('scanning files', () => {
  it('expands ** globs and exclusions, then scans', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scan-'));
    await mkdir(join(dir, 'deploy/prod'), { recursive: true });
    await writeFile(join(dir, 'deploy/prod/app.yaml'), 'spec:\n  containers:\n    - image: ghcr.io/acme/api:pr-7\n');
    await writeFile(join(dir, 'deploy/skip.yaml'), 'image: ghcr.io/acme/api:pr-8\n');
    await writeFile(join(dir, 'deploy/values.env'), 'IMAGE=ghcr.io/acme/api:pr-9\n');
    expect(await expandFileGlobs(['deploy/**/*.yaml', '!deploy/skip.yaml'], dir)).toEqual(['deploy/prod/app.yaml']);
    const scan = await scanImageReferences(['deploy/**'], {
      cwd: dir,
      repositories: [{ registry: 'ghcr.io', repository: 'acme/api' }],
    });
    expect(scan.references.map((r) => `${r.file}:${r.line} ${r.tag}`).sort()).toEqual([
      'deploy/prod/app.yaml:3 pr-7',
      'deploy/skip.yaml:1 pr-8',
      'deploy/values.env:1 pr-9',
    ]);
  });
});
