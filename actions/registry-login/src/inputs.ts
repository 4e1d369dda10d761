// Every input of registry-login, read once and validated into one typed object. The single
// registry inputs and the `registries` YAML list describe the same thing (one request per
// registry); provider options given as inputs are defaults for every list entry.
import { getBooleanInput, getEnumInput, getInput, getListInput, getYamlInput } from '#shared/action/inputs.js';
import { maskSecret } from '#shared/action/log.js';
import { ConfigurationError } from '#shared/errors.js';
import { detectProvider, normalizeRegistry, PROVIDERS, type Provider } from '#shared/registries/hosts.js';
import { normalizeAccountId } from './aws.js';
import { parseWorkloadIdentityProvider } from './google.js';

export const VERIFY_SCOPES = ['none', 'pull', 'push'] as const;
export type VerifyScope = (typeof VERIFY_SCOPES)[number];
export const PROVIDER_CHOICES = ['auto', ...PROVIDERS] as const;
export type ProviderChoice = (typeof PROVIDER_CHOICES)[number];

export interface RegistryRequest {
  /** 1-based position in `registries`; undefined for the single-registry inputs */
  entry?: number;
  registry: string;
  provider: Provider;
  username?: string;
  password?: string;
  aws: { region?: string; roleToAssume?: string; accountIds: string[] };
  gcp: { workloadIdentityProvider?: string; serviceAccount?: string };
  azure: { clientId?: string; tenantId?: string };
  verify: VerifyScope;
  verifyRepository?: string;
}

export interface Inputs {
  requests: RegistryRequest[];
  logout: boolean;
  configDir?: string;
  githubToken?: string;
}

/** The raw values of one request, as inputs or as a YAML entry give them. */
export interface RawRequest {
  registry?: string;
  username?: string;
  password?: string;
  provider?: string;
  'aws-region'?: string;
  'aws-role-to-assume'?: string;
  'aws-account-ids'?: unknown;
  'gcp-workload-identity-provider'?: string;
  'gcp-service-account'?: string;
  'azure-client-id'?: string;
  'azure-tenant-id'?: string;
  verify?: string;
  'verify-repository'?: string;
}

export const ENTRY_KEYS = [
  'registry',
  'username',
  'password',
  'provider',
  'aws-region',
  'aws-role-to-assume',
  'aws-account-ids',
  'gcp-workload-identity-provider',
  'gcp-service-account',
  'azure-client-id',
  'azure-tenant-id',
  'verify',
  'verify-repository',
] as const;

/** The error for a field of a request: the input itself, or the `registries` entry that holds it. */
export function fieldError(
  request: { entry?: number; registry?: string },
  field: string,
  message: string,
): ConfigurationError {
  if (request.entry === undefined) return new ConfigurationError(message, field);
  const which = request.registry ? ` (${request.registry})` : '';
  return new ConfigurationError(`entry ${request.entry}${which}, key '${field}': ${message}`, 'registries');
}

function pick<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
  request: { entry?: number },
  field: string,
): T {
  if (value === undefined || value === '') return fallback;
  const found = allowed.find((a) => a === value.toLowerCase());
  if (!found) throw fieldError(request, field, `'${value}' is not accepted (expected one of: ${allowed.join(', ')})`);
  return found;
}

function accountIds(value: unknown, request: { entry?: number }): string[] {
  if (value === undefined || value === null || value === '') return [];
  const items = Array.isArray(value)
    ? value
    : String(value)
        .split(/[\s,]+/)
        .filter(Boolean);
  const input = request.entry === undefined ? 'aws-account-ids' : 'registries';
  return items.map((v) => {
    try {
      return normalizeAccountId(v, input);
    } catch (err) {
      if (request.entry === undefined) throw err;
      throw fieldError(request, 'aws-account-ids', `'${String(v)}' is not an AWS account ID (expected 12 digits)`);
    }
  });
}

