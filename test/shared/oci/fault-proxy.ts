// A local HTTP proxy in front of a test registry that misbehaves on request: the Nth request
// matching a rule is answered with an error status (429 + Retry-After, 503, 403...) or has its
// connection reset part-way through a response body (blob download) or a request body (blob
// upload), or is forwarded with headers added to its answer (a registry announcing
// OCI-Chunk-Max-Length), or has its JSON answer rewritten (a tag list cut short), or first lets
// another client change the registry (a tag pushed while a plan is made). A rule may apply only to request bodies above a size, as a proxy with a
// body limit answers 413. Everything else is forwarded unchanged, Host header included, so the
// registry builds upload Locations that point back at the proxy. Listens on 127.0.0.1 only.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  /**
   * answer with this status instead of forwarding: the request body is drained, or with `close`
   * not read at all and the connection closed right after the answer (a front proxy refusing a
   * body over its limit)
   */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string; close?: boolean }
  /** forward, then cut the connection after this many bytes of the response body */
  | { kind: 'reset-response'; afterBytes: number }
  /** cut the connection after this many bytes of the request body (0: as soon as it starts) */
  | { kind: 'reset-request'; afterBytes: number }
  /** forward, and add these headers to the registry's answer */
  | { kind: 'add-headers'; headers: Record<string, string> }
  /**
   * forward, and replace the registry's JSON answer with what `transform` makes of it, with these
   * headers added (a tag list cut into pages: the first page and a `Link` to the next)
   */
  | { kind: 'rewrite-json'; transform: (json: unknown) => unknown; headers?: Record<string, string> }
  /** run `action` (another client changing the registry meanwhile), then forward */
  | { kind: 'run-before'; action: () => Promise<void> };

export interface FaultRule {
  method?: string;
  /** tested against the request path with its query */
  path?: RegExp;
  /** the first matching request (1-based) that gets the fault (default 1) */
  nth?: number;
  /** how many consecutive matching requests get it (default 1) */
  times?: number;
  /** only requests whose Content-Length is above this match (a proxy's body size limit) */
  minBodyBytes?: number;
  fault: Fault;
}

export interface ProxiedRequest {
  method: string;
  path: string;
  /** the request's Content-Length, when it sent one */
  bodyBytes?: number;
  /** the status sent to the client (undefined when the connection was cut before headers) */
  status?: number;
  /** the fault applied, when one was */
  fault?: Fault['kind'];
}

interface ActiveRule extends FaultRule {
  seen: number;
  fired: number;
}

const ERROR_CODES: Record<number, string> = {
  401: 'UNAUTHORIZED',
  403: 'DENIED',
  404: 'NOT_FOUND',
  429: 'TOOMANYREQUESTS',
  500: 'UNKNOWN',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
};

export class FaultProxy {
  readonly requests: ProxiedRequest[] = [];
  private rules: ActiveRule[] = [];
  private readonly agent = new http.Agent({ keepAlive: true });

  private constructor(
    private readonly server: http.Server,
    private readonly upstream: URL,
  ) {}

