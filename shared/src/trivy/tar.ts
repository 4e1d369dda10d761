// Extraction of the gzip'd tar archives Trivy ships in (the release archive with the `trivy`
// program, the database layers with trivy.db and metadata.json). Only regular files are
// written, only plain names without folders, and only those asked for: an archive cannot write
// outside the destination or plant links.
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

export class TarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarError';
  }
}

function field(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

function octal(block: Buffer, start: number, length: number): number {
  const raw = block.subarray(start, start + length);
  // GNU base-256 for sizes of 8 GiB and more
  if ((raw[0] as number) & 0x80) {
    let n = 0;
    for (let i = 1; i < raw.length; i++) n = n * 256 + (raw[i] as number);
    return n;
  }
  const text = field(block, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarError(`a tar header holds '${text}' where a number belongs`);
  return Number.parseInt(text, 8);
}

/**
 * Unpacks the regular files named in `wanted` (by base name; entries such as `./trivy` match
 * `trivy`) from a .tar.gz stream into `destDir`. Returns the names written. Entries not wanted
 * are skipped; a wanted name that appears twice is an error.
 */
export async function extractTarGz(source: Readable, destDir: string, wanted: ReadonlySet<string>): Promise<string[]> {
  const written: string[] = [];
  // large chunks: the databases are tens to hundreds of MB, and each chunk costs a round through the generators below
  const gunzip = createGunzip({ chunkSize: 1024 * 1024 });
  source.on('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);
  let buffer: Buffer = Buffer.alloc(0);
  let longName: string | undefined;
  let paxPath: string | undefined;
  let ended = false;
  const iterator = gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>;

  async function fill(n: number): Promise<boolean> {
    while (buffer.length < n) {
      const next = await iterator.next();
      if (next.done) return false;
      buffer = buffer.length === 0 ? next.value : Buffer.concat([buffer, next.value]);
    }
    return true;
  }
  function take(n: number): Buffer {
    const out = buffer.subarray(0, n);
    buffer = buffer.subarray(n);
    return out;
  }
  async function* body(size: number): AsyncGenerator<Buffer> {
    let left = size;
    while (left > 0) {
      if (buffer.length === 0 && !(await fill(1))) throw new TarError('the archive ends inside a file');
      const n = Math.min(left, buffer.length);
      left -= n;
      yield take(n);
    }
    const pad = (512 - (size % 512)) % 512;
    if (pad > 0) {
      if (!(await fill(pad))) throw new TarError('the archive ends inside a file');
      take(pad);
    }
  }
  async function readAll(size: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const b of body(size)) parts.push(Buffer.from(b));
    return Buffer.concat(parts);
  }

  try {
    while (!ended) {
      if (!(await fill(512))) throw new TarError('the archive ends without its end-of-archive blocks');
      const header = take(512);
      if (header.every((b) => b === 0)) {
        ended = true;
        break;
      }
      const size = octal(header, 124, 12);
      const type = String.fromCharCode(header[156] as number);
      const magic = field(header, 257, 6);
      const prefix = magic.startsWith('ustar') ? field(header, 345, 155) : '';
      let name = longName ?? paxPath ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
      if (type === 'L') {
        longName = (await readAll(size)).toString('utf8').replace(/\0+$/, '');
        continue;
      }
      if (type === 'x') {
        const pax = (await readAll(size)).toString('utf8');
        paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(pax)?.[1];
        continue;
      }
      if (type === 'g') {
        await readAll(size);
        continue;
      }
      longName = undefined;
      paxPath = undefined;
      name = name.replace(/^(\.\/)+/, '');
      const regular = type === '0' || type === '\0' || type === '7';
      if (!regular || !wanted.has(name)) {
        for await (const _ of body(size)) {
          // skipped
        }
        continue;
      }
      if (written.includes(name)) throw new TarError(`the archive holds ${name} twice`);
      await pipeline(body(size), createWriteStream(join(destDir, name), { mode: 0o644 }));
      written.push(name);
    }
  } finally {
    gunzip.destroy();
    source.unpipe(gunzip);
  }
  return written;
}
