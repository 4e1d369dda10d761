import { describe, expect, it } from 'vitest';
import { parseSource, resolveTargets, routeOf, type Target } from '../../../actions/promote/src/targets.js';

const bySha = `127.0.0.1:5000/team/app@sha256:${'a'.repeat(64)}`;

describe('parseSource', () => {
  it.each([
    ['ghcr.io/org/app:1.4.0-rc.1', { registry: 'ghcr.io', repository: 'org/app', tag: '1.4.0-rc.1' }],
    [bySha, { registry: '127.0.0.1:5000', repository: 'team/app', digest: `sha256:${'a'.repeat(64)}` }],
  ])('%s', (text, expected) => {
    expect(parseSource(text)).toMatchObject(expected);
  });

  it('refuses a reference without tag or digest', () => {
    expect(() => parseSource('ghcr.io/org/app')).toThrow(/Input 'source': .*names no tag or digest/);
  });
});

describe('resolveTargets', () => {
  const tagged = parseSource('ghcr.io/org/app:1.4.0-rc.1');
  const digested = parseSource(bySha);

  it.each<[string, ReturnType<typeof parseSource>, string[], Target[]]>([
    [
      'bare tags stay in the source repository',
      tagged,
      ['staging', ':prod'],
      [
        { registry: 'ghcr.io', repository: 'org/app', tag: 'staging' },
        { registry: 'ghcr.io', repository: 'org/app', tag: 'prod' },
      ],
    ],
    [
      'a full reference names another repository',
      tagged,
      ['ghcr.io/org/app-public:1.4.0'],
      [{ registry: 'ghcr.io', repository: 'org/app-public', tag: '1.4.0' }],
    ],
    [
      'a full reference without tag takes the source tag',
      tagged,
      ['registry.example.com:8443/pub/app'],
      [{ registry: 'registry.example.com:8443', repository: 'pub/app', tag: '1.4.0-rc.1' }],
    ],
    [
      'a bare tag with a digest source',
      digested,
      ['dev'],
      [{ registry: '127.0.0.1:5000', repository: 'team/app', tag: 'dev' }],
    ],
  ])('%s', (_, source, texts, expected) => {
    expect(resolveTargets(source, texts)).toEqual(expected);
  });

  it.each<[string, ReturnType<typeof parseSource>, string[], RegExp]>([
    ['nothing given', tagged, [], /Input 'targets': is required/],
    ['an invalid tag', tagged, ['-bad'], /Input 'targets': '-bad' is not a valid tag/],
    ['a digest in a target', tagged, [`ghcr.io/org/x@sha256:${'b'.repeat(64)}`], /names a digest/],
    ['no tag to carry over', digested, ['ghcr.io/org/app'], /has no tag and the source is given by digest/],
    ['the same target twice', tagged, ['staging', 'ghcr.io/org/app:staging'], /names ghcr.io\/org\/app:staging twice/],
  ])('refuses %s', (_, source, texts, error) => {
    expect(() => resolveTargets(source, texts)).toThrow(error);
  });
});

describe('routeOf', () => {
  const source = { registry: 'r1:5000', repository: 'a' };
  it.each([
    [{ registry: 'r1:5000', repository: 'a', tag: 't' }, 'same-repository'],
    [{ registry: 'r1:5000', repository: 'b', tag: 't' }, 'same-registry'],
    [{ registry: 'r2:5000', repository: 'a', tag: 't' }, 'cross-registry'],
  ])('%o -> %s', (target, route) => {
    expect(routeOf(source, target)).toBe(route);
  });
});