/** Validates one request; `defaults` are the top-level provider options (list mode). */
export function toRequest(raw: RawRequest, entry: number | undefined, defaults: RawRequest = {}): RegistryRequest {
  const value = (k: keyof RawRequest): string | undefined => {
    const v = raw[k] ?? defaults[k];
    if (v === undefined || v === null) return undefined;
    const text = String(v).trim();
    return text === '' ? undefined : text;
  };
  const registry = normalizeRegistry(value('registry'), entry === undefined ? 'registry' : 'registries');
  const where = { entry, registry };
  const choice = pick(value('provider'), PROVIDER_CHOICES, 'auto', where, 'provider');
  const provider = choice === 'auto' ? detectProvider(registry) : choice;
  const wip = value('gcp-workload-identity-provider');
  const request: RegistryRequest = {
    entry,
    registry,
    provider,
    username: value('username'),
    password:
      raw.password === undefined || raw.password === null ? undefined : String(raw.password).trim() || undefined,
    aws: {
      region: value('aws-region'),
      roleToAssume: value('aws-role-to-assume'),
      accountIds: accountIds(raw['aws-account-ids'] ?? defaults['aws-account-ids'], where),
    },
    gcp: {
      workloadIdentityProvider: wip
        ? parseWorkloadIdentityProvider(wip, entry === undefined ? 'gcp-workload-identity-provider' : 'registries')
        : undefined,
      serviceAccount: value('gcp-service-account'),
    },
    azure: { clientId: value('azure-client-id'), tenantId: value('azure-tenant-id') },
    verify: pick(value('verify'), VERIFY_SCOPES, 'pull', where, 'verify'),
    verifyRepository: value('verify-repository')?.replace(/^\/+|\/+$/g, ''),
  };
  if (request.aws.region && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(request.aws.region)) {
    throw fieldError(
      where,
      'aws-region',
      `'${request.aws.region}' is not an AWS region (expected a name such as eu-west-1)`,
    );
  }
  if (
    request.verifyRepository &&
    !/^[a-z0-9]+([._-][a-z0-9]+|__)*(\/[a-z0-9]+([._-][a-z0-9]+|__)*)*$/.test(request.verifyRepository)
  ) {
    throw fieldError(
      where,
      'verify-repository',
      `'${request.verifyRepository}' is not a repository name (expected a path such as my-org/my-app, without registry or tag)`,
    );
  }
  return request;
}

/** Parses the `registries` YAML list into raw requests, naming the entry and key of each problem. */
export function parseRegistriesList(value: unknown): RawRequest[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigurationError(
      'expected a YAML list of entries such as `- registry: ghcr.io` with optional username, password, provider and provider options',
      'registries',
    );
  }
  return value.map((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw new ConfigurationError(
        `entry ${i + 1} is not a mapping (expected keys such as registry, username, password)`,
        'registries',
      );
    }
    for (const key of Object.keys(item)) {
      if (!(ENTRY_KEYS as readonly string[]).includes(key)) {
        throw new ConfigurationError(
          `entry ${i + 1} has an unknown key '${key}' (accepted: ${ENTRY_KEYS.join(', ')})`,
          'registries',
        );
      }
    }
    const raw = item as Record<string, unknown>;
    for (const key of ENTRY_KEYS) {
      const v = raw[key];
      const scalar = v === undefined || v === null || ['string', 'number', 'boolean'].includes(typeof v);
      if (!scalar && !(key === 'aws-account-ids' && Array.isArray(v))) {
        throw new ConfigurationError(`entry ${i + 1}, key '${key}': expected a single value`, 'registries');
      }
    }
    return raw as RawRequest;
  });
}

export function buildRequests(single: RawRequest, list: unknown): RegistryRequest[] {
  if (list === undefined) return [toRequest(single, undefined)];
  const mixed = (['registry', 'username', 'password'] as const).filter((k) => single[k] !== undefined);
  if (mixed.length > 0) {
    throw new ConfigurationError(
      `cannot be combined with ${mixed.map((k) => `'${k}'`).join(', ')}: give each registry with its username and password as an entry of 'registries', or use the single-registry inputs alone`,
      'registries',
    );
  }
  const requests = parseRegistriesList(list).map((raw, i) => toRequest(raw, i + 1, single));
  const seen = new Map<string, number>();
  for (const r of requests) {
    const first = seen.get(r.registry);
    if (first !== undefined) {
      throw new ConfigurationError(`entries ${first} and ${r.entry} both log in to ${r.registry}`, 'registries');
    }
    seen.set(r.registry, r.entry as number);
  }
  return requests;
}

export async function readInputs(): Promise<Inputs> {
  const password = getInput('password');
  maskSecret(password);
  const listText = getInput('registries');
  const list = listText === undefined ? undefined : await getYamlInput('registries');
  if (list !== undefined) {
    // Passwords inside the list are masked before anything can print them.
    for (const item of Array.isArray(list) ? list : []) {
      if (item && typeof item === 'object' && 'password' in item)
        maskSecret(String((item as RawRequest).password ?? ''));
    }
  }
  const accountList = getListInput('aws-account-ids');
  const single: RawRequest = {
    registry: getInput('registry'),
    username: getInput('username'),
    password,
    // checked here so a wrong value is named as the input even in list mode
    provider: getEnumInput('provider', PROVIDER_CHOICES, 'auto'),
    'aws-region': getInput('aws-region'),
    'aws-role-to-assume': getInput('aws-role-to-assume'),
    'aws-account-ids': accountList.length ? accountList : undefined,
    'gcp-workload-identity-provider': getInput('gcp-workload-identity-provider'),
    'gcp-service-account': getInput('gcp-service-account'),
    'azure-client-id': getInput('azure-client-id'),
    'azure-tenant-id': getInput('azure-tenant-id'),
    verify: getEnumInput('verify', VERIFY_SCOPES, 'pull'),
    'verify-repository': getInput('verify-repository'),
  };
  const githubToken = getInput('github-token');
  maskSecret(githubToken);
  return {
    requests: buildRequests(single, list),
    logout: getBooleanInput('logout', true),
    configDir: getInput('config-dir'),
    githubToken,
  };
}
