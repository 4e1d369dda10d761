// AWS without the SDK: Signature Version 4 with node:crypto, STS AssumeRoleWithWebIdentity
// (query API, XML answers) and ECR / ECR Public GetAuthorizationToken (JSON 1.1 APIs).
// Endpoints follow the SDKs' own overrides: AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL.
import { createHash, createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ConfigurationError, OperationError } from '#shared/errors.js';
import { bodyExcerpt, type HttpClient, jsonBody } from './http.js';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

// ---- Signature Version 4 ----

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** RFC 3986 encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function canonicalQuery(url: URL): string {
  const pairs = [...url.searchParams.entries()].map(([k, v]) => [uriEncode(k), uriEncode(v)] as const);
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function canonicalPath(url: URL): string {
  const segments = url.pathname.split('/').map((s) => uriEncode(decodeURIComponent(s)));
  return segments.join('/') || '/';
}

export interface SignInput {
  method: string;
  url: URL;
  /** headers to send and sign (host and x-amz-date are added) */
  headers: Record<string, string>;
  body: string;
  service: string;
  region: string;
  credentials: AwsCredentials;
  now: Date;
}

/** Returns the headers to send: the given ones plus x-amz-date, the session token and Authorization. */
export function signV4(input: SignInput): Record<string, string> {
  const amzDate = input.now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = { ...input.headers, 'x-amz-date': amzDate };
  if (input.credentials.sessionToken) headers['x-amz-security-token'] = input.credentials.sessionToken;
  const toSign: Record<string, string> = { host: input.url.host };
  for (const [k, v] of Object.entries(headers)) toSign[k.toLowerCase()] = v.trim().replace(/\s+/g, ' ');
  const names = Object.keys(toSign).sort();
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    input.method.toUpperCase(),
    canonicalPath(input.url),
    canonicalQuery(input.url),
    names.map((n) => `${n}:${toSign[n]}\n`).join(''),
    signedHeaders,
    sha256Hex(input.body),
  ].join('\n');
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${input.credentials.secretAccessKey}`, day);
  key = hmac(key, input.region);
  key = hmac(key, input.service);
  key = hmac(key, 'aws4_request');
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  headers.Authorization = `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}

// ---- endpoints ----

function dnsSuffix(region: string): string {
  return region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
}

/** The endpoint for a service: AWS_ENDPOINT_URL_<SERVICE ID>, AWS_ENDPOINT_URL, else the public one. */
export function awsEndpoint(serviceEnvId: string, fallback: string, env: NodeJS.ProcessEnv): string {
  const specific = env[`AWS_ENDPOINT_URL_${serviceEnvId}`];
  const global = env.AWS_ENDPOINT_URL;
  return (specific || global || fallback).replace(/\/+$/, '');
}

export function stsEndpoint(region: string, env: NodeJS.ProcessEnv): string {
  return awsEndpoint('STS', `https://sts.${region}.${dnsSuffix(region)}`, env);
}

export function ecrEndpoint(region: string, fips: boolean, env: NodeJS.ProcessEnv): string {
  const host = fips ? `ecr-fips.${region}.${dnsSuffix(region)}` : `api.ecr.${region}.${dnsSuffix(region)}`;
  return awsEndpoint('ECR', `https://${host}`, env);
}

export function ecrPublicEndpoint(env: NodeJS.ProcessEnv): string {
  return awsEndpoint('ECR_PUBLIC', 'https://api.ecr-public.us-east-1.amazonaws.com', env);
}

// ---- credentials ----

/** The usual environment credentials: static keys, or a web identity token file (EKS, self-hosted). */
export function environmentCredentials(env: NodeJS.ProcessEnv): AwsCredentials | undefined {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      sessionToken: env.AWS_SESSION_TOKEN || undefined,
    };
  }
  return undefined;
}

export async function webIdentityTokenFromFile(
  env: NodeJS.ProcessEnv,
): Promise<{ roleArn: string; token: string } | undefined> {
  if (!env.AWS_WEB_IDENTITY_TOKEN_FILE || !env.AWS_ROLE_ARN) return undefined;
  try {
    const token = (await readFile(env.AWS_WEB_IDENTITY_TOKEN_FILE, 'utf8')).trim();
    return { roleArn: env.AWS_ROLE_ARN, token };
  } catch (err) {
    throw new OperationError(
      `reading AWS_WEB_IDENTITY_TOKEN_FILE ${env.AWS_WEB_IDENTITY_TOKEN_FILE}`,
      (err as NodeJS.ErrnoException).code ?? (err as Error).message,
    );
  }
}

