// The Sigstore trusted root (Fulcio, Rekor, CT log and TSA keys) keyless verification checks
// against: a trusted_root.json file given by the user, or the `trusted_root.json` target of a
// TUF repository (the public-good one at tuf-repo-cdn.sigstore.dev, with the root.json that
// @sigstore/tuf embeds, or a private instance's mirror and initial root). tuf-js does the TUF
// client workflow; its downloads go through the suite's own transport, so proxies, NO_PROXY and
// retries behave as for every other request. The metadata and the target are kept in a cache
// directory per mirror and initial root: a later gate in the same job fetches the timestamp
// (and what it says changed) only. tuf-js is loaded with import() on this path alone.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { describeError } from '../errors.js';
import { discardResponse, type HttpResponse, RetryableStatusError, Transport } from '../http/transport.js';
import { foreignText as f } from './foreign-text.js';

export const PUBLIC_GOOD_TUF_MIRROR = 'https://tuf-repo-cdn.sigstore.dev';
const TARGET = 'trusted_root.json';
const MAX_REDIRECTS = 5;

export interface TufSource {
  /** the repository's base URL (metadata at <mirror>/N.root.json, targets under <mirror>/targets) */
  mirror: string;
  /** the initial root.json; for the public-good mirror, the one @sigstore/tuf embeds when absent */
  initialRoot?: Buffer;
  /** where metadata and targets are kept between runs (one folder per mirror and initial root is made in it) */
  cacheDir: string;
  /** the HTTP transport (default: one with the process's proxy settings, 2 retries) */
  transport?: Transport;
}

export type TrustedRootSource = { json: unknown } | { tuf: TufSource };

/** A failure to obtain the trusted root through TUF: the message names TUF and the mirror. */
export class TufError extends Error {
  constructor(mirror: string, detail: string) {
    super(`TUF repository ${f(mirror)}: ${detail}`);
    this.name = 'TufError';
  }
}

/** The reason a parsed document is not a Sigstore trusted root, or undefined when it looks like one. */
export function trustedRootProblem(doc: unknown): string | undefined {
  const root = doc as { certificateAuthorities?: unknown } | null;
  if (!root || typeof root !== 'object' || !Array.isArray(root.certificateAuthorities)) {
    return 'has no certificateAuthorities';
  }
  return undefined;
}

/** The TrustedRoot JSON, from the given document or through TUF. */
export async function loadTrustedRoot(source: TrustedRootSource): Promise<unknown> {
  if ('json' in source) return source.json;
  return fetchTrustedRootFromTuf(source.tuf);
}

/** The cache folder of one mirror and initial root (another root for the same URL starts afresh). */
export function tufCacheDir(cacheDir: string, mirror: string, initialRoot: Buffer | undefined): string {
  const url = new URL(mirror);
  const name = `${url.host}${url.pathname.replace(/\/+$/, '')}`.replace(/[^A-Za-z0-9.-]+/g, '_');
  const root = initialRoot ? createHash('sha256').update(initialRoot).digest('hex').slice(0, 12) : 'embedded';
  return join(cacheDir, `${name}-${root}`);
}

interface Seed {
  root: Buffer;
  targets: Record<string, Buffer>;
}

