// Registry authentication: reading WWW-Authenticate challenges, basic auth, and the bearer token
// flow (GET with basic credentials or anonymously; POST with a refresh token for identity
// tokens). Tokens are cached per registry and scope set until shortly before they expire, and a
// token that covers more scopes serves a request that needs fewer, so a cached token means no
// extra round trip. Every secret is handed to maskSecret as soon as it is known.
//
// Credentials go only where the registry itself is: a challenge is answered only when it came
// from the registry's own origin (not from a host a Link or redirect led to), and a token realm
// must be https unless the registry itself is plain http on this machine (loopback).
import { type Credential, type CredentialProvider, credentialSecrets, hasSecret } from './credentials.js';
import { isLoopbackHost, realmProblem } from '../registries/hosts.js';
import { header, RegistryError, readText, type Transport } from './transport.js';

export { realmProblem };

/** The origin a registry is reached at by default: http on loopback hosts, https elsewhere. */
export function defaultRegistryOrigin(registry: string): string {
  return `${isLoopbackHost(registry) ? 'http' : 'https'}://${registry}`;
}

export interface Challenge {
  /** lower case: 'bearer', 'basic' */
  scheme: string;
  /** parameter names in lower case */
  params: Record<string, string>;
}

/**
 * Parses WWW-Authenticate (RFC 7235): several challenges, quoted values with escapes, commas
 * inside quotes (`scope="repository:a:pull,push"`).
 */
export function parseWwwAuthenticate(value: string | string[] | undefined): Challenge[] {
  if (value === undefined) return [];
  const text = Array.isArray(value) ? value.join(', ') : value;
  const challenges: Challenge[] = [];
  let i = 0;
  const skip = (re: RegExp): void => {
    while (i < text.length && re.test(text[i] as string)) i++;
  };
  while (i < text.length) {
    skip(/[\s,]/);
    const schemeMatch = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+/.exec(text.slice(i));
    if (!schemeMatch) break;
    const challenge: Challenge = { scheme: schemeMatch[0].toLowerCase(), params: {} };
    i += schemeMatch[0].length;
    challenges.push(challenge);
    // parameters: name=value pairs until the next token that is not followed by '='
    for (;;) {
      const save = i;
      skip(/[\s,]/);
      const nameMatch = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*/.exec(text.slice(i));
      if (!nameMatch) {
        // token68 (`Basic abc==`) or the next challenge's scheme
        const token68 = /^[A-Za-z0-9._~+/-]+=*(?=\s*(,|$))/.exec(text.slice(i));
        if (token68 && Object.keys(challenge.params).length === 0 && i > save) {
          i += token68[0].length;
          continue;
        }
        i = save;
        break;
      }
      i += nameMatch[0].length;
      const name = (nameMatch[1] as string).toLowerCase();
      let val = '';
      if (text[i] === '"') {
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < text.length) i++;
          val += text[i];
          i++;
        }
        i++;
      } else {
        const m = /^[^,\s]*/.exec(text.slice(i));
        val = m ? m[0] : '';
        i += val.length;
      }
      challenge.params[name] = val;
    }
  }
  return challenges;
}

/**
 * Merges scopes, joining the actions asked for one resource:
 * `repository:a:pull` + `repository:a:push` → `repository:a:pull,push`. Sorted, so equal sets
 * give equal cache keys.
 */
export function mergeScopes(scopes: readonly string[]): string[] {
  const byResource = new Map<string, Set<string>>();
  for (const scope of scopes) {
    for (const one of scope.split(' ')) {
      const at = one.lastIndexOf(':');
      if (at <= 0) continue;
      const resource = one.slice(0, at);
      const actions = byResource.get(resource) ?? new Set<string>();
      for (const a of one.slice(at + 1).split(',')) if (a) actions.add(a);
      byResource.set(resource, actions);
    }
  }
  return [...byResource.entries()].map(([r, a]) => `${r}:${[...a].sort().join(',')}`).sort();
}

