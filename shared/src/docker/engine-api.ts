// A few read-only questions to the docker engine, asked over its unix socket directly: a docker
// CLI process costs 25-40 ms to start, an HTTP exchange on the socket about 2 ms. Only when the
// CLI would talk to that same socket (no context chosen, DOCKER_HOST unset or unix://); any
// other set-up, or any failure, leaves the answer to the CLI.
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { dockerConfigFile } from './docker-cli.js';

const DEFAULT_SOCKET = '/var/run/docker.sock';

/**
 * The unix socket the docker CLI would use with this environment, or undefined when it would use
 * something else or it cannot be told without the CLI: a context (DOCKER_CONTEXT, or a
 * `currentContext` other than `default` in the docker config), a tcp:// or ssh:// host.
 */
export function engineSocket(env: NodeJS.ProcessEnv): string | undefined {
  if (env.DOCKER_CONTEXT) return undefined;
  const host = env.DOCKER_HOST;
  if (host)
    return host.startsWith('unix://') && host.length > 'unix://'.length ? host.slice('unix://'.length) : undefined;
  let config: { currentContext?: unknown };
  try {
    config = JSON.parse(readFileSync(dockerConfigFile(env), 'utf8')) as { currentContext?: unknown };
  } catch (err) {
    // no config: the default socket; a config the CLI would read but this cannot: leave it to the CLI
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? DEFAULT_SOCKET : undefined;
  }
  const context = config?.currentContext;
  return context === undefined || context === '' || context === 'default' ? DEFAULT_SOCKET : undefined;
}

/** GET `path` of the engine API on `socket`; the parsed JSON body of a 200 answer, else an error. */
export function engineGet(socket: string, path: string, timeoutMs = 5_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path, method: 'GET', headers: { host: 'docker' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        if (res.statusCode !== 200) {
          reject(new Error(`the docker engine answered ${path} with HTTP ${res.statusCode}`));
          return;
        }
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (err) {
          reject(err);
        }
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`the docker engine did not answer ${path} in time`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Whether the engine has a network named `name`, asked over the socket; undefined when the
 * socket cannot answer (the caller then asks the CLI).
 */
export async function engineHasNetwork(env: NodeJS.ProcessEnv, name: string): Promise<boolean | undefined> {
  const socket = engineSocket(env);
  if (!socket) return undefined;
  try {
    const filters = encodeURIComponent(JSON.stringify({ name: { [name]: true } }));
    const networks = await engineGet(socket, `/networks?filters=${filters}`);
    if (!Array.isArray(networks)) return undefined;
    // the name filter matches substrings: compare exactly
    return networks.some((n) => (n as { Name?: unknown } | null)?.Name === name);
  } catch {
    return undefined;
  }
}
