// The HTTP seam for the cloud credential exchanges: fetch with retries on what is transient
// (429 honouring Retry-After, 5xx, connection resets), and network failures described in words
// (unreachable, TLS). 401/403 come back to the caller, which knows what they mean for its API.
// Requests go through the shared transport: HTTPS_PROXY / HTTP_PROXY / NO_PROXY apply.
import { OperationError } from '#shared/errors.js';
import type { HttpFetch } from '#shared/http/fetch.js';

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
}

export interface HttpClient {
  request(
    operation: string,
    url: string,
    init: { method: string; headers?: Record<string, string>; body?: string },
  ): Promise<HttpResponse>;
}

export interface HttpOptions {
  /** how requests are sent (default: the shared transport, proxies honoured) */
  fetch?: HttpFetch;
  /** where the proxy variables are read (default process.env) */
  env?: NodeJS.ProcessEnv;
  retries?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  debug?: (message: string) => void;
}

const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

const TRANSIENT_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET', 'EAI_AGAIN', 'ECONNABORTED']);

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A network failure in words: what kind of problem it is, so users know where to look. */
export function describeNetworkError(err: unknown, url: string): { detail: string; transient: boolean } {
  const code = errorCode(err);
  const host = new URL(url).host;
  if (code && (TLS_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL'))) {
    return { detail: `TLS problem talking to ${host} (${code})`, transient: false };
  }
  if (code === 'ECONNREFUSED') return { detail: `${host} is unreachable (connection refused)`, transient: true };
  if (code === 'ENOTFOUND') return { detail: `${host} is unreachable (host name not found)`, transient: false };
  if (code && TRANSIENT_CODES.has(code)) return { detail: `${host} is unreachable (${code})`, transient: true };
  if (code === 'UND_ERR_CONNECT_TIMEOUT')
    return { detail: `${host} is unreachable (connect timeout)`, transient: true };
  const cause = (err as { cause?: unknown })?.cause;
  const message = cause instanceof Error ? cause.message : err instanceof Error ? err.message : String(err);
  return { detail: `${host} is unreachable (${code ?? message})`, transient: code !== undefined };
}

/** Milliseconds from a Retry-After header (seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function createHttpClient(options: HttpOptions = {}): HttpClient {
  let transportFetch: HttpFetch | undefined;
  // the HTTP stack is loaded when an exchange first runs: a login with a static password never needs it
  const doFetch: HttpFetch =
    options.fetch ??
    (async (url, init) => {
      transportFetch ??= (await import('#shared/http/fetch.js')).createFetch(
        options.env ? { env: options.env } : undefined,
      );
      return transportFetch(url, init);
    });
  const retries = options.retries ?? 4;
  const minDelay = options.minDelayMs ?? 500;
  const maxDelay = options.maxDelayMs ?? 30_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const backoff = (attempt: number) => Math.min(maxDelay, minDelay * 2 ** attempt);

  return {
    async request(operation, url, init) {
      for (let attempt = 0; ; attempt++) {
        let response: Response;
        try {
          response = await doFetch(url, { ...init, redirect: 'manual' });
        } catch (err) {
          const { detail, transient } = describeNetworkError(err, url);
          if (transient && attempt < retries) {
            options.debug?.(`${operation}: ${detail}; retrying`);
            await sleep(backoff(attempt));
            continue;
          }
          throw new OperationError(operation, detail);
        }
        const text = await response.text();
        const transient = response.status === 429 || (response.status >= 500 && response.status !== 501);
        if (transient && attempt < retries) {
          const wait = Math.min(maxDelay * 2, retryAfterMs(response.headers.get('retry-after')) ?? backoff(attempt));
          options.debug?.(`${operation}: HTTP ${response.status}; retrying in ${wait} ms`);
          await sleep(wait);
          continue;
        }
        return { status: response.status, headers: response.headers, text };
      }
    },
  };
}

/** Parses a JSON body, or undefined when it is not JSON. */
export function jsonBody(response: HttpResponse): unknown {
  try {
    return JSON.parse(response.text);
  } catch {
    return undefined;
  }
}

/** A short, single-line excerpt of a body that is not in the expected shape (never a whole page). */
export function bodyExcerpt(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