/** Whether a token granted for `have` was asked for everything in `need`. */
export function scopesCover(have: readonly string[], need: readonly string[]): boolean {
  const granted = new Map<string, Set<string>>();
  for (const s of mergeScopes(have)) {
    const at = s.lastIndexOf(':');
    granted.set(s.slice(0, at), new Set(s.slice(at + 1).split(',')));
  }
  for (const s of mergeScopes(need)) {
    const at = s.lastIndexOf(':');
    const actions = granted.get(s.slice(0, at));
    if (!actions) return false;
    if (actions.has('*')) continue;
    for (const a of s.slice(at + 1).split(',')) if (!actions.has(a)) return false;
  }
  return true;
}

export function repositoryScope(repository: string, actions: string): string {
  return `repository:${repository}:${actions}`;
}

interface RegistryAuthState {
  scheme: 'none' | 'basic' | 'bearer';
  realm?: string;
  service?: string;
}

interface CachedToken {
  scopes: string[];
  token: string;
  /** epoch ms after which the token is not used any more */
  refreshAt: number;
}

export interface AuthenticatorOptions {
  transport: Transport;
  credentials: CredentialProvider;
  maskSecret?: (secret: string) => void;
  logger?: { debug(msg: string): void };
  now?: () => number;
  /** where a registry is reached (`https://host[:port]`); default: defaultRegistryOrigin */
  registryOrigin?: (registry: string) => string;
}

/** Why authorization failed, for the client's error messages. */
export type AuthFailure = 'credentials-rejected' | 'no-credentials' | 'token-server';

export class AuthError extends RegistryError {
  readonly failure: AuthFailure;
  constructor(operation: string, detail: string, failure: AuthFailure, status?: number) {
    super(operation, detail, { status });
    this.name = 'AuthError';
    this.failure = failure;
  }
}

/** Tokens are dropped this long before they expire, so none runs out in flight. */
const EXPIRY_MARGIN_MS = 15_000;
/** What the token spec says to assume when the server names no lifetime. */
const DEFAULT_TOKEN_SECONDS = 60;

export class Authenticator {
  private readonly transport: Transport;
  private readonly provider: CredentialProvider;
  private readonly mask: (secret: string) => void;
  private readonly logger?: { debug(msg: string): void };
  private readonly now: () => number;
  private readonly registryOrigin: (registry: string) => string;
  private readonly states = new Map<string, RegistryAuthState>();
  private readonly tokens = new Map<string, CachedToken[]>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();
  private readonly credentialCache = new Map<string, Promise<Credential | undefined>>();
  /** every secret seen, so error texts can be scrubbed as a last line of defence */
  readonly secrets = new Set<string>();

  constructor(options: AuthenticatorOptions) {
    this.transport = options.transport;
    this.provider = options.credentials;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.registryOrigin = options.registryOrigin ?? defaultRegistryOrigin;
    this.mask = (secret: string) => {
      if (!secret || this.secrets.has(secret)) return;
      this.secrets.add(secret);
      options.maskSecret?.(secret);
    };
  }

  /** The credential for a registry (looked up once, secrets masked). */
  credential(registry: string): Promise<Credential | undefined> {
    let found = this.credentialCache.get(registry);
    if (!found) {
      found = this.provider(registry).then((c) => {
        for (const s of credentialSecrets(c)) this.mask(s);
        if (c?.username && c.password) this.mask(Buffer.from(`${c.username}:${c.password}`).toString('base64'));
        return hasSecret(c) ? c : undefined;
      });
      this.credentialCache.set(registry, found);
    }
    return found;
  }

  /** The scheme learnt for a registry, when a challenge (or its absence) has shown it. */
  scheme(registry: string): RegistryAuthState['scheme'] | undefined {
    return this.states.get(registry)?.scheme;
  }

  /** Records that the registry answered without asking for credentials. */
  markAnonymous(registry: string): void {
    if (!this.states.has(registry)) this.states.set(registry, { scheme: 'none' });
  }

  /**
   * The Authorization header for a request needing `scopes`, from what is known already: basic
   * credentials, or a cached token (fetching a new one when the registry's realm is known).
   * Undefined when nothing is known yet (the request goes out anonymously and meets the challenge).
   */
  async authorize(registry: string, scopes: readonly string[]): Promise<string | undefined> {
    const state = this.states.get(registry);
    if (!state || state.scheme === 'none') return undefined;
    if (state.scheme === 'basic') return this.basicHeader(registry);
    const token = await this.token(registry, state, mergeScopes(scopes), false);
    return `Bearer ${token.token}`;
  }

