import { describe, expect, it } from 'vitest';
import { buildRequests } from '../../../actions/registry-login/src/inputs.js';

describe('buildRequests', () => {
  it('reads the single-registry inputs, detecting the provider', () => {
    expect(
      buildRequests(
        {
          registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
          'aws-role-to-assume': 'arn:aws:iam::123456789012:role/ci',
        },
        undefined,
      ),
    ).toEqual([
      {
        entry: undefined,
        registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
        provider: 'ecr',
        username: undefined,
        password: undefined,
        aws: { region: undefined, roleToAssume: 'arn:aws:iam::123456789012:role/ci', accountIds: [] },
        gcp: { workloadIdentityProvider: undefined, serviceAccount: undefined },
        azure: { clientId: undefined, tenantId: undefined },
        verify: 'pull',
        verifyRepository: undefined,
      },
    ]);
  });

  it('reads a list; top-level provider options are defaults; numeric account IDs keep their leading zeros', () => {
    const requests = buildRequests({ 'aws-region': 'eu-west-1', verify: 'none' }, [
      { registry: 'ghcr.io', password: 'p' },
      {
        registry: '000000000001.dkr.ecr.eu-west-1.amazonaws.com',
        'aws-account-ids': [2, '000000000003'],
        verify: 'push',
        'verify-repository': 'app',
      },
    ]);
    expect(requests.map((r) => [r.entry, r.registry, r.provider, r.aws.region, r.aws.accountIds, r.verify])).toEqual([
      [1, 'ghcr.io', 'ghcr', 'eu-west-1', [], 'none'],
      [2, '000000000001.dkr.ecr.eu-west-1.amazonaws.com', 'ecr', 'eu-west-1', ['000000000002', '000000000003'], 'push'],
    ]);
  });

  it.each([
    [{ registry: 'ghcr.io' }, [{ registry: 'quay.io' }], "Input 'registries': cannot be combined with 'registry'"],
    [{ password: 'x' }, [{ registry: 'quay.io' }], "Input 'registries': cannot be combined with 'password'"],
    [{}, [], "Input 'registries': expected a YAML list"],
    [{}, { registry: 'quay.io' }, "Input 'registries': expected a YAML list"],
    [{}, ['quay.io'], "Input 'registries': entry 1 is not a mapping"],
    [
      {},
      [{ registry: 'quay.io', pasword: 'x' }],
      "Input 'registries': entry 1 has an unknown key 'pasword' (accepted: registry, username",
    ],
    [
      {},
      [{ registry: 'quay.io' }, { registry: 'https://quay.io/' }],
      "Input 'registries': entries 1 and 2 both log in to quay.io",
    ],
    [
      {},
      [{ registry: 'quay.io', provider: 'gitlab' }],
      "Input 'registries': entry 1 (quay.io), key 'provider': 'gitlab' is not accepted (expected one of: auto, basic",
    ],
    [
      {},
      [{ registry: 'quay.io', 'aws-account-ids': ['12'] }],
      "Input 'registries': entry 1 (quay.io), key 'aws-account-ids': '12' is not an AWS account ID",
    ],
    [
      { 'aws-account-ids': ['x'] },
      undefined,
      "Input 'aws-account-ids': 'x' is not an AWS account ID (expected 12 digits)",
    ],
    [
      { 'verify-repository': 'Org/App:tag' },
      undefined,
      "Input 'verify-repository': 'Org/App:tag' is not a repository name",
    ],
    [
      { 'gcp-workload-identity-provider': 'my-pool' },
      undefined,
      "Input 'gcp-workload-identity-provider': 'my-pool' is not a workload identity provider",
    ],
    [{ 'aws-region': 'Ireland' }, undefined, "Input 'aws-region': 'Ireland' is not an AWS region"],
  ])('refuses %j / %j', (single, list, message) => {
    expect(() => buildRequests(single, list)).toThrow(message);
  });
});
