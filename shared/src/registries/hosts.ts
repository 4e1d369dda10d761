// Registry hosts: normalising what users type as a registry, telling which cloud or service
// runs it from the host name alone, and the key the docker CLI files its credentials under.
import { ConfigurationError } from '../errors.js';
import { stripUserinfo } from '../oci/reference.js';

export const PROVIDERS = ['basic', 'ghcr', 'dockerhub', 'ecr', 'ecr-public', 'gar', 'acr'] as const;
export type Provider = (typeof PROVIDERS)[number];

/** The key the docker CLI uses for Docker Hub in config.json `auths`. */
export const DOCKER_HUB_CONFIG_KEY = 'https://index.docker.io/v1/';

const DOCKER_HUB_ALIASES = new Set([
  '',
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
  'hub.docker.com',
]);

/**
 * `https://ghcr.io/`, `GHCR.IO`, `ghcr.io/owner` → `ghcr.io`; every Docker Hub spelling (and
 * empty) → `docker.io`. Only the host[:port] is kept; a path is dropped, as `docker login` does.
 */
export function normalizeRegistry(text: string | undefined, input = 'registry'): string {
  let value = (text ?? '').trim();
  if (value === 'https://index.docker.io/v1/' || value === 'https://index.docker.io/v1') return 'docker.io';
  value = value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const host = (value.split('/')[0] ?? '').toLowerCase();
  if (DOCKER_HUB_ALIASES.has(host)) return 'docker.io';
  if (!/^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)(:\d{1,5})?$/.test(host)) {
    const quoted = stripUserinfo(text ?? '');
    if (quoted !== text) {
      throw new ConfigurationError(
        `'${quoted}' carries credentials in the URL: give the registry host alone and the credentials as username and password`,
        input,
      );
    }
    throw new ConfigurationError(
      `'${text}' is not a registry host (expected a host name with an optional port, such as ghcr.io, 123456789012.dkr.ecr.eu-west-1.amazonaws.com or 127.0.0.1:5000)`,
      input,
    );
  }
  return host;
}

/** The key under which the docker CLI (and every tool reading its config) looks the registry up. */
export function dockerConfigKey(registry: string): string {
  return registry === 'docker.io' ? DOCKER_HUB_CONFIG_KEY : registry;
}

export interface EcrHost {
  accountId: string;
  region: string;
  fips: boolean;
  /** the DNS suffix of the partition: amazonaws.com, amazonaws.com.cn, ... */
  dnsSuffix: string;
}

// Private ECR: <account>.dkr.ecr[-fips].<region>.<partition suffix>, and the dual-stack
// <account>.dkr-ecr[-fips].<region>.on.aws.
const ECR_HOST =
  /^(\d{12})\.(dkr\.ecr|dkr-ecr)(-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\.(amazonaws\.com(?:\.cn)?|on\.aws|c2s\.ic\.gov|sc2s\.sgov\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$/;

export function parseEcrHost(registry: string): EcrHost | undefined {
  const m = ECR_HOST.exec(registry);
  if (!m) return undefined;
  return { accountId: m[1] as string, fips: Boolean(m[3]), region: m[4] as string, dnsSuffix: m[5] as string };
}

export function ecrHost(accountId: string, region: string, options: { fips?: boolean } = {}): string {
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `${accountId}.dkr.ecr${options.fips ? '-fips' : ''}.${region}.${suffix}`;
}

export const ECR_PUBLIC_HOST = 'public.ecr.aws';

/** The provider a registry host belongs to; any other host is a plain v2 registry (`basic`). */
export function detectProvider(registry: string): Provider {
  const host = registry.replace(/:\d+$/, '');
  if (registry === 'docker.io') return 'dockerhub';
  if (host === 'ghcr.io') return 'ghcr';
  if (host === ECR_PUBLIC_HOST) return 'ecr-public';
  if (parseEcrHost(host)) return 'ecr';
  if (host === 'gcr.io' || host.endsWith('.gcr.io') || host.endsWith('-docker.pkg.dev')) return 'gar';
  if (host.endsWith('.azurecr.io') || host.endsWith('.azurecr.cn') || host.endsWith('.azurecr.us')) return 'acr';
  return 'basic';
}

/** True for hosts on the loopback interface, which registries and docker reach over plain HTTP. */
export function isLoopbackHost(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The base URL of a registry's HTTP API: plain HTTP on loopback, HTTPS elsewhere. */
export function registryBaseUrl(registry: string): string {
  if (registry === 'docker.io') return 'https://registry-1.docker.io';
  return `${isLoopbackHost(registry) ? 'http' : 'https'}://${registry}`;
}

/** A URL for a message: origin and path, never userinfo or query (either may be a credential). */
function urlText(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * Why credentials must not be sent to a token realm a registry named, or undefined when they
 * may: the realm must be an http(s) URL, and https unless the registry is plain http on loopback.
 */
export function realmProblem(registryOrigin: string, realm: string): string | undefined {
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    return 'the registry named a token realm that is not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return `the registry named a token realm that is not http(s) (${url.protocol})`;
  }
  if (url.protocol === 'http:') {
    const registry = new URL(registryOrigin);
    if (registry.protocol !== 'http:' || !isLoopbackHost(registry.hostname)) {
      return `the registry named the plain-http token realm ${urlText(url)}: credentials would travel unencrypted, so no token is asked for (a plain-http realm is accepted only for a plain-http registry on this machine)`;
    }
  }
  return undefined;
}
