import { describe, expect, it } from 'vitest';
import {
  detectProvider,
  dockerConfigKey,
  normalizeRegistry,
  parseEcrHost,
  registryBaseUrl,
} from '#shared/registries/hosts.js';

describe('normalizeRegistry', () => {
  it.each([
    ['', 'docker.io'],
    ['docker.io', 'docker.io'],
    ['index.docker.io', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['https://index.docker.io/v1/', 'docker.io'],
    ['https://GHCR.io/', 'ghcr.io'],
    ['ghcr.io/octo-org/app', 'ghcr.io'],
    ['127.0.0.1:5000', '127.0.0.1:5000'],
    ['http://localhost:5000/v2/', 'localhost:5000'],
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com', '123456789012.dkr.ecr.eu-west-1.amazonaws.com'],
  ])('%j -> %s', (text, expected) => {
    expect(normalizeRegistry(text)).toBe(expected);
  });

  it.each(['ghcr io', 'a_b.example', '-bad.example'])('refuses %j naming the input', (text) => {
    expect(() => normalizeRegistry(text)).toThrow(/^Input 'registry': '.*' is not a registry host \(expected/);
  });
});

describe('detectProvider', () => {
  it.each([
    ['docker.io', 'dockerhub'],
    ['ghcr.io', 'ghcr'],
    ['public.ecr.aws', 'ecr-public'],
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com', 'ecr'],
    ['123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn', 'ecr'],
    ['123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com', 'ecr'],
    ['12345.dkr.ecr.eu-west-1.amazonaws.com', 'basic'],
    ['europe-west1-docker.pkg.dev', 'gar'],
    ['gcr.io', 'gar'],
    ['eu.gcr.io', 'gar'],
    ['myregistry.azurecr.io', 'acr'],
    ['127.0.0.1:5000', 'basic'],
    ['registry.example.com', 'basic'],
  ])('%s -> %s', (host, provider) => {
    expect(detectProvider(host)).toBe(provider);
  });
});

describe('parseEcrHost', () => {
  it.each([
    [
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      { accountId: '123456789012', region: 'eu-west-1', fips: false, dnsSuffix: 'amazonaws.com' },
    ],
    [
      '000000000001.dkr.ecr.cn-northwest-1.amazonaws.com.cn',
      { accountId: '000000000001', region: 'cn-northwest-1', fips: false, dnsSuffix: 'amazonaws.com.cn' },
    ],
    [
      '123456789012.dkr.ecr-fips.us-east-1.amazonaws.com',
      { accountId: '123456789012', region: 'us-east-1', fips: true, dnsSuffix: 'amazonaws.com' },
    ],
    ['ghcr.io', undefined],
  ])('%s', (host, expected) => {
    expect(parseEcrHost(host)).toEqual(expected);
  });
});

describe('dockerConfigKey and registryBaseUrl', () => {
  it.each([
    ['docker.io', 'https://index.docker.io/v1/', 'https://registry-1.docker.io'],
    ['ghcr.io', 'ghcr.io', 'https://ghcr.io'],
    ['127.0.0.1:5000', '127.0.0.1:5000', 'http://127.0.0.1:5000'],
    ['localhost:5000', 'localhost:5000', 'http://localhost:5000'],
  ])('%s', (registry, key, url) => {
    expect(dockerConfigKey(registry)).toBe(key);
    expect(registryBaseUrl(registry)).toBe(url);
  });
});
