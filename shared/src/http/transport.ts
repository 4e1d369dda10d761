// The one HTTP seam of the suite (registries, the GitHub API, the OIDC and cloud token
// exchanges): kept-alive connections on Node's own http and https (./agents.ts), the proxy
// chosen per request from HTTPS_PROXY/HTTP_PROXY/NO_PROXY, and retries with exponential backoff
// and jitter on 429 (Retry-After honoured), 5xx, connection resets and timeouts. Redirects are
// never followed here: callers handle 3xx themselves so Authorization never travels to another
// host and streamed request bodies are never buffered.
import type { Readable } from 'node:stream';
import { discardBody, HttpAgents } from './agents.js';

export type Headers = Record<string, string | string[] | undefined>;

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: Buffer | string | Readable;
  /** gives the request up: no answer is waited for, no body read any more */
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** the body, to be read to its end, discarded (discardBody) or destroyed */
  body: Readable;
  url: string;
}

export interface RetryOptions {
  retries?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
}

export interface TransportOptions {
  retry?: RetryOptions;
  userAgent?: string;
  env?: NodeJS.ProcessEnv;
  logger?: { debug(msg: string): void };
  /** a Retry-After longer than this is cut to it (default 60 s) */
  retryAfterCapMs?: number;
  /** for tests: where the waiting between attempts happens */
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY: Required<RetryOptions> = { retries: 4, minDelayMs: 500, maxDelayMs: 30_000 };

/** Statuses worth another attempt: throttling and server-side failures (not 501/505: those are final). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  // the same failures as Node's own fetch reports them (in the cause of 'fetch failed')
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** A failure of the connection rather than an answer: resets, closed sockets, timeouts. */
export function isRetryableNetworkError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof RetryableStatusError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && RETRYABLE_CODES.has(code)) return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && /^(terminated|other side closed|socket hang up)$|ECONNRESET/i.test(message)) {
      return true;
    }
  }
  return false;
}

/** Thrown inside a retried operation when the registry answered with a retryable status. */
export class RetryableStatusError extends Error {
  readonly status: number;
  readonly retryAfterMs: number | undefined;
  readonly response: { status: number; headers: Headers; text: string };
  constructor(status: number, headers: Headers, text: string, retryAfterMs: number | undefined) {
    super(`HTTP ${status}`);
    this.name = 'RetryableStatusError';
    this.status = status;
    this.retryAfterMs = retryAfterMs;
    this.response = { status, headers, text };
  }
}

/**
 * Retry-After as milliseconds: delay-seconds or an HTTP date (relative to `now`). Undefined when
 * absent or unreadable; 0 for a date in the past.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (/^\d+\.\d+$/.test(text)) return Math.round(Number(text) * 1000);
  if (!/[a-z]/i.test(text)) return undefined;
  const when = Date.parse(text);
  if (Number.isNaN(when)) return undefined;
  return Math.max(0, when - now);
}

/**
 * Delay before retry number `attempt` (0-based): exponential from minDelayMs, capped at
 * maxDelayMs, with jitter over the upper half so concurrent clients spread out.
 */
