// HTTP/1.1 exchanges on Node's own http and https modules: kept-alive agents per scheme, a
// CONNECT tunnel through a proxy (for http and https targets alike, the proxy sees only the
// host and port), a connect timeout and an idle timeout. Nothing is followed or retried here,
// and a streamed request body is never buffered.
import { Agent as HttpAgent, type IncomingMessage, type OutgoingHttpHeaders, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { Readable, type Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';

/** How long a TCP (and TLS) connection may take to open */
export const CONNECT_TIMEOUT_MS = 30_000;
/** How long a connection may stay silent while an answer or a body is awaited */
export const IDLE_TIMEOUT_MS = 300_000;

/** Kept-alive connections, at most 16 per host; an idle one is closed after 30 s */
const AGENT_OPTIONS = { keepAlive: true, maxSockets: 16, maxFreeSockets: 16, timeout: 30_000 };

/** A network failure with the code the retry logic reads (ETIMEDOUT, ECONNRESET...). */
export class NetworkError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'NetworkError';
    this.code = code;
  }
}

/** `Basic` credentials of a proxy URL (`http://user:pass@proxy:3128`), if it has any. */
function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username && !proxy.password) return undefined;
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return `Basic ${Buffer.from(credentials).toString('base64')}`;
}

/**
 * Opens a tunnel to host:port through the proxy with CONNECT, then (for https) TLS inside it.
 * Calls back once with the socket to speak HTTP on, or the reason it could not be opened.
 */
function openTunnel(
  proxy: URL,
  target: { host: string; port: number; tls: boolean; servername?: string },
  callback: (err: Error | null, stream?: Duplex) => void,
): void {
  let done = false;
  const finish = (err: Error | null, stream?: Duplex) => {
    if (done) return;
    done = true;
    callback(err, stream);
  };
  const authority = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  const headers: OutgoingHttpHeaders = { host: authority };
  const auth = proxyAuthorization(proxy);
  if (auth) headers['proxy-authorization'] = auth;
  const connect = (proxy.protocol === 'https:' ? httpsRequest : httpRequest)({
    host: proxy.hostname.replace(/^\[|\]$/g, ''),
    port: proxy.port || (proxy.protocol === 'https:' ? 443 : 80),
    method: 'CONNECT',
    path: authority,
    headers,
    agent: false,
    timeout: CONNECT_TIMEOUT_MS,
  });
  connect.on('timeout', () =>
    connect.destroy(new NetworkError('ETIMEDOUT', `the proxy did not open a tunnel to ${authority} in time`)),
  );
  connect.on('error', (err) => finish(err));
  connect.on('connect', (res: IncomingMessage, socket: Socket) => {
    connect.setTimeout(0);
    if (res.statusCode !== 200) {
      socket.destroy();
      // 407 and the like are answers, not transient failures: no retryable code
      finish(new Error(`the proxy refused the tunnel to ${authority} (HTTP ${res.statusCode})`));
      return;
    }
    if (!target.tls) {
      finish(null, socket);
      return;
    }
    const secure = tlsConnect({ socket, servername: target.servername ?? target.host });
    secure.once('secureConnect', () => finish(null, secure));
    secure.once('error', (err) => finish(err));
  });
  connect.end();
}

/** An agent whose connections are CONNECT tunnels through `proxy`. */
function tunnelAgent(proxy: URL, tls: boolean): HttpAgent {
  const Base = tls ? HttpsAgent : HttpAgent;
  const agent = new Base(AGENT_OPTIONS);
  agent.createConnection = (options, callback) => {
    const host = String(options.host ?? options.hostname ?? 'localhost').replace(/^\[|\]$/g, '');
    const port = Number(options.port) || (tls ? 443 : 80);
    const servername = (options as { servername?: string }).servername;
    openTunnel(proxy, { host, port, tls, servername }, (err, stream) => {
      if (callback) callback(err, stream as Duplex);
    });
    return undefined;
  };
  return agent;
}