async function embeddedSeed(mirror: string): Promise<Seed | undefined> {
  const seeds = (await import('@sigstore/tuf/seeds.json', { with: { type: 'json' } })).default as Record<
    string,
    { 'root.json': string; targets: Record<string, string> }
  >;
  const seed = seeds[mirror.replace(/\/+$/, '')];
  if (!seed) return undefined;
  return {
    root: Buffer.from(seed['root.json'], 'base64'),
    targets: Object.fromEntries(Object.entries(seed.targets).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  };
}

export async function fetchTrustedRootFromTuf(source: TufSource): Promise<unknown> {
  const mirror = source.mirror.replace(/\/+$/, '');
  let seed: Seed | undefined;
  if (source.initialRoot) {
    seed = { root: source.initialRoot, targets: {} };
  } else {
    seed = await embeddedSeed(mirror);
    if (!seed) throw new TufError(mirror, 'no initial root.json is known for this mirror (give tuf-root)');
  }
  const dir = tufCacheDir(source.cacheDir, mirror, source.initialRoot);
  const targetDir = join(dir, 'targets');
  try {
    mkdirSync(targetDir, { recursive: true });
    if (!existsSync(join(dir, 'root.json'))) {
      writeFileSync(join(dir, 'root.json'), seed.root);
      // a target shipped with the root is used when the signed metadata still names its hash
      for (const [name, bytes] of Object.entries(seed.targets)) writeFileSync(join(targetDir, name), bytes);
    }
  } catch (err) {
    throw new TufError(mirror, `the cache ${dir} cannot be written (${describeError(err)})`);
  }

  const { Updater, BaseFetcher } = await import('tuf-js');
  const { DownloadHTTPError } = await import('tuf-js/dist/error.js');
  const own = source.transport ? undefined : new Transport({ retry: { retries: 2 } });
  const transport = (source.transport ?? own) as Transport;

  // the last download's failure, if the last download failed: what a later error is really about
  let downloadFailure: string | undefined;
  class TransportFetcher extends BaseFetcher {
    override async fetch(url: string): Promise<Readable> {
      downloadFailure = undefined;
      let current = url;
      for (let hops = 0; ; hops++) {
        let res: HttpResponse;
        try {
          res = await transport.retrying(`GET ${current}`, async () => {
            const r = await transport.send({ method: 'GET', url: current });
            await transport.throwIfRetryable(r);
            return r;
          });
        } catch (err) {
          const why = err instanceof RetryableStatusError ? `HTTP ${err.status}` : describeError(err);
          downloadFailure = `${current}: ${why}`;
          throw new Error(downloadFailure);
        }
        const location = res.headers.location;
        if (res.status >= 300 && res.status < 400 && typeof location === 'string' && hops < MAX_REDIRECTS) {
          await discardResponse(res);
          current = new URL(location, current).href;
          continue;
        }
        if (res.status !== 200) {
          await discardResponse(res);
          downloadFailure = `${current}: HTTP ${res.status}`;
          // tuf-js reads 403/404 of the next root version as "no newer root"
          throw new DownloadHTTPError(downloadFailure, res.status);
        }
        return res.body;
      }
    }
  }
  const failure = (stage: string, err: unknown): TufError => {
    if (err instanceof TufError) return err;
    if (downloadFailure) return new TufError(mirror, `cannot download ${f(downloadFailure, 300)}`);
    return new TufError(mirror, `${stage}: ${f(describeTufError(err), 300)}`);
  };

  const options = {
    metadataBaseUrl: mirror,
    targetBaseUrl: `${mirror}/targets`,
    metadataDir: dir,
    targetDir,
    fetcher: new TransportFetcher(),
  };
  try {
    let updater: InstanceType<typeof Updater>;
    try {
      updater = new Updater(options);
    } catch {
      // a cached root.json that does not load (cut short by a run that stopped while writing it):
      // start again from the initial root, which the update walks forward from
      writeFileSync(join(dir, 'root.json'), seed.root);
      updater = new Updater(options);
    }
    let info: Awaited<ReturnType<typeof updater.getTargetInfo>>;
    try {
      info = await updater.getTargetInfo(TARGET);
    } catch (err) {
      throw failure('its metadata is refused', err);
    }
    if (!info) throw new TufError(mirror, `its targets metadata has no ${TARGET}`);
    let path: string;
    try {
      path = (await updater.findCachedTarget(info)) ?? (await updater.downloadTarget(info));
    } catch (err) {
      throw failure(`its ${TARGET} target is refused`, err);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      throw new TufError(mirror, `its ${TARGET} target is not JSON`);
    }
    const problem = trustedRootProblem(doc);
    if (problem) throw new TufError(mirror, `its ${TARGET} target ${problem}`);
    return doc;
  } catch (err) {
    throw failure('the trusted root cannot be updated', err);
  } finally {
    await own?.close();
  }
}

/** tuf-js wraps causes into its messages ("Unable to load snapshot metadata error Error: ..."): one clean line. */
function describeTufError(err: unknown): string {
  return describeError(err)
    .replace(/ error (\w*Error): /g, ': ')
    .replace(/^(\w*Error): /, '');
}
