// Where the registry client gets credentials: explicit ones handed over by an action, and the
// docker CLI's config.json (what registry-login and `docker login` write), including credential
// helpers (`docker-credential-<name> get`). Providers only look up; the client masks every secret
// it receives the moment a provider returns it.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { OperationError } from '../errors.js';
import { type DockerAuthEntry, type DockerConfig, parseConfig, resolveConfigDir } from '../registries/docker-config.js';
import { DOCKER_HUB_CONFIG_KEY, dockerConfigKey } from '../registries/hosts.js';

export interface Credential {
  username?: string;
  password?: string;
  /** an OAuth2 refresh token (docker's `identitytoken`), exchanged at the token server */
  identityToken?: string;
  /** a bearer token sent to the registry as it is (docker's `registrytoken`) */
  registryToken?: string;
}

/** Looks up the credential for a normalised registry host (`docker.io` for Docker Hub). */
export type CredentialProvider = (registry: string) => Promise<Credential | undefined>;

/** True when the credential carries anything usable. */
export function hasSecret(credential: Credential | undefined): credential is Credential {
  return Boolean(credential && (credential.password || credential.identityToken || credential.registryToken));
}

/** Every secret a credential holds, for masking. */
export function credentialSecrets(credential: Credential | undefined): string[] {
  if (!credential) return [];
  return [credential.password, credential.identityToken, credential.registryToken].filter(
    (s): s is string => typeof s === 'string' && s !== '',
  );
}

/** Credentials given explicitly, keyed by registry host (Docker Hub spellings are all accepted). */
export function staticCredentials(map: Record<string, Credential>): CredentialProvider {
  const byHost = new Map<string, Credential>();
  for (const [key, value] of Object.entries(map)) byHost.set(configKeyHost(key), value);
  return async (registry) => byHost.get(configKeyHost(registry));
}

/** The first provider that knows the registry wins. */
export function chainCredentials(...providers: CredentialProvider[]): CredentialProvider {
  return async (registry) => {
    for (const provider of providers) {
      const found = await provider(registry);
      if (hasSecret(found)) return found;
    }
    return undefined;
  };
}

const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/**
 * The registry host a config.json key stands for: `https://index.docker.io/v1/` → docker.io,
 * `https://ghcr.io` → ghcr.io, `Registry.Example.com:5000/v2/` → registry.example.com:5000.
 * The docker CLI matches keys the same way (scheme and path ignored).
 */
export function configKeyHost(key: string): string {
  const host = (
    key
      .trim()
      .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
      .split('/')[0] ?? ''
  ).toLowerCase();
  return DOCKER_HUB_HOSTS.has(host) ? 'docker.io' : host;
}

/** Decodes an `auths` entry. The `auth` field is base64 of `user:password`, split at the first colon. */
export function entryCredential(entry: DockerAuthEntry | undefined): Credential | undefined {
  if (!entry || typeof entry !== 'object') return undefined;
  const credential: Credential = {};
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      credential.username = decoded.slice(0, colon);
      credential.password = decoded.slice(colon + 1);
    }
  }
  if (typeof entry.username === 'string' && entry.username !== '') credential.username = entry.username;
  if (typeof entry.password === 'string' && entry.password !== '') credential.password = entry.password;
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') {
    credential.identityToken = entry.identitytoken;
  }
  if (typeof entry.registrytoken === 'string' && entry.registrytoken !== '') {
    credential.registryToken = entry.registrytoken;
  }
  return hasSecret(credential) ? credential : undefined;
}

/** The `auths` entry for a registry, whatever spelling (scheme, path, case) its key uses. */
export function findAuthEntry(config: DockerConfig, registry: string): DockerAuthEntry | undefined {
  const auths = config.auths ?? {};
  const exact = auths[dockerConfigKey(registry)] ?? auths[registry];
  if (exact) return exact;
  const wanted = configKeyHost(registry);
  for (const [key, entry] of Object.entries(auths)) if (configKeyHost(key) === wanted) return entry;
  return undefined;
}

