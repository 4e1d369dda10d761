// Fake of the GitHub Actions OIDC token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL): GET with
// `Authorization: Bearer <request token>` and `&audience=`, answers `{"count":..,"value":"<jwt>"}`.
// The JWTs are HS256-signed with a key of this fake, so the other fakes can check audience and
// signature of what they are handed.
import { createHmac, randomBytes } from 'node:crypto';
import { type FakeServer, json, startFake } from './server.js';

export interface OidcFake extends FakeServer {
  /** ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN for the environment of the code under test */
  env: { ACTIONS_ID_TOKEN_REQUEST_URL: string; ACTIONS_ID_TOKEN_REQUEST_TOKEN: string };
  /** every token issued, in order */
  issued: string[];
  /** the claims when the token was issued by this fake for that audience, else undefined */
  verify(token: string, audience: string): Record<string, unknown> | undefined;
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export async function startOidcFake(claims: Record<string, unknown> = {}): Promise<OidcFake> {
  const key = randomBytes(32);
  const requestToken = `request-token-${randomBytes(8).toString('hex')}`;
  const issued: string[] = [];
  const sign = (payload: object) => {
    const head = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'fake' }))}.${b64url(JSON.stringify(payload))}`;
    return `${head}.${b64url(createHmac('sha256', key).update(head).digest())}`;
  };
  const server = await startFake((req) => {
    const url = new URL(req.url, 'http://fake');
    if (req.method !== 'GET' || url.pathname !== '/_apis/token') return json(404, { message: 'Not Found' });
    if (req.headers.authorization !== `Bearer ${requestToken}`) {
      return json(401, { message: 'The user is not authorized to request an OIDC token' });
    }
    const audience = url.searchParams.get('audience') ?? 'https://github.com/octo-org';
    const now = Math.floor(Date.now() / 1000);
    const token = sign({
      iss: 'https://token.actions.githubusercontent.com',
      aud: audience,
      sub: 'repo:octo-org/octo-app:ref:refs/heads/main',
      repository: 'octo-org/octo-app',
      ref: 'refs/heads/main',
      jti: randomBytes(8).toString('hex'),
      iat: now,
      nbf: now,
      exp: now + 300,
      ...claims,
    });
    issued.push(token);
    return json(200, { count: token.length, value: token });
  });
  return {
    ...server,
    issued,
    env: {
      ACTIONS_ID_TOKEN_REQUEST_URL: `${server.url}/_apis/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
    },
    verify(token, audience) {
      const [head, payload, signature] = token.split('.');
      if (!head || !payload || !signature) return undefined;
      const expected = b64url(createHmac('sha256', key).update(`${head}.${payload}`).digest());
      if (expected !== signature) return undefined;
      const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
      return decoded.aud === audience ? decoded : undefined;
    },
  };
}
