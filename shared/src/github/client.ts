// The one seam to the GitHub REST API: JSON requests with the token, `Link` pagination, the
// primary (`x-ratelimit-*`) and secondary (`Retry-After`, "secondary rate limit") rate limits,
// and retries of transient failures. Base URL from GITHUB_API_URL so GHES and tests work alike.
// GraphQL goes through the same transport (`graphql()`), at `/graphql` on github.com and
// `/api/graphql` on GHES (whose REST root is `/api/v3`).
// Requests go through the shared transport, so HTTPS_PROXY / NO_PROXY apply as for registries.
import { OperationError } from '../errors.js';
import { createFetch, type HttpFetch } from '../http/fetch.js';

export interface GitHubClientOptions {
  /** API root; default GITHUB_API_URL or https://api.github.com */
  baseUrl?: string;
  /** sent as a bearer token; never inspected (token formats change) */
  token?: string;
  userAgent?: string;
  /** retries of 5xx answers and network errors (default 4) */
  retries?: number;
  /** the longest single wait for a rate limit before giving up (default 10 minutes) */
  maxRateLimitWaitMs?: number;
  /** first backoff delay (default 1000 ms; doubled each retry) */
  minDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  logger?: { debug(message: string): void; warning?(message: string): void };
  /** where the proxy variables are read (default process.env) */
  env?: NodeJS.ProcessEnv;
  /** how requests are sent (default: the shared transport, proxies honoured) */
  fetch?: HttpFetch;
}

export interface GitHubResponse<T> {
  status: number;
  headers: Headers;
  data: T;
  url: string;
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** statuses returned to the caller instead of thrown (e.g. [404]) */
  allow?: readonly number[];
}

/** A failed GitHub API call: the operation, the status and GitHub's own message. */
export class GitHubApiError extends OperationError {
  readonly status: number;
  readonly apiMessage: string | undefined;
  readonly documentationUrl: string | undefined;
  constructor(operation: string, status: number, apiMessage?: string, documentationUrl?: string) {
    const detail = `HTTP ${status}${apiMessage ? `: ${apiMessage}` : ''}${documentationUrl ? ` (see ${documentationUrl})` : ''}`;
    super(operation, detail);
    this.name = 'GitHubApiError';
    this.status = status;
    this.apiMessage = apiMessage;
    this.documentationUrl = documentationUrl;
  }
}

