// Archive extraction: only the wanted regular files, by plain name; links, folders, look-alike
// paths and cut-off archives never write anything unexpected.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { extractTarGz, TarError } from '#shared/trivy/tar.js';

interface Entry {
  name: string;
  body?: string;
  type?: string;
  linkname?: string;
  prefix?: string;
}

/** A ustar archive written by hand, so that hostile entries can be made. */
function tar(entries: Entry[], { end = true } = {}): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    const h = Buffer.alloc(512);
    h.write(e.name, 0, 100);
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write(e.type ?? '0', 156);
    if (e.linkname) h.write(e.linkname, 157, 100);
    h.write('ustar\0', 257);
    h.write('00', 263);
    if (e.prefix) h.write(e.prefix, 345, 155);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  if (end) blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

async function extract(archive: Buffer, wanted: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'untar-'));
  const written = await extractTarGz(Readable.from([archive]), dir, new Set(wanted));
  return { dir, written, files: readdirSync(dir).sort() };
}

describe('extractTarGz', () => {
  it('writes the wanted files of a release archive, `./` prefixes included', async () => {
    const r = await extract(
      tar([
        { name: 'LICENSE', body: 'Apache' },
        { name: 'contrib/', type: '5' },
        { name: 'contrib/html.tpl', body: '{{ . }}' },
        { name: './trivy', body: '#!/bin/sh\necho trivy\n' },
      ]),
      ['trivy'],
    );
    expect(r.written).toEqual(['trivy']);
    expect(r.files).toEqual(['trivy']);
    expect(readFileSync(join(r.dir, 'trivy'), 'utf8')).toBe('#!/bin/sh\necho trivy\n');
  });

  it.each([
    ['a path that leaves the folder', [{ name: '../trivy', body: 'evil' }]],
    ['an absolute path', [{ name: '/tmp/trivy', body: 'evil' }]],
    ['a file in a sub-folder', [{ name: 'bin/trivy', body: 'evil' }]],
    ['a ustar prefix', [{ name: 'trivy', prefix: 'evil', body: 'evil' }]],
    ['a symbolic link', [{ name: 'trivy', type: '2', linkname: '/etc/passwd' }]],
    ['a hard link', [{ name: 'trivy', type: '1', linkname: 'LICENSE' }]],
  ])('ignores %s', async (_what, entries) => {
    const r = await extract(tar(entries), ['trivy']);
    expect(r.written).toEqual([]);
    expect(r.files).toEqual([]);
  });

  it('takes the name of a GNU long-name entry', async () => {
    const r = await extract(
      tar([
        { name: '././@LongLink', type: 'L', body: 'trivy.db\0' },
        { name: 'x', body: 'db' },
      ]),
      ['trivy.db'],
    );
    expect(r.written).toEqual(['trivy.db']);
  });

  it.each([
    [
      'twice the same file',
      tar([
        { name: 'trivy.db', body: 'a' },
        { name: 'trivy.db', body: 'b' },
      ]),
      /holds trivy\.db twice/,
    ],
    ['no end blocks', tar([{ name: 'trivy.db', body: 'a' }], { end: false }), /ends without its end-of-archive blocks/],
    [
      'a cut body',
      gzipSync(
        Buffer.concat([
          (() => {
            const h = Buffer.alloc(512);
            h.write('trivy.db');
            h.write('00000001000\0', 124);
            h.write('0', 156);
            return h;
          })(),
          Buffer.alloc(100),
        ]),
      ),
      /ends inside a file/,
    ],
  ])('refuses an archive with %s', async (_what, archive, message) => {
    await expect(extract(archive, ['trivy.db'])).rejects.toThrow(TarError);
    await expect(extract(archive, ['trivy.db'])).rejects.toThrow(message);
  });
});
