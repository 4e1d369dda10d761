// Fake of IAM Service Account Credentials `POST /v1/projects/-/serviceAccounts/<email>:generateAccessToken`
// (bearer: a federated token from the STS fake; errors `{"error": {"code", "message", "status"}}`).
import { randomBytes } from 'node:crypto';
import { type FakeServer, json, startFake } from './server.js';

export interface GoogleIamFake extends FakeServer {
  /** access tokens issued, mapped to the service account */
  issued: Map<string, string>;
}

export async function startGoogleIamCredentialsFake(options: {
  /** federated tokens the fake accepts (the STS fake's issued map) */
  federated: Map<string, string>;
  /** service accounts the federated identities may impersonate */
  serviceAccounts: string[];
}): Promise<GoogleIamFake> {
  const issued = new Map<string, string>();
  const error = (code: number, status: string, message: string) => json(code, { error: { code, message, status } });
  const server = await startFake((req) => {
    const m = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):generateAccessToken$/.exec(
      new URL(req.url, 'http://f').pathname,
    );
    if (req.method !== 'POST' || !m) return error(404, 'NOT_FOUND', 'Requested entity was not found.');
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (!bearer || !options.federated.has(bearer)) {
      return error(
        401,
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      );
    }
    const account = decodeURIComponent(m[1] as string);
    let body: { scope?: string[]; lifetime?: string };
    try {
      body = JSON.parse(req.body);
    } catch {
      return error(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
    }
    if (!Array.isArray(body.scope) || body.scope.length === 0) return error(400, 'INVALID_ARGUMENT', 'Scope required.');
    if (!options.serviceAccounts.includes(account)) {
      return error(
        403,
        'PERMISSION_DENIED',
        "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
      );
    }
    const token = `ya29.c.sa-${randomBytes(40).toString('base64url')}`;
    issued.set(token, account);
    return json(200, { accessToken: token, expireTime: new Date(Date.now() + 3600_000).toISOString() });
  });
  return { ...server, issued };
}
