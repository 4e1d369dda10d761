// Turns a `docker save` archive into an OCI layout folder holding what `docker push` would
// send: gzip-compressed layers, the config, and a Docker v2 schema 2 manifest. This lets the
// classic docker builder be measured before anything is pushed and be pushed by digest, with
// tags written last, like the other builders.
//
// The archive is read as a stream (straight from `docker save`'s output): every layer is
// compressed while docker is still writing the archive, so the uncompressed image never
// touches the disk and saving and compressing overlap instead of running one after the other.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { once } from 'node:events';
import { PassThrough, Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { OperationError } from '#shared/errors.js';
import { type BlobDescriptor, blobPath, MT, sha256 } from './layout.js';

/** Entries up to this size are kept in memory (configs, manifests, JSON, empty layers). */
const IN_MEMORY = 256 * 1024;
const GZIP_LEVEL = 6;
const WHAT = 'reading the docker save archive';

/** What became of one archive entry. */
type Stored =
  | { kind: 'memory'; data: Buffer }
  /** a tar layer, compressed on the way in, or an entry that was already gzip */
  | { kind: 'blob'; desc: BlobDescriptor }
  /** a large entry that is neither: kept as it is */
  | { kind: 'file'; path: string }
  | { kind: 'link'; hard: boolean; target: string };

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

function entrySize(header: Buffer): number {
  const sizeField = header.subarray(124, 136);
  return (sizeField[0] as number) & 0x80
    ? Number(sizeField.readBigUInt64BE(4))
    : Number.parseInt(field(header, 124, 12).trim() || '0', 8);
}

const isGzip = (head: Buffer) => head[0] === 0x1f && head[1] === 0x8b;
/** A tar stream starts with a header whose magic (`ustar`) sits at offset 257. */
const isTar = (head: Buffer) => head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar';

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

const LAYER_MT = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

/** Writes `source` into the layout as a blob (compressing it unless told not to) and names it by digest. */
async function writeBlob(source: Readable, dir: string, tmpName: string, compress: boolean): Promise<BlobDescriptor> {
  const tmp = posix.join(dir, 'blobs', tmpName);
  const h = hashing();
  if (compress) await pipeline(source, createGzip({ level: GZIP_LEVEL }), h, createWriteStream(tmp));
  else await pipeline(source, h, createWriteStream(tmp));
  const digest = h.digest();
  await rename(tmp, blobPath(dir, digest));
  return { mediaType: LAYER_MT, digest, size: h.size() };
}

/**
 * A Writable that parses a tar stream (ustar, PAX and GNU long names) and stores every entry:
 * small ones in memory, tar layers compressed into blobs as they arrive, other large ones as files.
 */
class ArchiveReader extends Writable {
  readonly entries = new Map<string, Stored>();
  /** blobs and files still being written; awaited once the archive ends */
  readonly pending: Array<Promise<void>> = [];
  private pendingBytes = Buffer.alloc(0);
  private header: Buffer | undefined;
  private name = '';
  private remaining = 0;
  private padding = 0;
  private ended = false;
  private longName: string | undefined;
  private pax: Record<string, string> = {};
  /** the entry being read: its data in memory, or the stream its data goes to */
  private chunks: Buffer[] = [];
  private sink: { stream: PassThrough; done: Promise<void> } | undefined;
  private size = 0;
  private type = '';
  private counter = 0;

  constructor(private readonly dir: string) {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (error?: Error | null) => void): void {
    this.consume(chunk).then(() => cb(), cb);
  }

  override _destroy(error: Error | null, cb: (error?: Error | null) => void): void {
    // an entry cut off by a failure: stop its writer, so that waiting for it ends
    this.sink?.stream.destroy(error ?? new OperationError(WHAT, 'the archive was not read to its end'));
    this.sink = undefined;
    cb(error);
  }

  override _final(cb: (error?: Error | null) => void): void {
    if (this.remaining > 0 || this.header) cb(new OperationError(WHAT, 'the archive ends in the middle of an entry'));
    else cb();
  }

  private async consume(input: Buffer): Promise<void> {
    let buf = this.pendingBytes.length ? Buffer.concat([this.pendingBytes, input]) : input;
    this.pendingBytes = Buffer.alloc(0);
    while (buf.length > 0 && !this.ended) {
      if (this.header) {
        // data of the current entry
        const take = Math.min(this.remaining, buf.length);
        if (take > 0) await this.data(buf.subarray(0, take));
        this.remaining -= take;
        buf = buf.subarray(take);
        if (this.remaining === 0) {
          const skip = Math.min(this.padding, buf.length);
          this.padding -= skip;
          buf = buf.subarray(skip);
          if (this.padding === 0) this.finishEntry();
        }
        continue;
      }
      if (buf.length < 512) {
        this.pendingBytes = Buffer.from(buf);
        return;
      }
      const header = buf.subarray(0, 512);
      buf = buf.subarray(512);
      if (header.every((b) => b === 0)) {
        this.ended = true;
        break;
      }
      this.startEntry(Buffer.from(header));
    }
  }

  private startEntry(header: Buffer): void {
    const size = entrySize(header);
    const type = String.fromCharCode(header[156] as number);
    this.header = header;
    this.type = type === '\0' ? '0' : type;
    this.size = size;
    this.remaining = size;
    this.padding = (512 - (size % 512)) % 512;
    this.chunks = [];
    this.sink = undefined;
    const prefix = field(header, 345, 155);
    const raw =
      this.pax.path ?? this.longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    this.name = posix.normalize(raw).replace(/^\.\//, '');
    if (size === 0) this.finishEntry();
  }

  private async data(chunk: Buffer): Promise<void> {
    if (this.sink) return write(this.sink, chunk);
    if (this.type === 'x' || this.type === 'L') {
      this.chunks.push(Buffer.from(chunk));
      return;
    }
    if (this.type !== '0' && this.type !== '7') return;
    this.chunks.push(Buffer.from(chunk));
    const held = this.chunks.reduce((n, c) => n + c.length, 0);
    if (this.size <= IN_MEMORY || (held < 512 && held < this.size)) return;
    // a large regular file: decide from its first bytes where it goes, then stream it there
    const head = Buffer.concat(this.chunks);
    this.chunks = [];
    const stream = new PassThrough({ highWaterMark: 1024 * 1024 });
    const name = this.name;
    const tmpName = `entry-${this.counter++}.partial`;
    let done: Promise<void>;
    if (isTar(head) || isGzip(head)) {
      done = writeBlob(stream, this.dir, tmpName, !isGzip(head)).then((desc) => {
        this.entries.set(name, { kind: 'blob', desc });
      });
    } else {
      const path = posix.join(this.dir, 'blobs', tmpName);
      done = pipeline(stream, createWriteStream(path)).then(() => {
        this.entries.set(name, { kind: 'file', path });
      });
    }
    // awaited once the archive ends; a failure stops the reading through write() below
    done.catch(() => undefined);
    this.pending.push(done);
    this.sink = { stream, done };
    await write(this.sink, head);
  }

  private finishEntry(): void {
    const header = this.header as Buffer;
    const data = Buffer.concat(this.chunks);
    this.header = undefined;
    this.chunks = [];
    if (this.type === 'x') {
      this.pax = parsePax(data.toString('utf8'));
      return;
    }
    if (this.type === 'L') {
      this.longName = field(data, 0, data.length);
      return;
    }
    const linkname = this.pax.linkpath ?? field(header, 157, 100);
    if (this.type === '1' || this.type === '2') {
      const hard = this.type === '1';
      this.entries.set(this.name, {
        kind: 'link',
        hard,
        target: hard ? linkname : posix.join(posix.dirname(this.name), linkname),
      });
    } else if (this.sink) {
      this.sink.stream.end();
      this.sink = undefined;
    } else if (this.type === '0' || this.type === '7') {
      this.entries.set(this.name, { kind: 'memory', data });
    }
    this.longName = undefined;
    this.pax = {};
  }
}

/** Writes into an entry's sink, waiting while it is full; rejects when the sink's writer failed. */
async function write(sink: { stream: PassThrough; done: Promise<void> }, chunk: Buffer): Promise<void> {
  if (!sink.stream.write(chunk)) await Promise.race([once(sink.stream, 'drain'), sink.done]);
}

function resolveEntry(entries: Map<string, Stored>, name: string, depth = 0): Stored {
  const entry = entries.get(posix.normalize(name).replace(/^\.\//, ''));
  if (!entry || depth > 8) throw new OperationError(WHAT, `${name} is missing`);
  return entry.kind === 'link' ? resolveEntry(entries, entry.target, depth + 1) : entry;
}

async function bytesOf(entry: Stored): Promise<Buffer> {
  if (entry.kind === 'memory') return entry.data;
  if (entry.kind === 'file') {
    const chunks: Buffer[] = [];
    for await (const c of createReadStream(entry.path)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }
  throw new OperationError(WHAT, 'the image config is not a JSON document');
}

/** The compressed layer for a manifest entry: compressed on the way in, or now. */
async function layerOf(entry: Stored, dir: string, tmpName: string): Promise<BlobDescriptor> {
  if (entry.kind === 'blob') return entry.desc;
  if (entry.kind === 'memory') {
    return writeBlob(Readable.from([entry.data]), dir, tmpName, !isGzip(entry.data));
  }
  if (entry.kind === 'file') {
    const head = await new Promise<Buffer>((resolve, reject) => {
      const s = createReadStream(entry.path, { start: 0, end: 1 });
      const parts: Buffer[] = [];
      s.on('data', (c) => parts.push(c as Buffer));
      s.on('end', () => resolve(Buffer.concat(parts)));
      s.on('error', reject);
    });
    return writeBlob(createReadStream(entry.path), dir, tmpName, !isGzip(head));
  }
  throw new OperationError(WHAT, 'a layer is a link to nothing');
}

/**
 * Converts a `docker save` archive of one image (a stream, e.g. docker's standard output) into an
 * OCI layout at `dir` whose index.json names a Docker v2 schema 2 manifest. Returns the manifest's
 * descriptor.
 */
export async function dockerArchiveToLayout(archive: Readable, dir: string): Promise<BlobDescriptor> {
  await mkdir(posix.join(dir, 'blobs', 'sha256'), { recursive: true });
  const reader = new ArchiveReader(dir);
  try {
    await pipeline(archive, reader);
  } finally {
    // let every blob finish (or fail) before the folder can be removed
    await Promise.allSettled(reader.pending);
  }
  await Promise.all(reader.pending);
  const { entries } = reader;
  const manifestEntry = entries.get('manifest.json');
  if (!manifestEntry) throw new OperationError(WHAT, 'manifest.json is missing');
  const saved = JSON.parse((await bytesOf(manifestEntry)).toString('utf8')) as Array<{
    Config: string;
    Layers: string[];
  }>;
  const first = saved[0];
  if (!first) throw new OperationError(WHAT, 'it holds no image');

  const configBytes = await bytesOf(resolveEntry(entries, first.Config));
  const config: BlobDescriptor = {
    mediaType: 'application/vnd.docker.container.image.v1+json',
    digest: sha256(configBytes),
    size: configBytes.length,
  };
  await writeFile(blobPath(dir, config.digest), configBytes);

  const layers: BlobDescriptor[] = [];
  for (const [i, name] of first.Layers.entries()) {
    layers.push(await layerOf(resolveEntry(entries, name), dir, `layer-${i}.partial`));
  }
  // large entries that are no layer of the image are not part of the layout
  for (const entry of entries.values()) {
    if (entry.kind === 'file') await rm(entry.path, { force: true });
  }
  const manifest = { schemaVersion: 2, mediaType: MT.dockerManifest, config, layers };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const desc: BlobDescriptor = { mediaType: MT.dockerManifest, digest: sha256(bytes), size: bytes.length };
  await writeFile(blobPath(dir, desc.digest), bytes);
  await writeFile(posix.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(posix.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [desc] }));
  return desc;
}