  /** Starts a proxy in front of `upstream` (http://host:port). */
  static async start(upstream: string): Promise<FaultProxy> {
    const server = http.createServer();
    const proxy = new FaultProxy(server, new URL(upstream));
    server.on('request', (req, res) => proxy.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  /** host:port of the proxy, for image references */
  get host(): string {
    const a = this.server.address() as AddressInfo;
    return `127.0.0.1:${a.port}`;
  }

  get url(): string {
    return `http://${this.host}`;
  }

  /** Adds a rule; returns a function telling how many times it fired. */
  inject(rule: FaultRule): () => number {
    const active: ActiveRule = { ...rule, seen: 0, fired: 0 };
    this.rules.push(active);
    return () => active.fired;
  }

  clear(): void {
    this.rules = [];
    this.requests.length = 0;
  }

  /** Requests that got a fault. */
  faulted(): ProxiedRequest[] {
    return this.requests.filter((r) => r.fault);
  }

  async close(): Promise<void> {
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * The rule whose fault applies to this request. A status fault is used up at once; a reset is
   * used up only when the body really reaches its byte count (a shorter body passes untouched),
   * so `nth` and `times` count the faults that happened.
   */
  private pick(method: string, path: string, bodyBytes: number | undefined): ActiveRule | undefined {
    let chosen: ActiveRule | undefined;
    for (const rule of this.rules) {
      if (rule.method && rule.method.toUpperCase() !== method) continue;
      if (rule.path && !rule.path.test(path)) continue;
      if (rule.minBodyBytes !== undefined && !((bodyBytes ?? 0) > rule.minBodyBytes)) continue;
      rule.seen++;
      if (!chosen && rule.seen >= (rule.nth ?? 1) && rule.fired < (rule.times ?? 1)) {
        if (rule.fault.kind !== 'reset-request' && rule.fault.kind !== 'reset-response') rule.fired++;
        chosen = rule;
      }
    }
    return chosen;
  }

  private consume(rule: ActiveRule, entry: ProxiedRequest): boolean {
    if (rule.fired >= (rule.times ?? 1)) return false;
    rule.fired++;
    entry.fault = rule.fault.kind;
    return true;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const length = req.headers['content-length'];
    const bodyBytes = length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined;
    const entry: ProxiedRequest = { method, path, bodyBytes };
    this.requests.push(entry);
    const rule = this.pick(method, path, bodyBytes);
    const fault = rule?.fault;
    if (fault && fault.kind !== 'reset-request' && fault.kind !== 'reset-response') entry.fault = fault.kind;
    if (fault?.kind === 'run-before') {
      // hold the request (its body stays unread) until the other client is done
      req.pause();
      fault.action().then(
        () => this.forward(req, res, method, path, entry, undefined, undefined),
        () => {
          res.writeHead(502);
          res.end();
        },
      );
      return;
    }

    if (fault?.kind === 'status') {
      const body =
        fault.body ??
        JSON.stringify({
          errors: [{ code: ERROR_CODES[fault.status] ?? 'UNKNOWN', message: 'injected by fault proxy' }],
        });
      entry.status = fault.status;
      if (!fault.close) req.resume();
      res.writeHead(fault.status, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
        'Docker-Distribution-API-Version': 'registry/2.0',
        ...(fault.close ? { Connection: 'close' } : {}),
        ...fault.headers,
      });
      res.end(body, () => {
        if (fault.close) req.socket.destroy();
      });
      return;
    }

    this.forward(req, res, method, path, entry, rule, fault);
  }

  private forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    method: string,
    path: string,
    entry: ProxiedRequest,
    rule: ActiveRule | undefined,
    fault: Fault | undefined,
  ): void {
    const upstream = http.request({
      host: this.upstream.hostname,
      port: this.upstream.port,
      method,
      path,
      headers: req.headers,
      agent: this.agent,
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.destroy();
    });

    if (fault?.kind === 'reset-request') {
      let received = 0;
      let cut = false;
      req.on('data', (chunk: Buffer) => {
        if (cut) return;
        received += chunk.length;
        if (received >= fault.afterBytes && this.consume(rule!, entry)) {
          cut = true;
          upstream.destroy();
          req.socket.resetAndDestroy();
        } else upstream.write(chunk);
      });
      req.on('end', () => {
        if (!cut) upstream.end();
      });
    } else {
      req.pipe(upstream);
    }

    upstream.on('response', (up) => {
      entry.status = up.statusCode;
      if (fault?.kind === 'rewrite-json') {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const body = Buffer.from(JSON.stringify(fault.transform(JSON.parse(text))));
          const headers: http.OutgoingHttpHeaders = { ...up.headers, ...fault.headers };
          headers['content-length'] = String(body.length);
          delete headers['transfer-encoding'];
          res.writeHead(up.statusCode ?? 502, up.statusMessage, headers);
          res.end(body);
        });
        return;
      }
      const headers = fault?.kind === 'add-headers' ? { ...up.headers, ...fault.headers } : up.headers;
      res.writeHead(up.statusCode ?? 502, up.statusMessage, headers);
      if (fault?.kind !== 'reset-response') {
        up.pipe(res);
        return;
      }
      let sent = 0;
      let cut = false;
      let passThrough = false;
      up.on('data', (chunk: Buffer) => {
        if (cut) return;
        if (passThrough || sent + chunk.length < fault.afterBytes) {
          sent += chunk.length;
          res.write(chunk);
          return;
        }
        if (!this.consume(rule!, entry)) {
          passThrough = true;
          res.write(chunk);
          return;
        }
        const part = chunk.subarray(0, fault.afterBytes - sent);
        cut = true;
        up.destroy();
        // Let the partial body reach the client, then reset the connection (RST, no proper end).
        const socket = res.socket;
        res.write(part, () => socket?.resetAndDestroy());
      });
      up.on('end', () => {
        if (!cut) res.end();
      });
    });
  }
}