export interface ExchangeRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: Buffer | string | Readable;
  /** aborts the exchange and its body (the request's 'error' is then an AbortError) */
  signal?: AbortSignal;
}

/** Agents for direct and tunnelled traffic, kept alive between exchanges; `close` ends them all. */
export class HttpAgents {
  private readonly direct = { http: new HttpAgent(AGENT_OPTIONS), https: new HttpsAgent(AGENT_OPTIONS) };
  private readonly tunnels = new Map<string, HttpAgent>();

  private agentFor(url: URL, proxy: string | undefined): HttpAgent {
    const tls = url.protocol === 'https:';
    if (!proxy) return tls ? this.direct.https : this.direct.http;
    const key = `${tls ? 'https' : 'http'} ${proxy}`;
    let agent = this.tunnels.get(key);
    if (!agent) {
      agent = tunnelAgent(new URL(proxy), tls);
      this.tunnels.set(key, agent);
    }
    return agent;
  }

  /**
   * One exchange: resolves with the answer as soon as its headers arrive (the body is the
   * caller's to read or discard), even when the server answers before the request body is sent
   * in full (a 413 from a front proxy).
   */
  exchange(req: ExchangeRequest, proxy: string | undefined): Promise<IncomingMessage> {
    const headers: OutgoingHttpHeaders = { ...req.headers };
    const body = req.body;
    const has = (name: string) => Object.keys(headers).some((k) => k.toLowerCase() === name);
    if ((typeof body === 'string' || Buffer.isBuffer(body)) && !has('content-length')) {
      headers['content-length'] = Buffer.byteLength(body);
    } else if (body === undefined && /^(POST|PUT|PATCH)$/i.test(req.method) && !has('content-length')) {
      // an empty body is said, not sent as an empty chunked stream
      headers['content-length'] = 0;
    }
    return new Promise((resolve, reject) => {
      let answered = false;
      const send = req.url.protocol === 'https:' ? httpsRequest : httpRequest;
      const r = send(req.url, {
        method: req.method,
        headers,
        agent: this.agentFor(req.url, proxy),
        ...(req.signal ? { signal: req.signal } : {}),
      });
      r.setTimeout(IDLE_TIMEOUT_MS, () =>
        r.destroy(new NetworkError('ETIMEDOUT', `no answer from ${req.url.host} for ${IDLE_TIMEOUT_MS / 1000} s`)),
      );
      r.on('socket', (socket: Socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(
          () =>
            r.destroy(
              new NetworkError('ETIMEDOUT', `no connection to ${req.url.host} in ${CONNECT_TIMEOUT_MS / 1000} s`),
            ),
          CONNECT_TIMEOUT_MS,
        );
        const clear = () => clearTimeout(timer);
        socket.once('connect', clear);
        socket.once('close', clear);
      });
      r.on('response', (res: IncomingMessage) => {
        answered = true;
        if (body instanceof Readable && !body.readableEnded) {
          // an early answer: the rest of the request body is not wanted any more, and the
          // connection, left in the middle of a request, is closed once the answer is read
          body.unpipe(r);
          res.once('close', () => r.destroy());
        }
        resolve(res);
      });
      r.on('error', (err) => {
        // after the answer, a broken pipe of the unsent body is no news
        if (!answered) reject(err);
      });
      if (body instanceof Readable) {
        body.on('error', (err) => r.destroy(err));
        body.pipe(r);
      } else {
        r.end(body);
      }
    });
  }

  close(): void {
    this.direct.http.destroy();
    this.direct.https.destroy();
    for (const agent of this.tunnels.values()) agent.destroy();
    this.tunnels.clear();
  }
}

/** Reads and drops what is left of a body, up to `max` bytes; past that the connection is closed. */
export async function discardBody(body: Readable, max = 256 * 1024): Promise<void> {
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > max) {
      body.destroy();
      return;
    }
  }
}
