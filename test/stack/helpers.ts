// Helpers that tests share with the test stack: run skopeo against the plain-HTTP registries,
// write real images and indexes straight through the registry HTTP API (fixtures that do not
// depend on the product's own registry client), count the registry's request lines, talk to
// the token server, and build tiny FROM scratch images with docker. Nothing here imports
// product code, so tests can use it to check product code independently.
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type RunResult, run } from './processes.js';
import type { Access, TokenLogEntry } from './token-server.js';
import type { DockerEndpoint, RegistryEndpoint, StackUser, TokenRegistryEndpoint } from './types.js';

export type { RunResult } from './processes.js';
export type { Access, TokenLogEntry } from './token-server.js';
export type * from './types.js';

export const MEDIA = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export const sha256 = (data: Buffer | string): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

// ---------------------------------------------------------------------------------------------
// skopeo

const TLS_ONE = new Set(['inspect', 'list-tags', 'delete', 'login', 'logout']);
const TLS_TWO = new Set(['copy', 'sync']);
// global options whose value is the next argument (unless written as --flag=value)
const GLOBAL_WITH_VALUE = new Set([
  '--command-timeout',
  '--override-arch',
  '--override-os',
  '--override-variant',
  '--policy',
  '--registries.d',
  '--registries-conf',
  '--tmpdir',
]);

/**
 * Runs skopeo with `--insecure-policy` and, unless `args` already say something about TLS,
 * the flags that let it speak plain HTTP to the stack's registries (`--tls-verify=false`, or
 * `--src-tls-verify=false --dest-tls-verify=false` for copy/sync). Never throws for a non-zero
 * exit: check `code`.
 */
export function skopeo(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; binary?: string } = {},
): Promise<RunResult> {
  return run(opts.binary ?? 'skopeo', skopeoArgs(args), {
    env: opts.env,
    input: opts.input,
    timeoutMs: opts.timeoutMs,
  });
}

/** The argument list `skopeo()` runs, for callers that spawn skopeo themselves. */
export function skopeoArgs(args: string[]): string[] {
  let sub = 0;
  while (sub < args.length && args[sub].startsWith('-')) sub += GLOBAL_WITH_VALUE.has(args[sub]) ? 2 : 1;
  if (sub >= args.length) return args;
  const global = args.slice(0, sub);
  const command = args[sub];
  const rest = args.slice(sub + 1);
  if (!global.includes('--insecure-policy')) global.unshift('--insecure-policy');
  const tls: string[] = [];
  if (!rest.some((a) => a.includes('tls-verify'))) {
    if (TLS_ONE.has(command)) tls.push('--tls-verify=false');
    if (TLS_TWO.has(command)) tls.push('--src-tls-verify=false', '--dest-tls-verify=false');
  }
  return [...global, command, ...tls, ...rest];
}