/** Parses an RFC 8288 `Link` header into rel -> absolute URL. */
export function parseLinkHeader(header: string | null, base: string): Record<string, string> {
  const links: Record<string, string> = {};
  if (!header) return links;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (!m) continue;
    const rel = /\brel\s*=\s*"?([^";]+)"?/i.exec(m[2] as string);
    if (!rel) continue;
    for (const name of (rel[1] as string).trim().split(/\s+/))
      links[name.toLowerCase()] = new URL(m[1] as string, base).href;
  }
  return links;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class GitHubClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly retries: number;
  private readonly maxWait: number;
  private readonly minDelay: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly userAgent: string;
  private readonly logger: GitHubClientOptions['logger'];
  private readonly send: HttpFetch;
  private requests = 0;
  /** epoch ms until which the primary limit is exhausted, learnt from the last answer */
  private exhaustedUntil = 0;

  constructor(options: GitHubClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? process.env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, '');
    this.token = options.token;
    this.retries = options.retries ?? 4;
    this.maxWait = options.maxRateLimitWaitMs ?? 600_000;
    this.minDelay = options.minDelayMs ?? 1000;
    this.sleep = options.sleep ?? defaultSleep;
    this.now = options.now ?? Date.now;
    this.userAgent = options.userAgent ?? 'container-image-actions';
    this.logger = options.logger;
    this.send = options.fetch ?? createFetch(options.env ? { env: options.env } : undefined);
  }

  requestCount(): number {
    return this.requests;
  }

  url(path: string, query?: RequestOptions['query']): string {
    const url = new URL(path.startsWith('http') ? path : `${this.baseUrl}${path.startsWith('/') ? '' : '/'}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.href;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<GitHubResponse<T>> {
    const url = this.url(path, options.query);
    this.assertSameOrigin(url);
    const operation = `GitHub API ${method} ${new URL(url).pathname}`;
    for (let attempt = 0; ; attempt++) {
      await this.waitForPrimaryLimit(operation);
      let res: Response;
      try {
        this.requests++;
        res = await this.send(url, {
          method,
          redirect: 'follow',
          headers: {
            accept: 'application/vnd.github+json',
            'x-github-api-version': '2022-11-28',
            'user-agent': this.userAgent,
            ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
            ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        });
      } catch (err) {
        if (attempt < this.retries) {
          await this.backoff(operation, attempt, `network error: ${(err as Error).message}`);
          continue;
        }
        throw new OperationError(operation, `network error: ${(err as Error).message}`, { cause: err });
      }
      this.learnPrimaryLimit(res.headers);
      const text = await res.text();
      const data = parseJson(text);
      if (res.ok || options.allow?.includes(res.status)) {
        return { status: res.status, headers: res.headers, data: data as T, url };
      }
      const message = typeof data?.message === 'string' ? data.message : text.slice(0, 200) || undefined;
      const docs = typeof data?.documentation_url === 'string' ? data.documentation_url : undefined;
      const wait = this.rateLimitWait(res, message);
      if (wait !== undefined) {
        if (wait > this.maxWait || attempt >= this.retries + 2) {
          throw new GitHubApiError(
            operation,
            res.status,
            `${message ?? 'rate limited'}; the limit resets in ${Math.ceil(wait / 1000)} s, longer than this step waits (${Math.round(this.maxWait / 1000)} s)`,
            docs,
          );
        }
        this.logger?.warning?.(`${operation}: rate limited (HTTP ${res.status}), waiting ${Math.ceil(wait / 1000)} s`);
        await this.sleep(wait);
        this.exhaustedUntil = 0;
        continue;
      }
      if (res.status >= 500 && attempt < this.retries) {
        await this.backoff(operation, attempt, `HTTP ${res.status}`);
        continue;
      }
      throw new GitHubApiError(operation, res.status, message, docs);
    }
  }

  /** The GraphQL endpoint that goes with the REST root (GHES: `/api/v3` -> `/api/graphql`). */
  graphqlUrl(): string {
    return /\/api\/v3$/.test(this.baseUrl) ? this.baseUrl.replace(/\/v3$/, '/graphql') : `${this.baseUrl}/graphql`;
  }

  /**
   * One GraphQL query or mutation. GitHub answers errors with HTTP 200 and an `errors` list:
   * those become a GitHubApiError naming the operation and GitHub's first message.
   */
  async graphql<T>(operation: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await this.request<{ data?: T; errors?: { message?: string; type?: string }[] }>(
      'POST',
      this.graphqlUrl(),
      { body: { query, variables } },
    );
    const errors = res.data?.errors;
    if (Array.isArray(errors) && errors.length > 0) {
      const first = errors[0];
      throw new GitHubApiError(
        `GitHub GraphQL ${operation}`,
        res.status,
        `${first?.type ? `${first.type}: ` : ''}${first?.message ?? 'unknown error'}`,
      );
    }
    if (res.data?.data === undefined)
      throw new OperationError(`GitHub GraphQL ${operation}`, 'the answer holds no data');
    return res.data.data;
  }

  /** Every item of a paginated list, following `Link: rel="next"` (relative links resolved). */
  async paginate<T>(
    path: string,
    options: { query?: RequestOptions['query']; perPage?: number; items?: (data: unknown) => T[] } = {},
  ): Promise<T[]> {
    const out: T[] = [];
    let next: string | undefined = this.url(path, { per_page: options.perPage ?? 100, ...options.query });
    const seen = new Set<string>();
    while (next) {
      if (seen.has(next)) throw new OperationError(`GitHub API GET ${path}`, `pagination loops back to ${next}`);
      seen.add(next);
      const res: GitHubResponse<unknown> = await this.request<unknown>('GET', next);
      const items = options.items ? options.items(res.data) : (res.data as T[]);
      if (!Array.isArray(items)) throw new OperationError(`GitHub API GET ${path}`, 'the answer is not a list');
      out.push(...items);
      next = parseLinkHeader(res.headers.get('link'), res.url).next;
    }
    return out;
  }

  // A token must never travel to another host, even if a Link header points there.
  private assertSameOrigin(url: string): void {
    if (new URL(url).origin !== new URL(this.baseUrl).origin) {
      throw new OperationError(
        'GitHub API',
        `refusing to send the token to ${new URL(url).origin} (API is ${this.baseUrl})`,
      );
    }
  }

  private learnPrimaryLimit(headers: Headers): void {
    const remaining = headers.get('x-ratelimit-remaining');
    const reset = Number(headers.get('x-ratelimit-reset'));
    if (remaining === '0' && Number.isFinite(reset) && reset > 0) this.exhaustedUntil = reset * 1000;
    else if (remaining !== null && remaining !== '0') this.exhaustedUntil = 0;
  }

  private async waitForPrimaryLimit(operation: string): Promise<void> {
    const wait = this.exhaustedUntil - this.now();
    if (wait <= 0) return;
    if (wait > this.maxWait) {
      throw new GitHubApiError(
        operation,
        429,
        `the API rate limit is used up and resets in ${Math.ceil(wait / 1000)} s, longer than this step waits (${Math.round(this.maxWait / 1000)} s)`,
      );
    }
    this.logger?.warning?.(`${operation}: API rate limit used up, waiting ${Math.ceil(wait / 1000)} s for its reset`);
    await this.sleep(wait + 1000);
    this.exhaustedUntil = 0;
  }

  /** Milliseconds to wait when the answer is a rate limit, else undefined. */
  private rateLimitWait(res: Response, message: string | undefined): number | undefined {
    if (res.status !== 403 && res.status !== 429) return undefined;
    const retryAfter = res.headers.get('retry-after');
    if (retryAfter !== null) {
      const secs = Number(retryAfter);
      if (Number.isFinite(secs)) return Math.max(0, secs) * 1000;
      const date = Date.parse(retryAfter);
      if (!Number.isNaN(date)) return Math.max(0, date - this.now());
    }
    if (res.headers.get('x-ratelimit-remaining') === '0') {
      const reset = Number(res.headers.get('x-ratelimit-reset'));
      if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - this.now()) + 1000;
    }
    // GitHub's documentation: without retry-after, wait at least one minute after a secondary limit.
    if (/secondary rate limit|abuse/i.test(message ?? '')) return 60_000;
    if (res.status === 429) return 60_000;
    return undefined;
  }

  private async backoff(operation: string, attempt: number, why: string): Promise<void> {
    const delay = this.minDelay * 2 ** attempt;
    this.logger?.debug(`${operation}: ${why}, retry ${attempt + 1}/${this.retries} in ${delay} ms`);
    await this.sleep(delay);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of any shape
function parseJson(text: string): any {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