// ---- STS ----

function xmlText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  if (!m) return undefined;
  return (m[1] as string)
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
}

/** `Code: Message` from an AWS query-API (XML) error body. */
export function stsErrorText(text: string): string {
  const code = xmlText(text, 'Code');
  const message = xmlText(text, 'Message');
  if (code || message) return [code, message].filter(Boolean).join(': ');
  return bodyExcerpt(text);
}

export interface AssumeRoleOptions {
  http: HttpClient;
  env: NodeJS.ProcessEnv;
  region: string;
  roleArn: string;
  webIdentityToken: string;
  sessionName: string;
  durationSeconds?: number;
  mask: (secret: string) => void;
}

export async function assumeRoleWithWebIdentity(options: AssumeRoleOptions): Promise<AwsCredentials> {
  const operation = `assuming ${options.roleArn} with STS AssumeRoleWithWebIdentity`;
  const body = new URLSearchParams({
    Action: 'AssumeRoleWithWebIdentity',
    Version: '2011-06-15',
    RoleArn: options.roleArn,
    RoleSessionName: options.sessionName,
    WebIdentityToken: options.webIdentityToken,
    DurationSeconds: String(options.durationSeconds ?? 3600),
  }).toString();
  const response = await options.http.request(operation, `${stsEndpoint(options.region, options.env)}/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8', Accept: 'text/xml' },
    body,
  });
  if (response.status !== 200) {
    const why = stsErrorText(response.text);
    const hint = /AccessDenied|InvalidIdentityToken/.test(why)
      ? ` (check that the role's trust policy trusts token.actions.githubusercontent.com with audience sts.amazonaws.com and this repository's subject)`
      : '';
    throw new OperationError(operation, `HTTP ${response.status}: ${why}${hint}`);
  }
  const accessKeyId = xmlText(response.text, 'AccessKeyId');
  const secretAccessKey = xmlText(response.text, 'SecretAccessKey');
  const sessionToken = xmlText(response.text, 'SessionToken');
  if (!accessKeyId || !secretAccessKey || !sessionToken) {
    throw new OperationError(operation, 'the answer holds no Credentials element');
  }
  options.mask(secretAccessKey);
  options.mask(sessionToken);
  return { accessKeyId, secretAccessKey, sessionToken };
}

// ---- ECR ----

export interface EcrToken {
  /** host of the registry the token is for */
  registry: string;
  username: string;
  password: string;
  expiresAt?: Date;
}

interface EcrAuthorizationData {
  authorizationToken?: string;
  expiresAt?: number;
  proxyEndpoint?: string;
}

/** `Type: message` from an AWS JSON-protocol error. */
export function awsJsonErrorText(status: number, headers: Headers, text: string): string {
  const body = jsonBody({ status, headers, text }) as
    | { __type?: string; message?: string; Message?: string }
    | undefined;
  const rawType = headers.get('x-amzn-errortype') ?? body?.__type ?? '';
  const type = rawType.split(':')[0]?.split('#').pop() ?? '';
  const message = body?.message ?? body?.Message;
  if (type || message) return [type, message].filter(Boolean).join(': ');
  return bodyExcerpt(text);
}

function decodeEcrToken(
  token: string,
  operation: string,
  mask: (s: string) => void,
): { username: string; password: string } {
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw new OperationError(operation, 'the authorization token is not base64 of user:password');
  const password = decoded.slice(colon + 1);
  mask(password);
  return { username: decoded.slice(0, colon), password };
}

async function signedJsonCall(
  http: HttpClient,
  operation: string,
  endpoint: string,
  target: string,
  service: string,
  region: string,
  credentials: AwsCredentials,
  payload: object,
  now: () => Date,
) {
  const url = new URL(`${endpoint}/`);
  const body = JSON.stringify(payload);
  const headers = signV4({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
    body,
    service,
    region,
    credentials,
    now: now(),
  });
  const response = await http.request(operation, url.toString(), { method: 'POST', headers, body });
  if (response.status !== 200) {
    const why = awsJsonErrorText(response.status, response.headers, response.text);
    const hint = /AccessDenied|UnrecognizedClient|InvalidSignature|ExpiredToken/.test(why)
      ? ' (the AWS credentials are wrong, expired, or lack the permission; ECR login needs ecr:GetAuthorizationToken)'
      : '';
    throw new OperationError(operation, `HTTP ${response.status}: ${why}${hint}`);
  }
  const json = jsonBody(response);
  if (!json || typeof json !== 'object')
    throw new OperationError(operation, `unexpected answer: ${bodyExcerpt(response.text)}`);
  return json as Record<string, unknown>;
}

export interface EcrLoginOptions {
  http: HttpClient;
  env: NodeJS.ProcessEnv;
  credentials: AwsCredentials;
  region: string;
  fips?: boolean;
  /** account IDs; empty: the caller's own account */
  registryIds: string[];
  mask: (secret: string) => void;
  now?: () => Date;
}

export async function ecrGetAuthorizationToken(options: EcrLoginOptions): Promise<EcrToken[]> {
  const accounts = options.registryIds.length ? ` for accounts ${options.registryIds.join(', ')}` : '';
  const operation = `getting an ECR authorization token in ${options.region}${accounts}`;
  const json = await signedJsonCall(
    options.http,
    operation,
    ecrEndpoint(options.region, options.fips ?? false, options.env),
    'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken',
    'ecr',
    options.region,
    options.credentials,
    options.registryIds.length ? { registryIds: options.registryIds } : {},
    options.now ?? (() => new Date()),
  );
  const data = json.authorizationData as EcrAuthorizationData[] | undefined;
  if (!Array.isArray(data) || data.length === 0)
    throw new OperationError(operation, 'the answer holds no authorizationData');
  return data.map((d) => {
    if (!d.authorizationToken || !d.proxyEndpoint) {
      throw new OperationError(operation, 'an authorizationData entry lacks authorizationToken or proxyEndpoint');
    }
    options.mask(d.authorizationToken);
    const { username, password } = decodeEcrToken(d.authorizationToken, operation, options.mask);
    return {
      registry: d.proxyEndpoint.replace(/^https?:\/\//, '').replace(/\/+$/, ''),
      username,
      password,
      expiresAt: d.expiresAt ? new Date(d.expiresAt * 1000) : undefined,
    };
  });
}

export async function ecrPublicGetAuthorizationToken(
  options: Omit<EcrLoginOptions, 'registryIds' | 'fips' | 'region'>,
): Promise<EcrToken> {
  const operation = 'getting an ECR Public authorization token in us-east-1';
  const json = await signedJsonCall(
    options.http,
    operation,
    ecrPublicEndpoint(options.env),
    'SpencerFrontendService.GetAuthorizationToken',
    'ecr-public',
    'us-east-1',
    options.credentials,
    {},
    options.now ?? (() => new Date()),
  );
  const d = json.authorizationData as EcrAuthorizationData | undefined;
  if (!d?.authorizationToken) throw new OperationError(operation, 'the answer holds no authorizationData');
  options.mask(d.authorizationToken);
  const { username, password } = decodeEcrToken(d.authorizationToken, operation, options.mask);
  return {
    registry: 'public.ecr.aws',
    username,
    password,
    expiresAt: d.expiresAt ? new Date(d.expiresAt * 1000) : undefined,
  };
}

/** AWS account IDs are 12 digits; YAML may have read one as a number and dropped leading zeros. */
export function normalizeAccountId(value: unknown, input: string): string {
  const text =
    typeof value === 'number' && Number.isInteger(value) ? String(value).padStart(12, '0') : String(value).trim();
  if (!/^\d{12}$/.test(text)) {
    throw new ConfigurationError(`'${String(value)}' is not an AWS account ID (expected 12 digits)`, input);
  }
  return text;
}

/** A role session name STS accepts: [\w+=,.@-], 2 to 64 characters. */
export function roleSessionName(env: NodeJS.ProcessEnv): string {
  const name = `registry-login-${env.GITHUB_RUN_ID ?? 'local'}-${env.GITHUB_RUN_ATTEMPT ?? '1'}`;
  return name.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}
