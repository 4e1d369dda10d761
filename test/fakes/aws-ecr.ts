// Fake of Amazon ECR and ECR Public GetAuthorizationToken (JSON 1.1 protocol: POST /, X-Amz-Target,
// SigV4-signed; errors as {"__type", "message"} with x-amzn-ErrorType). The signature is
// recomputed with the secret the fake knows for the access key.
import { randomBytes } from 'node:crypto';
import { type AwsKey, checkSigV4 } from './aws-sigv4-check.js';
import { type FakeReply, type FakeServer, json, startFake } from './server.js';

export interface EcrFake extends FakeServer {
  /** the registry password handed out for each account (the `AWS:<password>` token) */
  passwords: Map<string, string>;
  publicPassword: string;
}

export interface EcrFakeOptions {
  /** access keys the fake accepts (shared with the STS fake for issued session credentials) */
  keys: Map<string, AwsKey>;
  /** account of the caller, used when no registryIds are given */
  account: string;
  /** accounts the caller may get tokens for (default: only its own) */
  allowedAccounts?: string[];
}

function awsError(status: number, type: string, message: string): FakeReply {
  return json(
    status,
    { __type: type, message },
    { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.coral.service/` },
  );
}

export async function startEcrFake(options: EcrFakeOptions): Promise<EcrFake> {
  const passwords = new Map<string, string>();
  const passwordFor = (account: string) => {
    if (!passwords.has(account)) passwords.set(account, `ecr-${randomBytes(48).toString('base64')}`);
    return passwords.get(account) as string;
  };
  const publicPassword = `ecr-public-${randomBytes(48).toString('base64')}`;
  const allowed = new Set(options.allowedAccounts ?? [options.account]);
  const server = await startFake((req) => {
    if (req.method !== 'POST') return awsError(404, 'UnknownOperationException', '');
    const target = String(req.headers['x-amz-target'] ?? '');
    const isPublic = target === 'SpencerFrontendService.GetAuthorizationToken';
    if (target !== 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken' && !isPublic) {
      return awsError(400, 'UnknownOperationException', '');
    }
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')) {
      return awsError(400, 'SerializationException', 'Content-Type must be application/x-amz-json-1.1');
    }
    const check = checkSigV4(req, options.keys, { service: isPublic ? 'ecr-public' : 'ecr' });
    if (!check.ok) return awsError(check.type === 'UnrecognizedClientException' ? 400 : 403, check.type, check.message);
    let body: { registryIds?: string[] };
    try {
      body = JSON.parse(req.body || '{}');
    } catch {
      return awsError(400, 'SerializationException', 'Start of structure or map found where not expected.');
    }
    const expiresAt = Math.floor(Date.now() / 1000) + 12 * 3600 + 0.123;
    if (isPublic) {
      if (check.region !== 'us-east-1')
        return awsError(400, 'InvalidSignatureException', 'Credential should be scoped to a valid region.');
      return json(200, {
        authorizationData: { authorizationToken: Buffer.from(`AWS:${publicPassword}`).toString('base64'), expiresAt },
      });
    }
    const ids = body.registryIds?.length ? body.registryIds : [options.account];
    const denied = ids.find((id) => !allowed.has(id));
    if (denied) {
      return awsError(
        400,
        'AccessDeniedException',
        `User: arn:aws:sts::${options.account}:assumed-role/ci/session is not authorized to perform: ecr:GetAuthorizationToken on resource: arn:aws:ecr:${check.region}:${denied}:registry because no resource-based policy allows the ecr:GetAuthorizationToken action`,
      );
    }
    return json(200, {
      authorizationData: ids.map((id) => ({
        authorizationToken: Buffer.from(`AWS:${passwordFor(id)}`).toString('base64'),
        expiresAt,
        proxyEndpoint: `https://${id}.dkr.ecr.${check.region}.amazonaws.com`,
      })),
    });
  });
  return { ...server, passwords, publicPassword };
}