/** The helper name config.json assigns to a registry: `credHelpers` first, then `credsStore`. */
export function helperFor(config: DockerConfig, registry: string): string | undefined {
  const helpers = config.credHelpers ?? {};
  const wanted = configKeyHost(registry);
  for (const [key, name] of Object.entries(helpers)) if (configKeyHost(key) === wanted && name) return name;
  return config.credsStore || undefined;
}

interface HelperAnswer {
  ServerURL?: string;
  Username?: string;
  Secret?: string;
}

/**
 * Runs `docker-credential-<name> get` with the server URL on stdin (the protocol of
 * docker-credential-helpers). Undefined when the helper has nothing for the server. The helper's
 * output is never quoted in errors: it carries the secret.
 */
export function runCredentialHelper(
  name: string,
  serverUrl: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Credential | undefined> {
  const program = `docker-credential-${name}`;
  const operation = `getting credentials for ${serverUrl} from ${program}`;
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['get'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why = e.code === 'ENOENT' ? `'${program}' is not installed or not on PATH` : e.message;
      reject(new OperationError(operation, why));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8').trim();
      if (code !== 0) {
        // The helpers print this (on stdout) when they hold nothing for the server.
        if (/credentials not found/i.test(stdout) || /credentials not found/i.test(Buffer.concat(err).toString())) {
          resolve(undefined);
          return;
        }
        reject(new OperationError(operation, `the helper exited with code ${code}`));
        return;
      }
      let answer: HelperAnswer;
      try {
        answer = JSON.parse(stdout) as HelperAnswer;
      } catch {
        reject(new OperationError(operation, 'the helper did not print a JSON object'));
        return;
      }
      if (!answer.Secret) {
        resolve(undefined);
        return;
      }
      // By the helpers' convention the user name `<token>` marks an identity (refresh) token.
      if (answer.Username === '<token>') resolve({ identityToken: answer.Secret });
      else resolve({ username: answer.Username, password: answer.Secret });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(serverUrl);
  });
}

export interface DockerConfigCredentialsOptions {
  /** the folder holding config.json (default: DOCKER_CONFIG, else ~/.docker) */
  configDir?: string;
  /** environment for DOCKER_CONFIG, HOME and the helpers' PATH (default: process.env) */
  env?: NodeJS.ProcessEnv;
}

/**
 * Credentials from the docker config, looked up the way the docker CLI does: a `credHelpers`
 * entry for the registry, else `credsStore`, else the `auths` entry. When a helper holds nothing
 * the `auths` entry is still tried (registry-login writes there even where a store is set).
 * The file is read on first use and kept; helper answers are kept per registry.
 */
export function dockerConfigCredentials(options: DockerConfigCredentialsOptions = {}): CredentialProvider {
  const env = options.env ?? process.env;
  let config: Promise<DockerConfig> | undefined;
  const answers = new Map<string, Promise<Credential | undefined>>();
  const load = (): Promise<DockerConfig> => {
    config ??= (async () => {
      const file = `${resolveConfigDir(options.configDir, env)}/config.json`;
      let bytes: Buffer | undefined;
      try {
        bytes = await readFile(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw new OperationError(`reading the docker config ${file}`, (err as Error).message);
        }
      }
      return parseConfig(bytes, file);
    })();
    return config;
  };
  return (registry) => {
    let answer = answers.get(registry);
    if (!answer) {
      answer = (async () => {
        const cfg = await load();
        const helper = helperFor(cfg, registry);
        if (helper) {
          const serverUrl = registry === 'docker.io' ? DOCKER_HUB_CONFIG_KEY : registry;
          const fromHelper = await runCredentialHelper(helper, serverUrl, env);
          if (hasSecret(fromHelper)) return fromHelper;
        }
        return entryCredential(findAuthEntry(cfg, registry));
      })();
      answers.set(registry, answer);
    }
    return answer;
  };
}
