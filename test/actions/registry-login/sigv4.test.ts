import { describe, expect, it } from 'vitest';
import { signV4 } from '../../../actions/registry-login/src/aws.js';

// Vectors of the AWS SigV4 test suite (get-vanilla, get-vanilla-query-order-key-case).
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const now = new Date('2015-08-30T12:36:00Z');

describe('signV4', () => {
  it.each([
    ['https://example.amazonaws.com/', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'],
    [
      'https://example.amazonaws.com/?Param2=value2&Param1=value1',
      'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
    ],
  ])('%s', (url, signature) => {
    const headers = signV4({
      method: 'GET',
      url: new URL(url),
      headers: {},
      body: '',
      service: 'service',
      region: 'us-east-1',
      credentials,
      now,
    });
    expect(headers).toEqual({
      'x-amz-date': '20150830T123600Z',
      Authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${signature}`,
    });
  });

  it('signs the session token and extra headers', () => {
    const headers = signV4({
      method: 'POST',
      url: new URL('https://api.ecr.eu-west-1.amazonaws.com/'),
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken',
      },
      body: '{}',
      service: 'ecr',
      region: 'eu-west-1',
      credentials: { ...credentials, sessionToken: 'session' },
      now,
    });
    expect(headers['x-amz-security-token']).toBe('session');
    expect(headers.Authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20150830\/eu-west-1\/ecr\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=[0-9a-f]{64}$/,
    );
  });
});
