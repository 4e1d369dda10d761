// Installs a Trivy release: the archive for this OS and architecture is downloaded, its SHA-256
// compared with the value committed in ./checksums.ts (or the one the caller passes for another
// version), and only then is `trivy` unpacked into the runner's tool cache
// (<tool cache>/trivy/<version>/<arch>, with the `<arch>.complete` marker @actions/tool-cache
// uses). A mismatch leaves nothing installed. Used by trivy-scan and sbom-sign.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ConfigurationError, OperationError } from '../errors.js';
import { header, type HttpResponse, readText, Transport } from '../oci/transport.js';
import { TRIVY_CHECKSUMS } from './checksums.js';
import { extractTarGz } from './tar.js';

export const DEFAULT_TRIVY_DOWNLOAD_URL = 'https://github.com/aquasecurity/trivy/releases/download';

/** One GET, redirects not followed (the installer follows them); tests and proxies plug in here. */
export type HttpGet = (url: string) => Promise<HttpResponse>;

/** Keeps an installed tool folder across jobs (the Actions cache); optional. */
export interface ToolPersistence {
  /** true when the folder was restored under this key */
  restore(dir: string, key: string): Promise<boolean>;
  save(dir: string, key: string): Promise<void>;
}

export interface InstallTrivyOptions {
  /** `0.71.2` or `v0.71.2` */
  version: string;
  /** base URL; the archive is `<base>/v<version>/<asset>` (default: GitHub releases) */
  downloadUrl?: string;
  /** SHA-256 (hex) to require instead of the committed one; needed for versions without one */
  checksum?: string;
  /** RUNNER_TOOL_CACHE */
  toolCacheDir: string;
  /** where the archive is downloaded to (deleted afterwards) */
  tempDir: string;
  platform?: NodeJS.Platform;
  arch?: string;
  get?: HttpGet;
  persistence?: ToolPersistence;
  logger?: { debug(msg: string): void; info(msg: string): void };
  /** names the inputs in configuration errors */
  inputs?: { version: string; checksum: string };
}

export interface InstalledTrivy {
  /** the trivy executable */
  path: string;
  version: string;
  sha256: string;
  /** where it came from this time */
  source: 'tool-cache' | 'actions-cache' | 'download';
}

/** The release asset name for an OS and architecture (Node's names). */
export function trivyAssetName(version: string, platform: NodeJS.Platform, arch: string): string {
  const os = platform === 'linux' ? 'Linux' : platform === 'darwin' ? 'macOS' : undefined;
  const bits = arch === 'x64' ? '64bit' : arch === 'arm64' ? 'ARM64' : undefined;
  if (!os || !bits) throw new ConfigurationError(`Trivy cannot be installed on ${platform}/${arch} by this action`);
  return `trivy_${version}_${os}-${bits}.tar.gz`;
}

/** The committed SHA-256 of a release asset, if this project pins it. */
export function committedChecksum(version: string, asset: string): string | undefined {
  return TRIVY_CHECKSUMS[version]?.[asset];
}

export function normalizeTrivyVersion(version: string): string {
  return version.trim().replace(/^v/, '');
}

export function defaultHttpGet(transport = new Transport({ userAgent: 'container-image-actions' })): HttpGet {
  return (url) =>
    transport.retrying(`downloading ${url}`, async () => {
      const res = await transport.send({ method: 'GET', url });
      await transport.throwIfRetryable(res);
      return res;
    });
}

async function getFollowing(get: HttpGet, url: string): Promise<HttpResponse> {
  let current = url;
  for (let hops = 0; hops < 6; hops++) {
    const res = await get(current);
    if (res.status >= 300 && res.status < 400 && header(res.headers, 'location')) {
      res.body.resume();
      current = new URL(header(res.headers, 'location') as string, current).toString();
      continue;
    }
    if (res.status !== 200) {
      const text = (await readText(res, 4096).catch(() => '')).split('\n')[0]?.slice(0, 200) ?? '';
      const hint = res.status === 404 ? ' (no such release asset: check trivy-version and trivy-download-url)' : '';
      throw new OperationError(`downloading ${url}`, `HTTP ${res.status}${hint}${text ? `: ${text}` : ''}`);
    }
    return res;
  }
  throw new OperationError(`downloading ${url}`, 'too many redirects');
}