  /**
   * Answers a 401: learns the challenge and returns the header to retry with. `rejected` is the
   * header the registry just refused: a token equal to it is not handed out again.
   * `responseUrl` is where the 401 came from: a challenge from any other origin than the
   * registry's (a host a Link or a redirect led to) is refused, never answered with its credentials.
   */
  async challenge(
    registry: string,
    wwwAuthenticate: string | string[] | undefined,
    scopes: readonly string[],
    rejected: string | undefined,
    responseUrl?: string,
  ): Promise<string> {
    if (responseUrl !== undefined) {
      const from = new URL(responseUrl);
      if (from.origin !== new URL(this.registryOrigin(registry)).origin) {
        throw new AuthError(
          `authenticating to ${registry}`,
          `${from.host}, which is not ${registry} itself, asked for credentials (HTTP 401); the credentials of ${registry} are sent to ${registry} only`,
          'token-server',
          401,
        );
      }
    }
    const challenges = parseWwwAuthenticate(wwwAuthenticate);
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
    if (bearer) {
      const state: RegistryAuthState = { scheme: 'bearer', realm: bearer.params.realm, service: bearer.params.service };
      this.states.set(registry, state);
      const wanted = mergeScopes([...scopes, ...(bearer.params.scope ? [bearer.params.scope] : [])]);
      const force = rejected !== undefined;
      const token = await this.token(registry, state, wanted, force);
      return `Bearer ${token.token}`;
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      this.states.set(registry, { scheme: 'basic' });
      return this.basicHeader(registry);
    }
    throw new AuthError(
      `authenticating to ${registry}`,
      `the registry answered 401 with an authentication scheme this client does not speak (${challenges.map((c) => c.scheme).join(', ') || 'no WWW-Authenticate header'})`,
      'token-server',
      401,
    );
  }

  private async basicHeader(registry: string): Promise<string> {
    const c = await this.credential(registry);
    if (!c?.username || !c.password) {
      throw new AuthError(
        `authenticating to ${registry}`,
        `${registry} asks for a username and password and none were found (log in with registry-login or docker login, or pass credentials)`,
        'no-credentials',
        401,
      );
    }
    const encoded = Buffer.from(`${c.username}:${c.password}`).toString('base64');
    this.mask(encoded);
    return `Basic ${encoded}`;
  }

  /** Whether a credential was used for this registry's tokens or basic auth. */
  async hasCredential(registry: string): Promise<boolean> {
    return (await this.credential(registry)) !== undefined;
  }

  private cached(registry: string, scopes: string[]): CachedToken | undefined {
    const now = this.now();
    const list = (this.tokens.get(registry) ?? []).filter((t) => t.refreshAt > now);
    this.tokens.set(registry, list);
    return list.find((t) => scopesCover(t.scopes, scopes));
  }

