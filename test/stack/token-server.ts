// The token server of the stack's bearer-auth registry: the Docker registry token protocol
// (GET /token with basic auth or anonymous, POST /token with grant_type=password or
// refresh_token), ES256 JWTs carrying the signing certificate in an `x5c` header, which is what
// distribution 2.8 verifies against its `rootcertbundle`. Each user gets only the requested
// actions its role allows. Every request is appended as one JSON line (never a secret) to a log
// file, so tests can count token exchanges.
import { appendFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createPrivateKey, randomBytes, sign, timingSafeEqual, X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export type Role = 'admin' | 'reader' | 'limited';

export interface TokenUser {
  username: string;
  password: string;
  role: Role;
}

export interface TokenServerOptions {
  service: string;
  issuer: string;
  /** PEM of the EC P-256 private key that signs the tokens */
  keyPem: string;
  /** PEM of the self-signed certificate of that key (the registry's rootcertbundle) */
  certPem: string;
  users: TokenUser[];
  logFile: string;
  /** token lifetime in seconds */
  expiresIn?: number;
}

export interface TokenServer {
  url: string;
  close(): Promise<void>;
}

export interface Access {
  type: string;
  name: string;
  actions: string[];
}

/** One line of the token server's log file. */
export interface TokenLogEntry {
  time: string;
  method: string;
  /** 'basic' (GET with credentials), 'anonymous' (GET without), 'password', 'refresh_token' */
  grant: string;
  /** the authenticated user, if any */
  user?: string;
  clientId?: string;
  offline?: boolean;
  service?: string;
  scopes: string[];
  granted: Access[];
  status: number;
  /** why a request was refused */
  error?: string;
}

/** Parses `type:name:actions` scopes; names may contain ':' (a port), actions never do. */
export function parseScopes(scopes: string[]): Access[] {
  const out: Access[] = [];
  for (const raw of scopes.flatMap((s) => s.split(' ')).filter(Boolean)) {
    const first = raw.indexOf(':');
    const last = raw.lastIndexOf(':');
    if (first < 0 || last === first) continue;
    let type = raw.slice(0, first);
    // `repository(plugin):name:pull` style resource classes are typed like their base type
    const paren = type.indexOf('(');
    if (paren >= 0) type = type.slice(0, paren);
    out.push({
      type,
      name: raw.slice(first + 1, last),
      actions: raw
        .slice(last + 1)
        .split(',')
        .filter(Boolean),
    });
  }
  return out;
}

/** What a role may do on a resource. */
export function allowedActions(role: Role | undefined, type: string, name: string): string[] {
  if (!role) return [];
  if (type === 'registry') return role === 'admin' && name === 'catalog' ? ['*'] : [];
  if (type !== 'repository') return [];
  switch (role) {
    case 'admin':
      return ['pull', 'push', 'delete', '*'];
    case 'reader':
      return ['pull'];
    case 'limited':
      return name.startsWith('limited/') ? ['pull', 'push'] : ['pull'];
  }
}

/** The requested actions the role allows, one entry per requested resource (merged). */
export function grant(role: Role | undefined, requested: Access[]): Access[] {
  const merged = new Map<string, Access>();
  for (const r of requested) {
    const allowed = allowedActions(role, r.type, r.name);
    const actions = r.actions.filter((a) => allowed.includes(a));
    const key = `${r.type}:${r.name}`;
    const entry = merged.get(key) ?? { type: r.type, name: r.name, actions: [] };
    for (const a of actions) if (!entry.actions.includes(a)) entry.actions.push(a);
    merged.set(key, entry);
  }
  return [...merged.values()].filter((a) => a.actions.length > 0);
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
  const key = createPrivateKey(opts.keyPem);
  const certDer = new X509Certificate(opts.certPem).raw.toString('base64');
  const expiresIn = opts.expiresIn ?? 300;
  // refresh token -> username; lives as long as the server
  const refreshTokens = new Map<string, string>();

  const authenticate = (username: string, password: string): TokenUser | undefined => {
    const user = opts.users.find((u) => u.username === username);
    return user && safeEqual(user.password, password) ? user : undefined;
  };

  const issue = (user: TokenUser | undefined, access: Access[]) => {
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'ES256', typ: 'JWT', x5c: [certDer] };
    const claims = {
      iss: opts.issuer,
      sub: user?.username ?? '',
      aud: opts.service,
      exp: now + expiresIn,
      // a little slack for clocks, as real token servers do
      nbf: now - 10,
      iat: now,
      jti: randomBytes(16).toString('hex'),
      access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    return { token: `${input}.${b64url(signature)}`, issuedAt: new Date(now * 1000).toISOString() };
  };

  const log = (entry: Omit<TokenLogEntry, 'time'>) => {
    appendFileSync(opts.logFile, `${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
  };

  const reply = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    res.end(JSON.stringify(body));
  };

  const unauthorized = (res: ServerResponse, message: string) =>
    reply(
      res,
      401,
      { errors: [{ code: 'UNAUTHORIZED', message }], details: message },
      {
        'www-authenticate': `Basic realm="${opts.service}"`,
      },
    );

  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/token') return reply(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'not found' }] });

    if (req.method === 'GET') {
      const params = url.searchParams;
      const scopes = params.getAll('scope');
      const service = params.get('service') ?? undefined;
      const offline = params.get('offline_token') === 'true';
      const clientId = params.get('client_id') ?? undefined;
      const base = { method: 'GET', service, scopes, clientId, offline };
      if (service !== undefined && service !== opts.service) {
        log({ ...base, grant: 'anonymous', granted: [], status: 400, error: 'unknown service' });
        return reply(res, 400, { errors: [{ code: 'INVALID_REQUEST', message: `unknown service ${service}` }] });
      }
      const authz = req.headers.authorization;
      let user: TokenUser | undefined;
      if (authz) {
        const m = /^Basic\s+(\S+)$/i.exec(authz);
        const decoded = m ? Buffer.from(m[1], 'base64').toString('utf8') : '';
        const colon = decoded.indexOf(':');
        user = colon > 0 ? authenticate(decoded.slice(0, colon), decoded.slice(colon + 1)) : undefined;
        if (!user) {
          log({ ...base, grant: 'basic', granted: [], status: 401, error: 'bad credentials' });
          return unauthorized(res, 'incorrect username or password');
        }
      }
      const granted = grant(user?.role, parseScopes(scopes));
      const { token, issuedAt } = issue(user, granted);
      const out: Record<string, unknown> = { token, access_token: token, expires_in: expiresIn, issued_at: issuedAt };
      if (user && offline) {
        const refresh = randomBytes(24).toString('base64url');
        refreshTokens.set(refresh, user.username);
        out.refresh_token = refresh;
      }
      log({ ...base, grant: user ? 'basic' : 'anonymous', user: user?.username, granted, status: 200 });
      return reply(res, 200, out);
    }

    if (req.method === 'POST') {
      const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      const form = new URLSearchParams(type === 'application/x-www-form-urlencoded' ? body : '');
      const grantType = form.get('grant_type') ?? '';
      const service = form.get('service') ?? undefined;
      const scopes = form.getAll('scope');
      const clientId = form.get('client_id') ?? undefined;
      const offline = form.get('access_type') === 'offline';
      const base = { method: 'POST', grant: grantType || '(none)', service, scopes, clientId, offline };
      if (type !== 'application/x-www-form-urlencoded') {
        log({ ...base, granted: [], status: 400, error: 'not form-encoded' });
        return reply(res, 400, { error: 'invalid_request', error_description: 'expected a form-encoded body' });
      }
      if (service !== undefined && service !== opts.service) {
        log({ ...base, granted: [], status: 400, error: 'unknown service' });
        return reply(res, 400, { error: 'invalid_request', error_description: `unknown service ${service}` });
      }
      let user: TokenUser | undefined;
      let refresh: string | undefined;
      if (grantType === 'password') {
        user = authenticate(form.get('username') ?? '', form.get('password') ?? '');
        if (!user) {
          log({ ...base, granted: [], status: 401, error: 'bad credentials' });
          return unauthorized(res, 'incorrect username or password');
        }
        refresh = randomBytes(24).toString('base64url');
        refreshTokens.set(refresh, user.username);
      } else if (grantType === 'refresh_token') {
        refresh = form.get('refresh_token') ?? '';
        const username = refreshTokens.get(refresh);
        user = username ? opts.users.find((u) => u.username === username) : undefined;
        if (!user) {
          log({ ...base, granted: [], status: 401, error: 'unknown refresh token' });
          return unauthorized(res, 'invalid refresh token');
        }
      } else {
        log({ ...base, granted: [], status: 400, error: 'unsupported grant_type' });
        return reply(res, 400, { error: 'unsupported_grant_type', error_description: `grant_type ${grantType}` });
      }
      const granted = grant(user.role, parseScopes(scopes));
      const { token, issuedAt } = issue(user, granted);
      log({ ...base, user: user.username, granted, status: 200 });
      return reply(res, 200, {
        token,
        access_token: token,
        expires_in: expiresIn,
        issued_at: issuedAt,
        refresh_token: refresh,
        scope: granted.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`).join(' '),
      });
    }

    res.writeHead(405, { allow: 'GET, POST' });
    res.end();
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks).toString('utf8'));
      } catch (err) {
        reply(res, 500, { errors: [{ code: 'INTERNAL', message: (err as Error).message }] });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
