// The server side of AWS Signature Version 4, written apart from the action's signer so the
// fakes recompute the signature independently: parse Authorization, rebuild the canonical
// request from what arrived, derive the key from the secret the fake knows, compare.
import { createHash, createHmac } from 'node:crypto';
import type { RecordedRequest } from './server.js';

export interface AwsKey {
  secretAccessKey: string;
  sessionToken?: string;
}

export type SigV4Check =
  | { ok: true; accessKeyId: string; region: string; service: string }
  | { ok: false; type: string; message: string };

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

const enc = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export function checkSigV4(req: RecordedRequest, keys: Map<string, AwsKey>, expect: { service: string }): SigV4Check {
  const header = String(req.headers.authorization ?? '');
  const m = AUTH.exec(header);
  if (!m)
    return {
      ok: false,
      type: 'IncompleteSignatureException',
      message: `Authorization header requires Credential, SignedHeaders and Signature (got '${header.split(' ')[0]}')`,
    };
  const [, akid, day, region, service, signedHeaders, signature] = m as unknown as string[];
  const key = keys.get(akid as string);
  if (!key)
    return {
      ok: false,
      type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    };
  if (service !== expect.service)
    return {
      ok: false,
      type: 'InvalidSignatureException',
      message: `Credential should be scoped to correct service: '${expect.service}'.`,
    };
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(day as string))
    return {
      ok: false,
      type: 'InvalidSignatureException',
      message: 'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP',
    };
  const names = (signedHeaders as string).split(';');
  for (const required of ['host', 'x-amz-date']) {
    if (!names.includes(required))
      return { ok: false, type: 'InvalidSignatureException', message: `'${required}' must be a signed header` };
  }
  if (key.sessionToken && req.headers['x-amz-security-token'] !== key.sessionToken) {
    return {
      ok: false,
      type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    };
  }
  const url = new URL(req.url, 'http://fake');
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => `${enc(k)}=${enc(v)}`)
    .sort()
    .join('&');
  const canonical = [
    req.method,
    url.pathname
      .split('/')
      .map((s) => enc(decodeURIComponent(s)))
      .join('/'),
    query,
    names
      .map(
        (n) =>
          `${n}:${String(req.headers[n] ?? '')
            .trim()
            .replace(/\s+/g, ' ')}\n`,
      )
      .join(''),
    signedHeaders,
    createHash('sha256').update(req.body).digest('hex'),
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  let k: Buffer = createHmac('sha256', `AWS4${key.secretAccessKey}`)
    .update(day as string)
    .digest();
  for (const part of [region as string, service as string, 'aws4_request'])
    k = createHmac('sha256', k).update(part).digest();
  const expected = createHmac('sha256', k).update(toSign).digest('hex');
  if (expected !== signature) {
    return {
      ok: false,
      type: 'InvalidSignatureException',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    };
  }
  return { ok: true, accessKeyId: akid as string, region: region as string, service: service as string };
}
