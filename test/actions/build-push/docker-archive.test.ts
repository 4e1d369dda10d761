// The streaming `docker save` converter, fed real tar archives (GNU tar, PAX and GNU formats)
// shaped like docker 20.10 and docker 25+ archives, in odd-sized pieces.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerArchiveToLayout } from '../../../actions/build-push/src/docker-archive.js';
import { blobPath, readLayout } from '../../../actions/build-push/src/layout.js';

const root = mkdtempSync(join(tmpdir(), 'docker-archive-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A layer: a real tar of a few files, `big` bytes of random data among them. */
function layerTar(name: string, big: number): Buffer {
  const dir = join(root, `src-${name}`);
  mkdirSync(join(dir, 'etc'), { recursive: true });
  writeFileSync(join(dir, 'etc', `${name}.conf`), `name=${name}\n`);
  writeFileSync(join(dir, `${name}.bin`), randomBytes(big));
  return execFileSync('tar', ['-C', dir, '-cf', '-', '.'], { maxBuffer: 64 * 1024 * 1024 });
}

/** Streams `bytes` in pieces of varying odd sizes, to cross every header and block boundary. */
function pieces(bytes: Buffer): Readable {
  const sizes = [1, 511, 513, 7, 4096, 100_003];
  const parts: Buffer[] = [];
  for (let i = 0, at = 0; at < bytes.length; i++) {
    const n = sizes[i % sizes.length] as number;
    parts.push(bytes.subarray(at, at + n));
    at += n;
  }
  return Readable.from(parts);
}

function archive(files: (dir: string) => void, format: string): Buffer {
  const dir = mkdtempSync(join(root, 'save-'));
  files(dir);
  return execFileSync('tar', ['-C', dir, `--format=${format}`, '-cf', '-', '.'], { maxBuffer: 256 * 1024 * 1024 });
}

describe('dockerArchiveToLayout', () => {
  it.each(['pax', 'gnu'])(
    'converts a docker 20.10 style archive (%s format, long names, a small and a large layer)',
    async (format) => {
      const small = layerTar('small', 1000); // kept in memory
      const large = layerTar('large', 3 * 1024 * 1024); // compressed while streaming
      const config = Buffer.from(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          rootfs: { type: 'layers', diff_ids: [sha(small), sha(large)] },
        }),
      );
      const longDir = `${'d'.repeat(120)}`;
      const tar = archive((dir) => {
        mkdirSync(join(dir, longDir));
        mkdirSync(join(dir, 'l2'));
        writeFileSync(join(dir, longDir, 'layer.tar'), small);
        writeFileSync(join(dir, 'l2', 'layer.tar'), large);
        writeFileSync(join(dir, 'cfg.json'), config);
        writeFileSync(
          join(dir, 'manifest.json'),
          JSON.stringify([{ Config: 'cfg.json', Layers: [`${longDir}/layer.tar`, 'l2/layer.tar'] }]),
        );
      }, format);
      const out = join(root, `layout-${format}`);
      const desc = await dockerArchiveToLayout(pieces(tar), out);
      const image = await readLayout(out);
      expect(image.root.digest).toBe(desc.digest);
      const [img] = image.images;
      expect(img?.platform).toBe('linux/amd64');
      expect(img?.config.digest).toBe(sha(config));
      expect(img?.layers.map((l) => l.mediaType)).toEqual([
        'application/vnd.docker.image.rootfs.diff.tar.gzip',
        'application/vnd.docker.image.rootfs.diff.tar.gzip',
      ]);
      // every layer decompresses to exactly the diff_id of the config
      const unpacked = img?.layers.map((l) => sha(gunzipSync(readFileSync(blobPath(out, l.digest)))));
      expect(unpacked).toEqual([sha(small), sha(large)]);
      for (const l of img?.layers ?? []) expect(readFileSync(blobPath(out, l.digest)).length).toBe(l.size);
    },
    30_000,
  );

  it('follows symlinked layers and keeps gzip layers as they are (docker 25+ OCI-style archive)', async () => {
    const plain = layerTar('plain', 400_000);
    const zipped = gzipSync(layerTar('zipped', 500_000));
    const config = Buffer.from(JSON.stringify({ architecture: 'arm64', os: 'linux', variant: 'v8' }));
    const tar = archive((dir) => {
      mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
      const blob = (b: Buffer) => {
        writeFileSync(join(dir, 'blobs', 'sha256', sha(b).slice(7)), b);
        return `blobs/sha256/${sha(b).slice(7)}`;
      };
      const layers = [blob(plain), blob(zipped)];
      mkdirSync(join(dir, 'legacy'));
      symlinkSync(`../${layers[0]}`, join(dir, 'legacy', 'layer.tar'));
      writeFileSync(
        join(dir, 'manifest.json'),
        JSON.stringify([{ Config: blob(config), Layers: ['legacy/layer.tar', layers[1], layers[0]] }]),
      );
    }, 'pax');
    const out = join(root, 'layout-oci');
    await dockerArchiveToLayout(pieces(tar), out);
    const [img] = (await readLayout(out)).images;
    expect(img?.platform).toBe('linux/arm64/v8');
    expect(img?.layers).toHaveLength(3);
    expect(img?.layers[0]?.digest).toBe(img?.layers[2]?.digest);
    expect(img?.layers[1]?.digest).toBe(sha(zipped));
    expect(sha(gunzipSync(readFileSync(blobPath(out, img?.layers[0]?.digest as string))))).toBe(sha(plain));
  });

  it('says what is wrong with a truncated archive or one without manifest.json', async () => {
    const tar = archive((dir) => writeFileSync(join(dir, 'big'), randomBytes(600_000)), 'pax');
    await expect(dockerArchiveToLayout(pieces(tar), join(root, 'no-manifest'))).rejects.toThrow(
      'manifest.json is missing',
    );
    await expect(dockerArchiveToLayout(pieces(tar.subarray(0, 300_000)), join(root, 'cut'))).rejects.toThrow(
      'ends in the middle of an entry',
    );
  });
});
