// Fake of Google Security Token Service `POST /v1/token` (token exchange, JSON body; OAuth-style
// errors `{"error": "invalid_grant", "error_description": ...}`), trusting the OIDC fake.
import { randomBytes } from 'node:crypto';
import { type FakeServer, json, startFake } from './server.js';

export interface GoogleStsFake extends FakeServer {
  /** federated access tokens issued, mapped to the provider they came from */
  issued: Map<string, string>;
}

export async function startGoogleStsFake(options: {
  providers: string[];
  verifyToken: (token: string, audience: string) => Record<string, unknown> | undefined;
}): Promise<GoogleStsFake> {
  const issued = new Map<string, string>();
  const server = await startFake((req) => {
    if (req.method !== 'POST' || new URL(req.url, 'http://f').pathname !== '/v1/token') {
      return json(404, { error: { code: 404, message: 'Not Found', status: 'NOT_FOUND' } });
    }
    let body: Record<string, string>;
    try {
      body = req.headers['content-type']?.startsWith('application/json')
        ? JSON.parse(req.body)
        : Object.fromEntries(new URLSearchParams(req.body));
    } catch {
      return json(400, { error: 'invalid_request', error_description: 'Invalid JSON payload received.' });
    }
    if (body.grantType !== 'urn:ietf:params:oauth:grant-type:token-exchange') {
      return json(400, {
        error: 'unsupported_grant_type',
        error_description: `Invalid value for "grant_type": ${body.grantType}`,
      });
    }
    if (
      body.subjectTokenType !== 'urn:ietf:params:oauth:token-type:jwt' &&
      body.subjectTokenType !== 'urn:ietf:params:oauth:token-type:id_token'
    ) {
      return json(400, { error: 'invalid_request', error_description: 'Invalid value for "subject_token_type".' });
    }
    const provider = (body.audience ?? '').replace(/^\/\/iam\.googleapis\.com\//, '');
    if (!options.providers.includes(provider)) {
      return json(400, {
        error: 'invalid_target',
        error_description:
          'The target service indicated by the "audience" parameters is invalid. This might either be because the pool or provider is disabled or deleted or because it doesn\'t exist.',
      });
    }
    if (!options.verifyToken(body.subjectToken ?? '', `https://iam.googleapis.com/${provider}`)) {
      return json(400, {
        error: 'invalid_grant',
        error_description: 'The audience in ID Token [wrong] does not match the expected audience.',
      });
    }
    const token = `ya29.d.fed-${randomBytes(40).toString('base64url')}`;
    issued.set(token, provider);
    return json(200, {
      access_token: token,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      expires_in: 3599,
    });
  });
  return { ...server, issued };
}
