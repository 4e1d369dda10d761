// Turns a `docker save` archive into an OCI layout folder holding what `docker push` would
// send: gzip-compressed layers, the config, and a Docker v2 schema 2 manifest. This lets the
// classic docker builder be measured before anything is pushed and be pushed by digest, with
// tags written last, like the other builders.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, writeFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { OperationError } from '#shared/errors.js';
import { type BlobDescriptor, blobPath, MT, sha256 } from './layout.js';

interface TarEntry {
  name: string;
  type: string;
  linkname: string;
  offset: number;
  size: number;
}

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

function parsePax(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const space = rest.indexOf(' ');
    const len = Number(rest.slice(0, space));
    if (!Number.isFinite(len) || len <= 0) break;
    const record = rest.slice(space + 1, len - 1);
    const eq = record.indexOf('=');
    out[record.slice(0, eq)] = record.slice(eq + 1);
    rest = rest.slice(len);
  }
  return out;
}

/** Lists the entries of an uncompressed tar file (ustar, PAX and GNU long names). */
export async function listTar(file: string): Promise<Map<string, TarEntry>> {
  const fh = await open(file, 'r');
  const entries = new Map<string, TarEntry>();
  try {
    const header = Buffer.alloc(512);
    let offset = 0;
    let longName: string | undefined;
    let pax: Record<string, string> = {};
    for (;;) {
      const { bytesRead } = await fh.read(header, 0, 512, offset);
      if (bytesRead < 512 || header.every((b) => b === 0)) break;
      const sizeField = header.subarray(124, 136);
      const size =
        (sizeField[0] as number) & 0x80
          ? Number(sizeField.readBigUInt64BE(4))
          : Number.parseInt(field(header, 124, 12).trim() || '0', 8);
      const type = String.fromCharCode(header[156] as number) || '0';
      const dataOffset = offset + 512;
      offset = dataOffset + Math.ceil(size / 512) * 512;
      if (type === 'x' || type === 'L') {
        const data = Buffer.alloc(size);
        await fh.read(data, 0, size, dataOffset);
        if (type === 'x') pax = parsePax(data.toString('utf8'));
        else longName = field(data, 0, size);
        continue;
      }
      if (type === 'g') continue;
      const prefix = field(header, 345, 155);
      const name = pax.path ?? longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
      const linkname = pax.linkpath ?? field(header, 157, 100);
      entries.set(posix.normalize(name).replace(/^\.\//, ''), { name, type, linkname, offset: dataOffset, size });
      longName = undefined;
      pax = {};
    }
  } finally {
    await fh.close();
  }
  return entries;
}

function resolveEntry(entries: Map<string, TarEntry>, name: string, depth = 0): TarEntry {
  const entry = entries.get(posix.normalize(name));
  if (!entry || depth > 8) throw new OperationError('reading the docker save archive', `${name} is missing`);
  if (entry.type === '2' || entry.type === '1') {
    const target = entry.type === '2' ? posix.join(posix.dirname(name), entry.linkname) : entry.linkname;
    return resolveEntry(entries, target, depth + 1);
  }
  return entry;
}

async function readEntry(file: string, entry: TarEntry): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const data = Buffer.alloc(entry.size);
    await fh.read(data, 0, entry.size, entry.offset);
    return data;
  } finally {
    await fh.close();
  }
}

function entryStream(file: string, entry: TarEntry) {
  return createReadStream(file, { start: entry.offset, end: entry.offset + entry.size - 1 });
}

async function isGzip(file: string, entry: TarEntry): Promise<boolean> {
  if (entry.size < 2) return false;
  const head = await readEntry(file, { ...entry, size: 2 });
  return head[0] === 0x1f && head[1] === 0x8b;
}

/** Hashes a stream as it passes, without holding it. */
function hashing(): Transform & { digest(): string; size(): number } {
  const hash = createHash('sha256');
  let size = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  }) as Transform & { digest(): string; size(): number };
  t.digest = () => `sha256:${hash.digest('hex')}`;
  t.size = () => size;
  return t;
}

/** Writes a compressed copy of one layer into the layout and returns its descriptor. */
async function writeLayer(archive: string, entry: TarEntry, dir: string, tmpName: string): Promise<BlobDescriptor> {
  const tmp = posix.join(dir, 'blobs', tmpName);
  const h = hashing();
  if (await isGzip(archive, entry)) {
    await pipeline(entryStream(archive, entry), h, createWriteStream(tmp));
  } else {
    await pipeline(entryStream(archive, entry), createGzip({ level: 6 }), h, createWriteStream(tmp));
  }
  const digest = h.digest();
  await rename(tmp, blobPath(dir, digest));
  return { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest, size: h.size() };
}

/**
 * Converts a `docker save` archive of one image into an OCI layout at `dir` whose index.json
 * names a Docker v2 schema 2 manifest. Returns the manifest's descriptor.
 */
export async function dockerArchiveToLayout(archive: string, dir: string): Promise<BlobDescriptor> {
  const entries = await listTar(archive);
  const manifestEntry = entries.get('manifest.json');
  if (!manifestEntry) throw new OperationError('reading the docker save archive', 'manifest.json is missing');
  const saved = JSON.parse((await readEntry(archive, manifestEntry)).toString('utf8')) as Array<{
    Config: string;
    Layers: string[];
  }>;
  const first = saved[0];
  if (!first) throw new OperationError('reading the docker save archive', 'it holds no image');
  await mkdir(posix.join(dir, 'blobs', 'sha256'), { recursive: true });

  const configBytes = await readEntry(archive, resolveEntry(entries, first.Config));
  const config: BlobDescriptor = {
    mediaType: 'application/vnd.docker.container.image.v1+json',
    digest: sha256(configBytes),
    size: configBytes.length,
  };
  await writeFile(blobPath(dir, config.digest), configBytes);

  const layers: BlobDescriptor[] = [];
  for (const [i, name] of first.Layers.entries()) {
    layers.push(await writeLayer(archive, resolveEntry(entries, name), dir, `layer-${i}.partial`));
  }
  const manifest = { schemaVersion: 2, mediaType: MT.dockerManifest, config, layers };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const desc: BlobDescriptor = { mediaType: MT.dockerManifest, digest: sha256(bytes), size: bytes.length };
  await writeFile(blobPath(dir, desc.digest), bytes);
  await writeFile(posix.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(posix.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [desc] }));
  return desc;
}