/** `skopeo inspect --raw` of a reference (`host/repo:tag` or `host/repo@digest`): the manifest bytes. */
export async function skopeoRaw(reference: string, creds?: StackUser): Promise<string> {
  const args = ['inspect', '--raw'];
  if (creds) args.push('--creds', `${creds.username}:${creds.password}`);
  const r = await skopeo([...args, `docker://${reference}`]);
  if (r.code !== 0) throw new Error(`skopeo inspect --raw ${reference} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

// ---------------------------------------------------------------------------------------------
// a minimal registry HTTP client (Basic and Bearer challenges), independent of product code

export type RegistryCredentials = StackUser | { bearer: string };

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const m = /^(\w+)\s*(.*)$/.exec(header.trim());
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2].matchAll(/(\w+)="([^"]*)"/g)) params[p[1]] = p[2];
  return { scheme: m[1].toLowerCase(), params };
}

const tokenCache = new Map<string, { token: string; until: number }>();

const basic = (u: StackUser) => `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}`;

/**
 * Sends one request to a registry; on a 401 it answers the challenge once (Basic with the
 * credentials, or Bearer by asking the challenge's realm for the challenge's scope).
 */
export async function registryFetch(
  registry: RegistryEndpoint | string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
  creds?: RegistryCredentials,
): Promise<Response> {
  const base = typeof registry === 'string' ? registry : registry.url;
  const url = new URL(path, base);
  const send = (authorization?: string) =>
    fetch(url, {
      method: init.method ?? 'GET',
      headers: { ...init.headers, ...(authorization ? { authorization } : {}) },
      body: init.body,
      redirect: 'manual',
    });
  if (creds && 'bearer' in creds) return send(`Bearer ${creds.bearer}`);
  const first = await send();
  if (first.status !== 401 || !creds) return first;
  const challenge = parseChallenge(first.headers.get('www-authenticate'));
  await first.arrayBuffer();
  if (challenge?.scheme === 'basic') return send(basic(creds));
  if (challenge?.scheme === 'bearer' && challenge.params.realm) {
    const tokenUrl = new URL(challenge.params.realm);
    if (challenge.params.service) tokenUrl.searchParams.set('service', challenge.params.service);
    if (challenge.params.scope) tokenUrl.searchParams.set('scope', challenge.params.scope);
    // fixtures push several blobs at once: one token per user and scope keeps the token log readable
    const key = `${creds.username}\n${sha256(creds.password)}\n${tokenUrl}`;
    const cached = tokenCache.get(key);
    let token = cached && cached.until > Date.now() ? cached.token : undefined;
    if (!token) {
      const res = await fetch(tokenUrl, { headers: { authorization: basic(creds) } });
      const body = (await res.json()) as { token?: string; access_token?: string };
      token = body.token ?? body.access_token;
      if (!res.ok || !token) throw new Error(`token request to ${tokenUrl} answered ${res.status}`);
      tokenCache.set(key, { token, until: Date.now() + 60_000 });
    }
    return send(`Bearer ${token}`);
  }
  throw new Error(`registry ${url} answered 401 with an unknown challenge`);
}

async function expectStatus(res: Response, expected: number[], what: string): Promise<void> {
  if (expected.includes(res.status)) return;
  const text = await res.text().catch(() => '');
  throw new Error(`${what}: HTTP ${res.status} ${text.slice(0, 500)}`);
}

/** Uploads one blob (POST + monolithic PUT) unless the repository already has it; returns its digest. */
export async function pushBlob(
  registry: RegistryEndpoint | string,
  repo: string,
  data: Buffer,
  creds?: RegistryCredentials,
): Promise<string> {
  const digest = sha256(data);
  const head = await registryFetch(registry, `/v2/${repo}/blobs/${digest}`, { method: 'HEAD' }, creds);
  await head.arrayBuffer();
  if (head.status === 200) return digest;
  const start = await registryFetch(registry, `/v2/${repo}/blobs/uploads/`, { method: 'POST' }, creds);
  await expectStatus(start, [202], `start blob upload to ${repo}`);
  const location = start.headers.get('location');
  if (!location) throw new Error(`blob upload to ${repo}: no Location header`);
  const base = typeof registry === 'string' ? registry : registry.url;
  const put = new URL(location, base);
  put.searchParams.set('digest', digest);
  const done = await registryFetch(
    registry,
    put.toString(),
    { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: data },
    creds,
  );
  await expectStatus(done, [201], `finish blob upload of ${digest} to ${repo}`);
  await done.arrayBuffer();
  return digest;
}

/** PUTs manifest bytes under a tag or a digest; returns the digest the registry reports. */
export async function putManifest(
  registry: RegistryEndpoint | string,
  repo: string,
  reference: string,
  raw: string,
  mediaType: string,
  creds?: RegistryCredentials,
): Promise<string> {
  const res = await registryFetch(
    registry,
    `/v2/${repo}/manifests/${reference}`,
    { method: 'PUT', headers: { 'content-type': mediaType }, body: raw },
    creds,
  );
  await expectStatus(res, [201], `put manifest ${repo}:${reference}`);
  await res.arrayBuffer();
  return res.headers.get('docker-content-digest') ?? sha256(raw);
}

// ---------------------------------------------------------------------------------------------
// images

/** A ustar archive of regular files, gzipped; `diffId` is the digest of the uncompressed tar. */
export function tarGz(files: { name: string; data: Buffer | string; mode?: number }[]): {
  gz: Buffer;
  diffId: string;
} {
  const blocks: Buffer[] = [];
  for (const f of files) {
    const data = Buffer.from(f.data);
    const header = Buffer.alloc(512);
    const field = (offset: number, length: number, value: string) => header.write(value, offset, length, 'ascii');
    const octal = (n: number, width: number) => `${n.toString(8).padStart(width - 1, '0')}\0`;
    field(0, 100, f.name);
    field(100, 8, octal(f.mode ?? 0o644, 8));
    field(108, 8, octal(0, 8));
    field(116, 8, octal(0, 8));
    field(124, 12, octal(data.length, 12));
    field(136, 12, octal(0, 12));
    field(148, 8, '        ');
    field(156, 1, '0');
    field(257, 6, 'ustar\0');
    field(263, 2, '00');
    let sum = 0;
    for (const b of header) sum += b;
    field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  const tar = Buffer.concat(blocks);
  return { gz: gzipSync(tar), diffId: sha256(tar) };
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export function parsePlatform(platform: string): Platform {
  const [os, architecture, variant] = platform.split('/');
  if (!os || !architecture) throw new Error(`platform '${platform}' is not os/arch[/variant]`);
  return variant ? { os, architecture, variant } : { os, architecture };
}

export interface RandomImageOptions {
  /** number of layers (default 1) */
  layers?: number;
  /** bytes of random content per layer (default 1024) */
  layerSize?: number;
  /** os/arch[/variant] (default linux/amd64) */
  platform?: string;
  /** manifest and config media types (default docker schema 2) */
  format?: 'docker' | 'oci';
  labels?: Record<string, string>;
  /** manifest annotations (OCI only) */
  annotations?: Record<string, string>;
  creds?: RegistryCredentials;
}

export interface PushedImage {
  /** digest of the manifest */
  digest: string;
  /** the manifest bytes as sent */
  raw: string;
  manifest: {
    schemaVersion: number;
    mediaType: string;
    config: { mediaType: string; digest: string; size: number };
    layers: { mediaType: string; digest: string; size: number }[];
    annotations?: Record<string, string>;
  };
  mediaType: string;
  /** size of the manifest bytes */
  size: number;
  configDigest: string;
  layerDigests: string[];
  platform: Platform;
  /** host/repo@digest */
  reference: string;
}

/**
 * Writes a real, runnable-by-tooling image (config JSON, gzip tar layers of random bytes) to
 * the registry and tags it (`tag` undefined: pushed by digest only).
 */
export async function pushRandomImage(
  registry: RegistryEndpoint,
  repo: string,
  tag: string | undefined,
  opts: RandomImageOptions = {},
): Promise<PushedImage> {
  const oci = opts.format === 'oci';
  const platform = parsePlatform(opts.platform ?? 'linux/amd64');
  const layers = Array.from({ length: opts.layers ?? 1 }, (_, i) =>
    tarGz([{ name: `data/layer-${i}.bin`, data: randomBytes(opts.layerSize ?? 1024) }]),
  );
  const created = new Date().toISOString();
  const config = {
    created,
    ...platform,
    config: {
      Cmd: ['/bin/busybox', 'true'],
      // makes every image unique even with no layers
      Labels: { 'stack.random': randomBytes(8).toString('hex'), ...opts.labels },
    },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map(() => ({ created, created_by: 'test stack random layer' })),
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const [configDigest, ...layerDigests] = await Promise.all([
    pushBlob(registry, repo, configBytes, opts.creds),
    ...layers.map((l) => pushBlob(registry, repo, l.gz, opts.creds)),
  ]);
  const mediaType = oci ? MEDIA.ociManifest : MEDIA.dockerManifest;
  const manifest: PushedImage['manifest'] = {
    schemaVersion: 2,
    mediaType,
    config: { mediaType: oci ? MEDIA.ociConfig : MEDIA.dockerConfig, digest: configDigest, size: configBytes.length },
    layers: layers.map((l, i) => ({
      mediaType: oci ? MEDIA.ociLayer : MEDIA.dockerLayer,
      digest: layerDigests[i],
      size: l.gz.length,
    })),
  };
  if (opts.annotations) {
    if (!oci) throw new Error('annotations need format: oci');
    manifest.annotations = opts.annotations;
  }
  const raw = JSON.stringify(manifest, null, 2);
  const digest = sha256(raw);
  const reported = await putManifest(registry, repo, tag ?? digest, raw, mediaType, opts.creds);
  if (reported !== digest) throw new Error(`registry reports ${reported} for a manifest whose digest is ${digest}`);
  return {
    digest,
    raw,
    manifest,
    mediaType,
    size: Buffer.byteLength(raw),
    configDigest,
    layerDigests,
    platform,
    reference: `${registry.host}/${repo}@${digest}`,
  };
}

export interface PushedIndex {
  digest: string;
  raw: string;
  index: {
    schemaVersion: number;
    mediaType: string;
    manifests: { mediaType: string; digest: string; size: number; platform: Platform }[];
    annotations?: Record<string, string>;
  };
  mediaType: string;
  children: PushedImage[];
  reference: string;
}

/**
 * Pushes one random image per platform (by digest) and a multi-platform index (OCI) or
 * manifest list (docker) over them, tagged `tag` (undefined: by digest only). `children`
 * reuses images already pushed to the same repository instead of making new ones.
 */
export async function pushIndex(
  registry: RegistryEndpoint,
  repo: string,
  tag: string | undefined,
  opts: Omit<RandomImageOptions, 'platform'> & { platforms?: string[]; children?: PushedImage[] } = {},
): Promise<PushedIndex> {
  const oci = opts.format === 'oci';
  const children =
    opts.children ??
    (await Promise.all(
      (opts.platforms ?? ['linux/amd64', 'linux/arm64']).map((platform) =>
        pushRandomImage(registry, repo, undefined, { ...opts, platform, annotations: undefined }),
      ),
    ));
  const mediaType = oci ? MEDIA.ociIndex : MEDIA.dockerList;
  const index: PushedIndex['index'] = {
    schemaVersion: 2,
    mediaType,
    manifests: children.map((c) => ({ mediaType: c.mediaType, digest: c.digest, size: c.size, platform: c.platform })),
  };
  if (opts.annotations) {
    if (!oci) throw new Error('annotations need format: oci');
    index.annotations = opts.annotations;
  }
  const raw = JSON.stringify(index, null, 2);
  const digest = sha256(raw);
  const reported = await putManifest(registry, repo, tag ?? digest, raw, mediaType, opts.creds);
  if (reported !== digest) throw new Error(`registry reports ${reported} for an index whose digest is ${digest}`);
  return { digest, raw, index, mediaType, children, reference: `${registry.host}/${repo}@${digest}` };
}

// ---------------------------------------------------------------------------------------------
// registry request log

export interface AccessLogEntry {
  method: string;
  /** request URI as logged, with the query */
  uri: string;
  path: string;
  query: URLSearchParams;
  status: number;
}

const ACCESS_LINE = /\] "([A-Z]+) (\S+) HTTP\/[\d.]+" (\d{3}) /;

/** Every request line of a registry's access log (the combined-log-format lines). */
export function readRequests(logFile: string): AccessLogEntry[] {
  if (!existsSync(logFile)) return [];
  const out: AccessLogEntry[] = [];
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    const m = ACCESS_LINE.exec(line);
    if (!m) continue;
    const url = new URL(m[2], 'http://registry');
    out.push({ method: m[1], uri: m[2], path: url.pathname, query: url.searchParams, status: Number(m[3]) });
  }
  return out;
}

export type RequestPattern =
  | RegExp
  | { method?: string; path?: string | RegExp; status?: number; query?: Record<string, string | true> };

/**
 * Counts the registry requests that match: a RegExp is tested against `"METHOD URI"`; an object
 * matches method, path (exact string or RegExp), status, and query parameters (`true`: present).
 * Registries are shared by parallel test files: match on the test's own repository path.
 */
export function countRequests(logFile: string, pattern: RequestPattern): number {
  return readRequests(logFile).filter((e) => {
    if (pattern instanceof RegExp) return pattern.test(`${e.method} ${e.uri}`);
    if (pattern.method && pattern.method !== e.method) return false;
    if (pattern.status !== undefined && pattern.status !== e.status) return false;
    if (pattern.path !== undefined) {
      if (typeof pattern.path === 'string' ? pattern.path !== e.path : !pattern.path.test(e.path)) return false;
    }
    for (const [k, v] of Object.entries(pattern.query ?? {})) {
      if (v === true ? !e.query.has(k) : e.query.get(k) !== v) return false;
    }
    return true;
  }).length;
}

// ---------------------------------------------------------------------------------------------
// token server

/** The token server's request log: one JSON line per request, beside the token registry's log. */
export function tokenLogFile(token: TokenRegistryEndpoint): string {
  return join(dirname(token.logFile), 'token-server.log');
}

export function readTokenLog(token: TokenRegistryEndpoint): TokenLogEntry[] {
  const file = tokenLogFile(token);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TokenLogEntry);
}

export interface TokenResponse {
  status: number;
  body: Record<string, unknown>;
  token?: string;
  refreshToken?: string;
  /** the `access` claim of the issued token */
  access: Access[];
}

export function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [h, c] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')),
    claims: JSON.parse(Buffer.from(c, 'base64url').toString('utf8')),
  };
}

async function tokenResult(res: Response): Promise<TokenResponse> {
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  const token = typeof body.token === 'string' ? body.token : undefined;
  return {
    status: res.status,
    body,
    token,
    refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : undefined,
    access: token ? ((decodeJwt(token).claims.access as Access[] | undefined) ?? []) : [],
  };
}

/** GET /token with basic auth (`user` null: anonymous) for the given scopes. */
export async function fetchToken(
  token: TokenRegistryEndpoint,
  user: StackUser | null,
  scopes: string[],
  opts: { offline?: boolean; service?: string } = {},
): Promise<TokenResponse> {
  const url = new URL('/token', token.tokenUrl);
  url.searchParams.set('service', opts.service ?? token.service);
  for (const s of scopes) url.searchParams.append('scope', s);
  if (opts.offline) {
    url.searchParams.set('offline_token', 'true');
    url.searchParams.set('client_id', 'stack-tests');
  }
  return tokenResult(await fetch(url, { headers: user ? { authorization: basic(user) } : {} }));
}

/** POST /token with a form (grant_type=password or refresh_token; scope may repeat). */
export async function postToken(
  token: TokenRegistryEndpoint,
  form: Record<string, string | string[]>,
): Promise<TokenResponse> {
  const body = new URLSearchParams();
  body.set('service', token.service);
  body.set('client_id', 'stack-tests');
  for (const [k, v] of Object.entries(form)) {
    body.delete(k);
    for (const item of Array.isArray(v) ? v : [v]) body.append(k, item);
  }
  return tokenResult(
    await fetch(new URL('/token', token.tokenUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
    }),
  );
}

/** A bearer token for `user` and the scopes; throws unless the token server answers 200. */
export async function bearerToken(token: TokenRegistryEndpoint, user: StackUser, scopes: string[]): Promise<string> {
  const r = await fetchToken(token, user, scopes);
  if (r.status !== 200 || !r.token) throw new Error(`token server answered ${r.status} for ${user.username}`);
  return r.token;
}

// ---------------------------------------------------------------------------------------------
// docker

/** Runs the docker CLI against the stack's daemon; `config` is a DOCKER_CONFIG dir (logins). */
export function docker(
  endpoint: DockerEndpoint,
  args: string[],
  opts: { config?: string; cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: endpoint.host, DOCKER_BUILDKIT: '0', ...opts.env };
  const global = opts.config ? ['--config', opts.config] : [];
  return run('docker', [...global, ...args], {
    env,
    cwd: opts.cwd,
    input: opts.input,
    timeoutMs: opts.timeoutMs ?? 120_000,
  });
}

/**
 * Builds a tiny FROM scratch image holding the static busybox and a random file (so every
 * build is a distinct image) with the classic builder, tagged `tag`. Returns the image ID.
 */
export async function buildTinyImage(
  endpoint: DockerEndpoint,
  busybox: string,
  tag: string,
  opts: { config?: string } = {},
): Promise<string> {
  const context = mkdtempSync(join(tmpdir(), 'stack-ctx-'));
  try {
    copyFileSync(busybox, join(context, 'busybox'));
    writeFileSync(join(context, 'random.txt'), randomBytes(16).toString('hex'));
    writeFileSync(
      join(context, 'Dockerfile'),
      'FROM scratch\nCOPY busybox /bin/busybox\nCOPY random.txt /random.txt\nCMD ["/bin/busybox", "true"]\n',
    );
    const r = await docker(endpoint, ['build', '--network', 'host', '-q', '-t', tag, context], { config: opts.config });
    if (r.code !== 0) throw new Error(`docker build ${tag} failed (${r.code}): ${r.stderr.trim()}`);
    return r.stdout.trim().split('\n').pop() ?? '';
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}
