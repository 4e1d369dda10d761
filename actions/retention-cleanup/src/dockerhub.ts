// The Docker Hub API seam (hub.docker.com, or DOCKERHUB_API_URL): log in for a JWT, list tags
// page by page through `next`, delete tags. Retries 5xx, waits on 429 (`Retry-After` or
// `x-ratelimit-reset`). The registry side (manifests for the graph) goes through the OCI client.
import { OperationError } from '#shared/errors.js';
import { createFetch } from '#shared/http/fetch.js';

// through the shared transport, so HTTPS_PROXY / NO_PROXY apply as for registry traffic
const hubFetch = createFetch();

export interface HubTag {
  name: string;
  digest?: string;
  tag_last_pushed?: string;
  last_updated?: string;
  full_size?: number;
  images?: { architecture?: string; os?: string; digest?: string; size?: number }[];
}

export interface DockerHubApiOptions {
  baseUrl?: string;
  username: string;
  password: string;
  retries?: number;
  maxWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
  maskSecret?: (secret: string) => void;
  logger?: { debug(message: string): void; warning(message: string): void };
}

export class DockerHubApi {
  readonly baseUrl: string;
  private token: Promise<string> | undefined;
  private requests = 0;
  constructor(private readonly options: DockerHubApiOptions) {
    this.baseUrl = (options.baseUrl ?? process.env.DOCKERHUB_API_URL ?? 'https://hub.docker.com').replace(/\/+$/, '');
  }

  requestCount(): number {
    return this.requests;
  }

  /** `library/nginx` style repository path -> `/v2/namespaces/{ns}/repositories/{repo}` */
  private repoPath(repository: string): string {
    const [ns, ...rest] = repository.split('/');
    if (!ns || rest.length !== 1)
      throw new OperationError(`Docker Hub ${repository}`, 'expected <namespace>/<repository>');
    return `/v2/namespaces/${encodeURIComponent(ns)}/repositories/${encodeURIComponent(rest[0] as string)}`;
  }

  private login(): Promise<string> {
    this.token ??= (async () => {
      const { username, password } = this.options;
      // Personal and organisation access tokens work with both; /v2/users/login is the long-standing one.
      const old = await this.send('POST', '/v2/users/login', {
        body: { username, password },
        auth: false,
        allow: [401, 404, 410],
      });
      let token: string | undefined = old.status === 200 ? old.data?.token : undefined;
      if (!token) {
        const fresh = await this.send('POST', '/v2/auth/token', {
          body: { identifier: username, secret: password },
          auth: false,
          allow: [401],
        });
        token = fresh.status === 200 ? fresh.data?.access_token : undefined;
        if (!token) {
          throw new OperationError(
            `Logging in to the Docker Hub API as ${username}`,
            `HTTP ${fresh.status}: ${hubMessage(fresh.data) ?? 'credentials refused'} (use a Docker Hub access token with Read, Write & Delete scope)`,
          );
        }
      }
      this.options.maskSecret?.(token);
      return token;
    })();
    return this.token;
  }

  async listTags(repository: string): Promise<HubTag[]> {
    const out: HubTag[] = [];
    let next: string | undefined = `${this.baseUrl}${this.repoPath(repository)}/tags?page_size=100`;
    const seen = new Set<string>();
    while (next) {
      if (seen.has(next)) throw new OperationError(`Listing Docker Hub tags of ${repository}`, 'pagination loops');
      seen.add(next);
      const res = await this.send('GET', next, {});
      if (!Array.isArray(res.data?.results))
        throw new OperationError(`Listing Docker Hub tags of ${repository}`, 'the answer has no results list');
      out.push(...(res.data.results as HubTag[]));
      next = typeof res.data.next === 'string' && res.data.next ? new URL(res.data.next, this.baseUrl).href : undefined;
      if (next && new URL(next).origin !== new URL(this.baseUrl).origin) {
        throw new OperationError(
          `Listing Docker Hub tags of ${repository}`,
          `the next page points to another host (${new URL(next).origin})`,
        );
      }
    }
    return out;
  }

  /** 'deleted', or 'already-gone' when a re-read confirms the tag no longer exists. */
  async deleteTag(repository: string, tag: string): Promise<'deleted' | 'already-gone'> {
    const path = `${this.repoPath(repository)}/tags/${encodeURIComponent(tag)}`;
    const res = await this.send('DELETE', path, { allow: [404] });
    if (res.status !== 404) return 'deleted';
    const again = await this.send('GET', path, { allow: [404] });
    if (again.status === 404) return 'already-gone';
    throw new OperationError(
      `Deleting Docker Hub tag ${repository}:${tag}`,
      'the Hub answered 404 but the tag is still there: the access token most likely lacks the Delete scope',
    );
  }

  private async send(
    method: string,
    pathOrUrl: string,
    o: { body?: unknown; auth?: boolean; allow?: number[] },
    // biome-ignore lint/suspicious/noExplicitAny: Hub JSON bodies differ per endpoint; callers read the fields they need
  ): Promise<{ status: number; data: any }> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.baseUrl}${pathOrUrl}`;
    const operation = `Docker Hub API ${method} ${new URL(url).pathname}`;
    const retries = this.options.retries ?? 4;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (o.body !== undefined) headers['content-type'] = 'application/json';
      if (o.auth !== false) headers.authorization = `Bearer ${await this.login()}`;
      let res: Response;
      try {
        this.requests++;
        res = await hubFetch(url, {
          method,
          headers,
          ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
        });
      } catch (err) {
        if (attempt < retries) {
          await sleep(500 * 2 ** attempt);
          continue;
        }
        throw new OperationError(operation, `network error: ${(err as Error).message}`);
      }
      const text = await res.text();
      let data: unknown;
      try {
        data = text ? JSON.parse(text) : undefined;
      } catch {
        data = undefined;
      }
      if (res.ok || o.allow?.includes(res.status)) return { status: res.status, data };
      if (res.status === 429 && attempt < retries + 2) {
        const wait = retryAfterMs(res.headers);
        if (wait <= (this.options.maxWaitMs ?? 600_000)) {
          this.options.logger?.warning(`${operation}: rate limited, waiting ${Math.ceil(wait / 1000)} s`);
          await sleep(wait);
          continue;
        }
      }
      if (res.status >= 500 && attempt < retries) {
        await sleep(500 * 2 ** attempt);
        continue;
      }
      throw new OperationError(operation, `HTTP ${res.status}${hubMessage(data) ? `: ${hubMessage(data)}` : ''}`);
    }
  }
}

function retryAfterMs(headers: Headers): number {
  const after = Number(headers.get('retry-after'));
  if (Number.isFinite(after) && after >= 0 && headers.get('retry-after') !== null) return after * 1000;
  const reset = Number(headers.get('x-ratelimit-reset'));
  if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - Date.now()) + 1000;
  return 60_000;
}

// biome-ignore lint/suspicious/noExplicitAny: Hub error bodies vary (message, detail, errinfo)
function hubMessage(data: any): string | undefined {
  const m = data?.message ?? data?.detail ?? data?.errinfo?.message;
  return typeof m === 'string' && m ? m : undefined;
}
