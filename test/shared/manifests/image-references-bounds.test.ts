// keep-referenced-in reads files from the workspace, which anyone who can open a pull request
// shapes: deployment files reached only through symlinks (files and directories, loops too), and
// YAML whose aliases expand exponentially. What is referenced must be found, and the work bounded.
import { mkdtempSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandFileGlobs, findImageReferences, scanImageReferences } from '#shared/manifests/image-references.js';

describe('keep-referenced-in files reached through symlinks', () => {
  it('follows symlinked files and directories, and stops at links back up the tree', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scan-links-'));
    await mkdir(join(dir, 'deploy'), { recursive: true });
    await mkdir(join(dir, 'envs/prod'), { recursive: true });
    await mkdir(join(dir, 'charts'), { recursive: true });
    await writeFile(join(dir, 'envs/prod/app.yaml'), 'image: ghcr.io/acme/api:pr-7\n');
    await writeFile(join(dir, 'charts/values.yaml'), 'image:\n  repository: ghcr.io/acme/api\n  tag: pr-8\n');
    await symlink('../envs/prod', join(dir, 'deploy/prod'));
    await symlink('../charts/values.yaml', join(dir, 'deploy/values.yaml'));
    await symlink('..', join(dir, 'deploy/loop'));
    await symlink('.', join(dir, 'deploy/prod-self'));
    await symlink('missing.yaml', join(dir, 'deploy/dangling.yaml'));
    expect(await expandFileGlobs(['deploy/**/*.yaml'], dir)).toEqual(['deploy/prod/app.yaml', 'deploy/values.yaml']);
    const scan = await scanImageReferences(['deploy/**/*.yaml'], { cwd: dir });
    expect(scan.references.map((r) => `${r.file}:${r.line} ${r.tag}`).sort()).toEqual([
      'deploy/prod/app.yaml:1 pr-7',
      'deploy/values.yaml:3 pr-8',
    ]);
  });
});

describe('YAML aliases', () => {
  it('walks each anchored node once: an alias bomb ends at once and loses no reference', () => {
    const lines = ['a: &a [{image: ghcr.io/acme/api:pr-1}, x]'];
    for (let i = 1; i < 30; i++) {
      const prev = String.fromCharCode(96 + ((i - 1) % 26) + 1) + (i > 26 ? '2' : '');
      const name = String.fromCharCode(96 + (i % 26) + 1) + (i >= 26 ? '2' : '');
      lines.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const result = findImageReferences(lines.join('\n'), 'bomb.yaml');
    expect(result.references.map((r) => `${r.line} ${r.tag}`)).toEqual(['1 pr-1']);
  });

  it('still finds what aliases lead to, once', () => {
    const text = [
      'x-image: &img ghcr.io/acme/api:pr-2',
      'base: &base',
      '  repository: ghcr.io/acme/api',
      '  tag: pr-3',
      'app:',
      '  image: *img',
      '  values: *base',
      'other:',
      '  <<: *base',
      '  sidecar: {image: *img}',
    ].join('\n');
    expect(
      findImageReferences(text, 'values.yaml')
        .references.map((r) => `${r.line} ${r.tag}`)
        .sort(),
    ).toEqual(['1 pr-2', '4 pr-3']);
  });
});
