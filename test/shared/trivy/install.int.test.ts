// The installer against a local HTTP server that serves release archives in Trivy's real
// format (a .tar.gz with `trivy`, LICENSE, README.md and contrib/ templates).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, OperationError } from '#shared/errors.js';
import { TRIVY_CHECKSUMS } from '#shared/trivy/checksums.js';
import { installTrivy, trivyAssetName } from '#shared/trivy/install.js';

const standIn = join(import.meta.dirname, '../../fixtures/trivy/stand-in-trivy.mjs');

function releaseArchive(program: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'trivy-release-'));
  copyFileSync(program, join(dir, 'trivy'));
  writeFileSync(join(dir, 'LICENSE'), 'Apache License 2.0\n');
  writeFileSync(join(dir, 'README.md'), '# Trivy\n');
  mkdirSync(join(dir, 'contrib'));
  writeFileSync(join(dir, 'contrib', 'html.tpl'), '{{ range . }}{{ end }}\n');
  execFileSync('tar', ['-czf', join(dir, 'a.tar.gz'), '-C', dir, 'LICENSE', 'README.md', 'contrib', 'trivy']);
  return readFileSync(join(dir, 'a.tar.gz'));
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let server: Server;
let base: string;
const served = new Map<string, Buffer>();
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    // the way GitHub does it: the release URL redirects to a storage host
    if (req.url?.startsWith('/releases/')) {
      res.writeHead(302, { location: req.url.replace('/releases/', '/storage/') });
      res.end();
      return;
    }
    const body = served.get(req.url?.replace('/storage/', '/') ?? '');
    if (!body) {
      res.writeHead(404);
      res.end('Not Found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/releases`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('installTrivy', () => {
  const good = releaseArchive(standIn);
  const version = '0.99.1';
  const asset = trivyAssetName(version, 'linux', 'x64');
  served.set(`/v${version}/${asset}`, good);

  it('installs a verified archive into the tool cache and reuses it', async () => {
    const toolCache = mkdtempSync(join(tmpdir(), 'toolcache-'));
    const o = {
      version: `v${version}`,
      downloadUrl: `${base}/`,
      checksum: sha256(good),
      toolCacheDir: toolCache,
      tempDir: mkdtempSync(join(tmpdir(), 'dl-')),
      platform: 'linux' as const,
      arch: 'x64',
    };
    const first = await installTrivy(o);
    expect(first).toEqual({
      path: join(toolCache, 'trivy', version, 'x64', 'trivy'),
      version,
      sha256: sha256(good),
      source: 'download',
    });
    expect(readFileSync(first.path).equals(readFileSync(standIn))).toBe(true);
    expect(execFileSync(first.path, ['--version'], { encoding: 'utf8' })).toContain('Version: 0.71.2');
    // only the program is unpacked, with the marker @actions/tool-cache uses
    expect(readdirSync(join(toolCache, 'trivy', version, 'x64')).sort()).toEqual(['.archive-sha256', 'trivy']);
    expect(existsSync(join(toolCache, 'trivy', version, 'x64.complete'))).toBe(true);
    expect(readdirSync(o.tempDir)).toEqual([]);
    const before = hits.length;
    const second = await installTrivy(o);
    expect(second.source).toBe('tool-cache');
    expect(hits.length).toBe(before);
  });

  it('refuses a tampered archive and leaves nothing installed', async () => {
    const tampered = releaseArchive(join(import.meta.dirname, 'install.int.test.ts'));
    const v = '0.99.2';
    served.set(`/v${v}/${trivyAssetName(v, 'linux', 'x64')}`, tampered);
    const toolCache = mkdtempSync(join(tmpdir(), 'toolcache-'));
    const tempDir = mkdtempSync(join(tmpdir(), 'dl-'));
    const attempt = installTrivy({
      version: v,
      downloadUrl: base,
      checksum: sha256(good),
      toolCacheDir: toolCache,
      tempDir,
      platform: 'linux',
      arch: 'x64',
    });
    await expect(attempt).rejects.toThrow(OperationError);
    await expect(
      installTrivy({
        version: v,
        downloadUrl: base,
        checksum: sha256(good),
        toolCacheDir: toolCache,
        tempDir,
        platform: 'linux',
        arch: 'x64',
      }),
    ).rejects.toThrow(
      `installing trivy ${v}: the archive from ${base}/v${v}/trivy_${v}_Linux-64bit.tar.gz has SHA-256 ${sha256(tampered)}, not ${sha256(good)} (trivy-checksum): it was refused and nothing was installed`,
    );
    expect(readdirSync(toolCache)).toEqual([]);
    expect(readdirSync(tempDir)).toEqual([]);
  });

  it('a committed version needs no checksum input and is held to the committed one', async () => {
    // the real 0.71.2 archive cannot be fetched here: a look-alike must be refused
    const v = '0.71.2';
    served.set(`/v${v}/${trivyAssetName(v, 'linux', 'arm64')}`, good);
    const toolCache = mkdtempSync(join(tmpdir(), 'toolcache-'));
    await expect(
      installTrivy({
        version: v,
        downloadUrl: base,
        toolCacheDir: toolCache,
        tempDir: toolCache,
        platform: 'linux',
        arch: 'arm64',
      }),
    ).rejects.toThrow(
      `not ${TRIVY_CHECKSUMS['0.71.2']?.['trivy_0.71.2_Linux-ARM64.tar.gz']} (committed in this action)`,
    );
    expect(readdirSync(toolCache)).toEqual([]);
  });

  it.each([
    [
      { version: '0.50.0' },
      "Input 'trivy-version': 0.50.0 has no checksum committed in this action for trivy_0.50.0_Linux-64bit.tar.gz",
    ],
    [{ version: 'latest' }, "Input 'trivy-version': 'latest' is not a Trivy version"],
    [{ version: '0.71.2', checksum: 'abc' }, "Input 'trivy-checksum': 'abc' is not a SHA-256"],
  ])('%j is a configuration error', async (o, message) => {
    const attempt = installTrivy({
      toolCacheDir: '/nonexistent',
      tempDir: '/nonexistent',
      platform: 'linux',
      arch: 'x64',
      ...o,
    });
    await expect(attempt).rejects.toThrow(ConfigurationError);
    await expect(
      installTrivy({ toolCacheDir: '/nonexistent', tempDir: '/nonexistent', platform: 'linux', arch: 'x64', ...o }),
    ).rejects.toThrow(message);
  });

  it('a missing release asset is explained', async () => {
    const toolCache = mkdtempSync(join(tmpdir(), 'toolcache-'));
    await expect(
      installTrivy({
        version: '0.98.0',
        checksum: 'a'.repeat(64),
        downloadUrl: base,
        toolCacheDir: toolCache,
        tempDir: toolCache,
        platform: 'linux',
        arch: 'x64',
      }),
    ).rejects.toThrow(`downloading ${base}/v0.98.0/trivy_0.98.0_Linux-64bit.tar.gz: HTTP 404 (no such release asset`);
  });

  it('committed checksums are SHA-256 values for Linux x64 and arm64 of every listed version', () => {
    for (const [v, assets] of Object.entries(TRIVY_CHECKSUMS)) {
      expect(Object.keys(assets).sort()).toEqual([`trivy_${v}_Linux-64bit.tar.gz`, `trivy_${v}_Linux-ARM64.tar.gz`]);
      for (const sum of Object.values(assets)) expect(sum).toMatch(/^[0-9a-f]{64}$/);
    }
  });
});