export async function installTrivy(o: InstallTrivyOptions): Promise<InstalledTrivy> {
  const version = normalizeTrivyVersion(o.version);
  const names = o.inputs ?? { version: 'trivy-version', checksum: 'trivy-checksum' };
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) {
    throw new ConfigurationError(`'${o.version}' is not a Trivy version (expected such as 0.71.2)`, names.version);
  }
  const platform = o.platform ?? process.platform;
  const arch = o.arch ?? process.arch;
  const asset = trivyAssetName(version, platform, arch);
  let expected = o.checksum
    ?.trim()
    .toLowerCase()
    .replace(/^sha256:/, '');
  if (expected !== undefined && !/^[0-9a-f]{64}$/.test(expected)) {
    throw new ConfigurationError(`'${o.checksum}' is not a SHA-256 (expected 64 hex digits)`, names.checksum);
  }
  expected ??= committedChecksum(version, asset);
  if (!expected) {
    throw new ConfigurationError(
      `${version} has no checksum committed in this action for ${asset} (committed: ${Object.keys(TRIVY_CHECKSUMS).join(', ')}); give ${names.checksum} with the SHA-256 of ${asset} taken from a source you trust`,
      names.version,
    );
  }
  const toolDir = join(o.toolCacheDir, 'trivy', version, arch);
  const marker = `${toolDir}.complete`;
  const exe = join(toolDir, 'trivy');
  const installedSha = async () => (await readFile(join(toolDir, '.archive-sha256'), 'utf8').catch(() => '')).trim();

  if (existsSync(marker) && existsSync(exe) && (await installedSha()) === expected) {
    o.logger?.debug(`trivy ${version}: found in the tool cache at ${toolDir}`);
    return { path: exe, version, sha256: expected, source: 'tool-cache' };
  }
  const key = `trivy-${version}-${platform}-${arch}-${expected.slice(0, 16)}`;
  if (o.persistence) {
    await rm(toolDir, { recursive: true, force: true });
    if ((await o.persistence.restore(toolDir, key)) && existsSync(exe) && (await installedSha()) === expected) {
      await writeFile(marker, '');
      o.logger?.info(`trivy ${version}: restored from the Actions cache (${key})`);
      return { path: exe, version, sha256: expected, source: 'actions-cache' };
    }
    await rm(toolDir, { recursive: true, force: true });
  }

  const base = (o.downloadUrl ?? DEFAULT_TRIVY_DOWNLOAD_URL).replace(/\/+$/, '');
  const url = `${base}/v${version}/${asset}`;
  await mkdir(o.tempDir, { recursive: true });
  const archive = join(o.tempDir, `${asset}.${randomBytes(4).toString('hex')}`);
  const staging = `${toolDir}.partial-${randomBytes(4).toString('hex')}`;
  try {
    o.logger?.info(`Downloading ${url}`);
    const res = await getFollowing(o.get ?? defaultHttpGet(), url);
    const hash = createHash('sha256');
    const hasher = new Transform({
      transform(chunk, _enc, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    await pipeline(res.body, hasher, createWriteStream(archive));
    const actual = hash.digest('hex');
    if (actual !== expected) {
      throw new OperationError(
        `installing trivy ${version}`,
        `the archive from ${url} has SHA-256 ${actual}, not ${expected} (${o.checksum ? names.checksum : 'committed in this action'}): it was refused and nothing was installed`,
      );
    }
    await mkdir(staging, { recursive: true });
    const found = await extractTarGz(createReadStream(archive), staging, new Set(['trivy']));
    if (!found.includes('trivy')) {
      throw new OperationError(`installing trivy ${version}`, `the archive from ${url} holds no 'trivy' program`);
    }
    await chmod(join(staging, 'trivy'), 0o755);
    await writeFile(join(staging, '.archive-sha256'), `${expected}\n`);
    await rm(toolDir, { recursive: true, force: true });
    await mkdir(join(toolDir, '..'), { recursive: true });
    await rename(staging, toolDir);
    await writeFile(marker, '');
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  } finally {
    await rm(archive, { force: true });
  }
  if (o.persistence) {
    try {
      await o.persistence.save(toolDir, key);
    } catch (err) {
      o.logger?.debug(`trivy ${version}: not kept in the Actions cache: ${err instanceof Error ? err.message : err}`);
    }
  }
  return { path: exe, version, sha256: expected, source: 'download' };
}

/** How an action gets its Trivy: `trivy-path` wins; otherwise a verified install. */
export interface TrivySource {
  /** `trivy-path`: an executable used as given, nothing downloaded */
  path: string | undefined;
  version: string;
  downloadUrl: string;
  checksum: string | undefined;
}

/** The folder cache the installer keeps the tool folder in (the Actions cache's shape). */
export interface FolderCacheLike {
  restore(paths: string[], key: string): Promise<boolean>;
  save(paths: string[], key: string): Promise<boolean>;
}

/**
 * The trivy executable of an action run: `path` when given, else the release installed (or found)
 * in the runner's tool cache, kept across jobs in `cache` when there is one. The same code for
 * trivy-scan and sbom-sign, so both install the same verified binary in the same place.
 */
export async function resolveTrivyExecutable(
  source: TrivySource,
  o: {
    env: NodeJS.ProcessEnv;
    cache: FolderCacheLike | undefined;
    logger: { debug(msg: string): void; info(msg: string): void };
    get?: HttpGet;
  },
): Promise<string> {
  if (source.path) return source.path;
  const temp = o.env.RUNNER_TEMP || '/tmp';
  const cache = o.cache;
  const installed = await installTrivy({
    version: source.version,
    downloadUrl: source.downloadUrl,
    checksum: source.checksum,
    toolCacheDir: o.env.RUNNER_TOOL_CACHE || join(temp, 'tool-cache'),
    tempDir: join(temp, 'trivy-download'),
    persistence: cache
      ? {
          restore: (dir, key) => cache.restore([dir], key),
          save: async (dir, key) => {
            await cache.save([dir], key);
          },
        }
      : undefined,
    get: o.get,
    logger: o.logger,
  });
  o.logger.info(`trivy ${installed.version} (${installed.source}, archive sha256 ${installed.sha256})`);
  return installed.path;
}
