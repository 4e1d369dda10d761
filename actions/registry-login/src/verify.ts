// Checks a login before it is written: the docker-login handshake (right credentials?), then,
// with `verify-repository`, the registry's own token handshake for the pull or push scope on
// that repository, through the shared registry client. Failures say which of these it was:
// wrong credentials, no permission on the repository, registry unreachable, TLS problem.
import { OperationError } from '#shared/errors.js';
import { RegistryClient, RegistryError } from '#shared/oci/client.js';
import { staticCredentials } from '#shared/oci/credentials.js';
import { loginHandshake } from './handshake.js';
import type { HttpClient } from './http.js';
import type { VerifyScope } from './inputs.js';

export interface VerifyOptions {
  http: HttpClient;
  registry: string;
  username: string;
  password: string;
  scope: VerifyScope;
  repository?: string;
  mask: (secret: string) => void;
  debug: (message: string) => void;
}

/** What was checked, for the summary: `login`, `pull on <repo>`, `push on <repo>`, or `none`. */
export async function verifyLogin(options: VerifyOptions): Promise<string> {
  if (options.scope === 'none') return 'none';
  const handshake = await loginHandshake(options.http, options.registry, options.username, options.password);
  if (handshake === 'anonymous-registry') {
    options.debug(
      `${options.registry} answers /v2/ without credentials; the credentials are checked per repository only`,
    );
  }
  if (!options.repository) return handshake === 'authenticated' ? 'login' : 'reachable (no authentication asked)';

  const client = new RegistryClient({
    credentials: staticCredentials({ [options.registry]: { username: options.username, password: options.password } }),
    maskSecret: options.mask,
    logger: { debug: options.debug },
    retry: { retries: 2 },
  });
  const repo = { registry: options.registry, repository: options.repository };
  const where = `${options.registry}/${options.repository}`;
  try {
    // A tag that does not exist is fine: a 404 comes only after the pull scope was granted.
    await client.headManifest(repo, 'latest');
  } catch (err) {
    throw explain(err, `checking pull access to ${where}`, `user '${options.username}' may not pull ${where}`);
  }
  if (options.scope === 'pull') return `pull on ${options.repository}`;
  try {
    // Opening an upload session asks for the push scope; the session is cancelled at once, so
    // nothing is written.
    await client.checkPushAccess(repo);
  } catch (err) {
    throw explain(
      err,
      `checking push access to ${where}`,
      `user '${options.username}' is authenticated but has no push permission on ${where}`,
    );
  }
  return `push on ${options.repository}`;
}

function explain(err: unknown, operation: string, denied: string): Error {
  if (err instanceof RegistryError && (err.status === 401 || err.status === 403)) {
    return new OperationError(operation, `${denied} (HTTP ${err.status}${err.code ? ` ${err.code}` : ''})`);
  }
  return err instanceof Error ? err : new OperationError(operation, String(err));
}
