// sync mode's `source` / `targets` forms: one repository to one repository, or
// `source => target` lines; everything else is refused with the input named.
import { describe, expect, it } from 'vitest';
import { resolveSyncPairs, type SyncPair } from '../../../actions/promote/src/targets.js';

const repo = (registry: string, repository: string) => ({ registry, repository });

describe('resolveSyncPairs', () => {
  it.each<[string, string | undefined, string[], SyncPair[]]>([
    [
      'a repository to a repository',
      'ghcr.io/org/app',
      ['registry.example.com/mirror/app'],
      [{ source: repo('ghcr.io', 'org/app'), target: repo('registry.example.com', 'mirror/app') }],
    ],
    [
      'source => target lines',
      undefined,
      ['ghcr.io/org/a => 127.0.0.1:5000/m/a', 'ghcr.io/org/b=>127.0.0.1:5000/m/b'],
      [
        { source: repo('ghcr.io', 'org/a'), target: repo('127.0.0.1:5000', 'm/a') },
        { source: repo('ghcr.io', 'org/b'), target: repo('127.0.0.1:5000', 'm/b') },
      ],
    ],
    [
      'Docker Hub names are expanded',
      'alpine',
      ['127.0.0.1:5000/mirror/alpine'],
      [{ source: repo('docker.io', 'library/alpine'), target: repo('127.0.0.1:5000', 'mirror/alpine') }],
    ],
  ])('%s', (_, source, targets, expected) => {
    expect(resolveSyncPairs(source, targets)).toEqual(expected);
  });

  it.each<[string, string | undefined, string[], RegExp]>([
    ['no targets', 'ghcr.io/org/app', [], /^Input 'targets': is required/],
    ['a tagged source', 'ghcr.io/org/app:1.0.0', ['r.example.com/m/app'], /^Input 'source': .*names a tag/],
    [
      'a target with a digest',
      'ghcr.io/org/app',
      [`r.example.com/m/app@sha256:${'a'.repeat(64)}`],
      /^Input 'targets': .*names a digest/,
    ],
    [
      'two target repositories',
      'ghcr.io/org/app',
      ['r.example.com/a', 'r.example.com/b'],
      /^Input 'targets': names 2 destinations/,
    ],
    ['no source and no arrows', undefined, ['r.example.com/m/app'], /^Input 'source': is required with sync-tags/],
    [
      'source and arrows',
      'ghcr.io/org/app',
      ['ghcr.io/org/a => r.example.com/a'],
      /^Input 'targets': gives source => target lines and a source/,
    ],
    [
      'a broken arrow line',
      undefined,
      ['ghcr.io/org/a => '],
      /^Input 'targets': 'ghcr.io\/org\/a => ' is not a 'source => target' line/,
    ],
    ['a repository onto itself', 'ghcr.io/org/app', ['ghcr.io/org/app'], /onto itself/],
    [
      'one target twice',
      undefined,
      ['ghcr.io/a => r.example.com/m', 'ghcr.io/b => r.example.com/m'],
      /names the target r\.example\.com\/m twice/,
    ],
  ])('refuses %s', (_, source, targets, message) => {
    expect(() => resolveSyncPairs(source, targets)).toThrow(message);
  });
});