  private async token(
    registry: string,
    state: RegistryAuthState,
    scopes: string[],
    force: boolean,
  ): Promise<CachedToken> {
    if (!force) {
      const hit = this.cached(registry, scopes);
      if (hit) return hit;
    }
    const key = `${registry} ${scopes.join(' ')} ${force ? 'force' : ''}`;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.fetchToken(registry, state, scopes).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private async fetchToken(registry: string, state: RegistryAuthState, scopes: string[]): Promise<CachedToken> {
    const credential = await this.credential(registry);
    const operation = `getting a token for ${registry} (${scopes.join(' ') || 'no scope'})`;
    const issued = this.now();
    if (credential?.registryToken) {
      return this.remember(registry, { scopes, token: credential.registryToken, refreshAt: Number.POSITIVE_INFINITY });
    }
    const realm = state.realm as string;
    const problem = realmProblem(this.registryOrigin(registry), realm);
    if (problem) throw new AuthError(operation, problem, 'token-server');
    const realmUrl = new URL(realm);

    let body: { token?: string; access_token?: string; expires_in?: number; refresh_token?: string } | undefined;
    if (credential?.identityToken) {
      body = await this.postRefreshToken(operation, registry, realmUrl, state.service, scopes, credential);
    }
    body ??= await this.getToken(operation, registry, realmUrl, state.service, scopes, credential);
    const token = body.token || body.access_token;
    if (!token) throw new AuthError(operation, 'the token server answered without a token', 'token-server');
    this.mask(token);
    if (body.refresh_token) this.mask(body.refresh_token);
    const seconds =
      typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    const lifetime = seconds * 1000;
    // A short-lived token is still used for most of its life rather than refetched at once.
    const margin = Math.min(EXPIRY_MARGIN_MS, lifetime / 4);
    this.logger?.debug(`${registry}: token for ${scopes.join(' ') || '(no scope)'} valid ${seconds} s`);
    return this.remember(registry, { scopes, token, refreshAt: issued + lifetime - margin });
  }

  private remember(registry: string, token: CachedToken): CachedToken {
    const list = this.tokens.get(registry) ?? [];
    list.unshift(token);
    this.tokens.set(registry, list.slice(0, 32));
    return token;
  }

  private async getToken(
    operation: string,
    registry: string,
    realm: URL,
    service: string | undefined,
    scopes: string[],
    credential: Credential | undefined,
  ): Promise<{ token?: string; access_token?: string; expires_in?: number }> {
    const url = new URL(realm.toString());
    if (service) url.searchParams.set('service', service);
    for (const s of scopes) url.searchParams.append('scope', s);
    const headers: Record<string, string> = { accept: 'application/json' };
    const username = credential?.username;
    const password = credential?.password ?? credential?.identityToken;
    if (password) {
      if (username) url.searchParams.set('account', username);
      const encoded = Buffer.from(`${username ?? '<token>'}:${password}`).toString('base64');
      this.mask(encoded);
      headers.authorization = `Basic ${encoded}`;
    }
    return this.tokenExchange(operation, registry, { method: 'GET', url: url.toString(), headers }, Boolean(password));
  }

  /** The OAuth2 refresh-token grant; undefined when the server has no POST endpoint (fall back to GET). */
  private async postRefreshToken(
    operation: string,
    registry: string,
    realm: URL,
    service: string | undefined,
    scopes: string[],
    credential: Credential,
  ): Promise<{ token?: string; access_token?: string; expires_in?: number } | undefined> {
    const form = new URLSearchParams();
    form.set('grant_type', 'refresh_token');
    form.set('refresh_token', credential.identityToken as string);
    form.set('client_id', 'container-image-actions');
    if (service) form.set('service', service);
    if (scopes.length > 0) form.set('scope', scopes.join(' '));
    try {
      return await this.tokenExchange(
        operation,
        registry,
        {
          method: 'POST',
          url: realm.toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: form.toString(),
        },
        true,
      );
    } catch (err) {
      if (err instanceof AuthError && (err.status === 404 || err.status === 405)) return undefined;
      throw err;
    }
  }

  private async tokenExchange(
    operation: string,
    registry: string,
    req: { method: string; url: string; headers: Record<string, string>; body?: string },
    withCredentials: boolean,
  ): Promise<{ token?: string; access_token?: string; expires_in?: number; refresh_token?: string }> {
    return this.transport.retrying(operation, async () => {
      const res = await this.transport.send(req);
      await this.transport.throwIfRetryable(res);
      const text = await readText(res, 1024 * 1024);
      if (res.status === 200) {
        try {
          return JSON.parse(text);
        } catch {
          throw new AuthError(operation, 'the token server did not answer with JSON', 'token-server', res.status);
        }
      }
      // The token server's body is not quoted: some echo the request, credentials included.
      if (res.status === 401 || res.status === 403) {
        throw withCredentials
          ? new AuthError(
              operation,
              `authentication failed for ${registry}: check the username/password (token server answered HTTP ${res.status})`,
              'credentials-rejected',
              res.status,
            )
          : new AuthError(
              operation,
              `${registry} requires authentication and no credentials were found (log in with registry-login or docker login, or pass credentials; token server answered HTTP ${res.status})`,
              'no-credentials',
              res.status,
            );
      }
      const ct = header(res.headers, 'content-type') ?? '';
      throw new AuthError(
        operation,
        `the token server answered HTTP ${res.status}${ct.includes('json') ? '' : ` (${ct || 'no content type'})`}`,
        'token-server',
        res.status,
      );
    });
  }
}
