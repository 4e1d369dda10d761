// Fake of AWS STS AssumeRoleWithWebIdentity (query protocol: form POST, XML answers and XML
// ErrorResponse documents), trusting the tokens of the OIDC fake for audience sts.amazonaws.com.
import { randomBytes } from 'node:crypto';
import type { AwsKey } from './aws-sigv4-check.js';
import { type FakeServer, formOf, startFake } from './server.js';

export interface StsFake extends FakeServer {
  /** credentials handed out, by access key ID (give this map to the ECR fake) */
  issued: Map<string, AwsKey>;
}

const xml = (status: number, body: string) => ({ status, headers: { 'content-type': 'text/xml' }, body });

function errorResponse(status: number, type: 'Sender' | 'Receiver', code: string, message: string) {
  return xml(
    status,
    `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${code}</Code>\n    <Message>${message}</Message>\n  </Error>\n  <RequestId>${randomBytes(16).toString('hex')}</RequestId>\n</ErrorResponse>\n`,
  );
}

export interface StsFakeOptions {
  /** role ARNs that trust the token */
  roles: string[];
  verifyToken: (token: string, audience: string) => Record<string, unknown> | undefined;
  /** where issued credentials are registered (the ECR fake's key map) */
  issued?: Map<string, AwsKey>;
}

export async function startStsFake(options: StsFakeOptions): Promise<StsFake> {
  const issued = options.issued ?? new Map<string, AwsKey>();
  const server = await startFake((req) => {
    const form =
      req.method === 'POST' ? formOf(req.body) : Object.fromEntries(new URL(req.url, 'http://f').searchParams);
    if (form.Action !== 'AssumeRoleWithWebIdentity') {
      return errorResponse(
        400,
        'Sender',
        'InvalidAction',
        `Could not find operation ${form.Action ?? ''} for version ${form.Version ?? ''}`,
      );
    }
    if (form.Version !== '2011-06-15')
      return errorResponse(
        400,
        'Sender',
        'InvalidAction',
        `Could not find operation AssumeRoleWithWebIdentity for version ${form.Version}`,
      );
    for (const required of ['RoleArn', 'RoleSessionName', 'WebIdentityToken']) {
      if (!form[required])
        return errorResponse(400, 'Sender', 'MissingParameter', `The request must contain the parameter ${required}`);
    }
    if (!/^[\w+=,.@-]{2,64}$/.test(form.RoleSessionName as string)) {
      return errorResponse(
        400,
        'Sender',
        'ValidationError',
        "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint",
      );
    }
    const claims = options.verifyToken(form.WebIdentityToken as string, 'sts.amazonaws.com');
    if (!claims) return errorResponse(400, 'Sender', 'InvalidIdentityToken', 'Incorrect token audience');
    if (!options.roles.includes(form.RoleArn as string)) {
      return errorResponse(403, 'Sender', 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
    }
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const key = {
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: `FwoGZXIvYXdzE${randomBytes(60).toString('base64')}`,
    };
    issued.set(accessKeyId, key);
    const expiration = new Date(Date.now() + Number(form.DurationSeconds ?? 3600) * 1000)
      .toISOString()
      .replace(/\.\d{3}/, '');
    return xml(
      200,
      `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>${String(claims.sub)}</SubjectFromWebIdentityToken>
    <Audience>sts.amazonaws.com</Audience>
    <AssumedRoleUser>
      <Arn>${(form.RoleArn as string).replace(':iam::', ':sts::').replace(':role/', ':assumed-role/')}/${form.RoleSessionName}</Arn>
      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:${form.RoleSessionName}</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>${key.sessionToken.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</SessionToken>
      <SecretAccessKey>${key.secretAccessKey}</SecretAccessKey>
      <Expiration>${expiration}</Expiration>
      <AccessKeyId>${accessKeyId}</AccessKeyId>
    </Credentials>
    <SourceIdentity></SourceIdentity>
    <Provider>arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>${randomBytes(16).toString('hex')}</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>
`,
    );
  });
  return { ...server, issued };
}