export function backoffDelay(
  attempt: number,
  retry: Required<RetryOptions>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(retry.maxDelayMs, retry.minDelayMs * 2 ** attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * The `rel="next"` target of a Link header, resolved against the request URL:
 * `</v2/r/tags/list?n=100&last=x>; rel="next"` → absolute URL.
 */
export function parseLinkNext(value: string | string[] | undefined, requestUrl: string): string | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(', ') : value;
  // Links are `<uri>; params` separated by commas; a comma may also stand inside a quoted param.
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('<', i);
    if (open < 0) break;
    const close = text.indexOf('>', open);
    if (close < 0) break;
    const uri = text.slice(open + 1, close);
    let j = close + 1;
    let quoted = false;
    for (; j < text.length; j++) {
      const ch = text[j];
      if (ch === '"') quoted = !quoted;
      else if (ch === '\\' && quoted) j++;
      else if (ch === ',' && !quoted) break;
    }
    const params = text.slice(close + 1, j);
    i = j + 1;
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(params);
    const rels = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (rels.includes('next')) {
      try {
        return new URL(uri, requestUrl).toString();
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** A header's first value. */
export function header(headers: Headers, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * The proxy for a URL by the usual environment variables (lower case first, as curl does).
 * Loopback hosts always go direct; NO_PROXY holds `*`, host names (`example.com` also covers
 * subdomains, `.example.com` and `*.example.com` only those), `host:port` and IP addresses.
 */
export function proxyFor(url: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const u = new URL(url);
  const proxy = u.protocol === 'https:' ? env.https_proxy || env.HTTPS_PROXY : env.http_proxy || env.HTTP_PROXY;
  if (!proxy) return undefined;
  const hostname = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isLoopback(hostname)) return undefined;
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  const noProxy = (env.no_proxy ?? env.NO_PROXY ?? '').toLowerCase();
  for (const raw of noProxy.split(/[\s,]+/)) {
    if (raw === '') continue;
    if (raw === '*') return undefined;
    let entry = raw.replace(/^\*?\./, '.');
    let entryPort: string | undefined;
    const m = /^(.*?)(?::(\d+))?$/.exec(entry);
    if (m && !entry.includes('::')) {
      entry = m[1] ?? entry;
      entryPort = m[2];
    }
    entry = entry.replace(/^\[|\]$/g, '');
    if (entryPort && entryPort !== port) continue;
    if (entry.startsWith('.')) {
      if (hostname.endsWith(entry)) return undefined;
    } else if (hostname === entry || hostname.endsWith(`.${entry}`)) {
      return undefined;
    }
  }
  return proxy;
}

const sleepReal = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Transport {
  private readonly agents = new HttpAgents();
  private readonly env: NodeJS.ProcessEnv;
  private readonly userAgent: string;
  readonly retry: Required<RetryOptions>;
  private readonly retryAfterCapMs: number;
  private readonly logger?: { debug(msg: string): void };
  private readonly sleep: (ms: number) => Promise<void>;
  private count = 0;

  constructor(options: TransportOptions = {}) {
    this.env = options.env ?? process.env;
    this.userAgent = options.userAgent ?? 'container-image-actions';
    this.retry = {
      ...DEFAULT_RETRY,
      ...Object.fromEntries(Object.entries(options.retry ?? {}).filter(([, v]) => v !== undefined)),
    };
    this.retryAfterCapMs = options.retryAfterCapMs ?? 60_000;
    this.logger = options.logger;
    this.sleep = options.sleep ?? sleepReal;
  }

  requestCount(): number {
    return this.count;
  }

  /** One HTTP exchange, no retry, no redirect following. The caller consumes or discards the body. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    this.count++;
    const headers: Record<string, string> = { 'user-agent': this.userAgent, ...(req.headers ?? {}) };
    const res = await this.agents.exchange(
      { method: req.method, url: new URL(req.url), headers, body: req.body, signal: req.signal },
      proxyFor(req.url, this.env),
    );
    return { status: res.statusCode ?? 0, headers: res.headers as Headers, body: res, url: req.url };
  }

  /**
   * Runs `attempt` until it succeeds, a non-retryable error comes, or the retries are spent.
   * A retryable status is signalled by throwing RetryableStatusError (see `retryableStatus`).
   */
  async retrying<T>(operation: string, attempt: (n: number) => Promise<T>): Promise<T> {
    for (let n = 0; ; n++) {
      try {
        return await attempt(n);
      } catch (err) {
        if (n >= this.retry.retries || !isRetryableNetworkError(err)) throw err;
        let delay = backoffDelay(n, this.retry);
        if (err instanceof RetryableStatusError && err.retryAfterMs !== undefined) {
          delay = Math.min(Math.max(delay, err.retryAfterMs), this.retryAfterCapMs);
        }
        const why = err instanceof RetryableStatusError ? `HTTP ${err.status}` : describeNetworkError(err);
        this.logger?.debug(`${operation}: ${why}; retry ${n + 1}/${this.retry.retries} in ${delay} ms`);
        await this.sleep(delay);
      }
    }
  }

  /** Reads (bounded) and throws a RetryableStatusError when the response status is worth a retry. */
  async throwIfRetryable(res: HttpResponse): Promise<void> {
    if (!isRetryableStatus(res.status)) return;
    const text = await readText(res, 64 * 1024);
    throw new RetryableStatusError(res.status, res.headers, text, parseRetryAfter(header(res.headers, 'retry-after')));
  }

  async close(): Promise<void> {
    this.agents.close();
  }
}

/** A network error in a few words, without anything a server sent. */
export function describeNetworkError(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    const message = (e as { message?: unknown }).message;
    const text = [typeof code === 'string' ? code : '', typeof message === 'string' ? message : '']
      .filter(Boolean)
      .join(' ');
    if (text && !parts.includes(text)) parts.push(text);
  }
  return parts.join(': ') || String(err);
}

/** The body as text, at most `max` bytes (the rest is discarded). */
export async function readText(res: HttpResponse, max = 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      const b = chunk as Buffer;
      if (size < max) chunks.push(b.subarray(0, max - size));
      size += b.length;
    }
  } catch {
    // a body cut short still says what it said so far
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Drops what is left of a response's body; a body that breaks off just means the connection is not reused. */
export async function discardResponse(res: HttpResponse): Promise<void> {
  try {
    await discardBody(res.body);
  } catch {
    // the connection is dropped instead of reused; nothing else to do
  }
}
