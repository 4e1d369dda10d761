// The handshake `docker login` performs, to tell right from wrong credentials before anything
// is written: GET /v2/; on a Basic challenge repeat it with the credentials, on a Bearer
// challenge ask the token server for a token without scope (`account=<user>`), by GET.
import { OperationError } from '#shared/errors.js';
import { realmProblem, registryBaseUrl } from '#shared/registries/hosts.js';
import type { HttpClient } from './http.js';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses a WWW-Authenticate header (one challenge; quoted or token parameter values). */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (let p = re.exec(m[2] as string); p; p = re.exec(m[2] as string)) {
    params[(p[1] as string).toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme: (m[1] as string).toLowerCase(), params };
}

export type HandshakeResult = 'authenticated' | 'anonymous-registry';

export async function loginHandshake(
  http: HttpClient,
  registry: string,
  username: string,
  password: string,
): Promise<HandshakeResult> {
  const operation = `logging in to ${registry}`;
  const basic = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const base = registryBaseUrl(registry);
  const ping = await http.request(operation, `${base}/v2/`, { method: 'GET' });
  if (ping.status === 200) return 'anonymous-registry';
  if (ping.status !== 401) {
    throw new OperationError(operation, `GET /v2/ answered HTTP ${ping.status}; is ${registry} a container registry?`);
  }
  const challenge = parseChallenge(ping.headers.get('www-authenticate'));
  if (!challenge || challenge.scheme === 'basic') {
    const again = await http.request(operation, `${base}/v2/`, { method: 'GET', headers: { Authorization: basic } });
    if (again.status === 200) return 'authenticated';
    if (again.status === 401 || again.status === 403) {
      throw new OperationError(
        operation,
        `wrong credentials: the registry refused user '${username}' (HTTP ${again.status})`,
      );
    }
    throw new OperationError(operation, `GET /v2/ with credentials answered HTTP ${again.status}`);
  }
  if (challenge.scheme !== 'bearer' || !challenge.params.realm) {
    throw new OperationError(operation, `unsupported authentication challenge '${challenge.scheme}'`);
  }
  const realm = new URL(challenge.params.realm, `${base}/v2/`);
  // the password goes to the realm: never in clear, unless the registry itself is plain http here
  const problem = realmProblem(base, realm.toString());
  if (problem) throw new OperationError(operation, problem);
  if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
  realm.searchParams.set('account', username);
  const token = await http.request(`${operation} (token server ${realm.host})`, realm.toString(), {
    method: 'GET',
    headers: { Authorization: basic },
  });
  if (token.status === 200) return 'authenticated';
  if (token.status === 401 || token.status === 403) {
    throw new OperationError(
      operation,
      `wrong credentials: the token server ${realm.host} refused user '${username}' (HTTP ${token.status})`,
    );
  }
  throw new OperationError(operation, `the token server ${realm.host} answered HTTP ${token.status}`);
}
