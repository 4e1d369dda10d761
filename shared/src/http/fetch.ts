// A `fetch`-shaped function over the shared transport, for the JSON APIs (GitHub REST, the
// OIDC and cloud token exchanges, the Docker Hub API) so they honour HTTPS_PROXY / HTTP_PROXY /
// NO_PROXY exactly as registry traffic does. Node's own fetch ignores those variables. Answers
// are real `Response` objects whose body streams from the socket; nothing is retried here (each
// API has its own rules for that), and redirects are followed only when asked, dropping
// Authorization when they leave the origin.
import { Readable } from 'node:stream';
import { type Headers as RawHeaders, Transport, type TransportOptions } from './transport.js';

export interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** `follow` (default, as fetch), `manual` (the 3xx comes back) or `error` */
  redirect?: 'follow' | 'manual' | 'error';
}

export type HttpFetch = (url: string | URL, init?: FetchInit) => Promise<Response>;

const MAX_REDIRECTS = 20;
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

function toHeaders(raw: RawHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
}

let shared: Transport | undefined;

/** The process's transport for API calls (proxy settings from process.env), made on first use. */
function sharedTransport(): Transport {
  shared ??= new Transport();
  return shared;
}

/**
 * A fetch over `transport` (default: one per process, reading the proxy variables from
 * process.env), or over a new transport built from `options` (an `env` for tests).
 */
export function createFetch(transport?: Transport | TransportOptions): HttpFetch {
  let own: Transport | undefined;
  const pick = (): Transport => {
    if (transport instanceof Transport) return transport;
    if (!transport) return sharedTransport();
    own ??= new Transport(transport);
    return own;
  };
  return async (input, init = {}) => {
    let url = new URL(String(input));
    let method = (init.method ?? 'GET').toUpperCase();
    let headers: Record<string, string> = { ...(init.headers ?? {}) };
    let body = init.body;
    for (let hops = 0; ; hops++) {
      const res = await pick().send({ method, url: url.href, headers, body });
      const location = res.headers.location;
      const redirect = res.status >= 300 && res.status < 400 && res.status !== 304 && typeof location === 'string';
      if (redirect && init.redirect !== 'manual') {
        res.body.resume();
        if (init.redirect === 'error') throw new TypeError(`redirect to ${location} refused`);
        if (hops >= MAX_REDIRECTS) throw new TypeError(`more than ${MAX_REDIRECTS} redirects from ${input}`);
        const next = new URL(location, url);
        if (next.origin !== url.origin) {
          headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
        }
        // as fetch: 303 always, and 301/302 after a POST, continue as a GET without the body
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
          method = method === 'HEAD' ? 'HEAD' : 'GET';
          body = undefined;
          headers = Object.fromEntries(
            Object.entries(headers).filter(([k]) => !/^content-(type|length|encoding|language|location)$/i.test(k)),
          );
        }
        url = next;
        continue;
      }
      const empty = NULL_BODY.has(res.status) || method === 'HEAD';
      if (empty) res.body.resume();
      return new Response(empty ? null : (Readable.toWeb(res.body) as ReadableStream<Uint8Array>), {
        status: res.status,
        headers: toHeaders(res.headers),
      });
    }
  };
}
