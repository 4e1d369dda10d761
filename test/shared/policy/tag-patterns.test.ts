import { describe, expect, it } from 'vitest';
import { compileTagPatterns, DEFAULT_SEMVER_TAG_PATTERNS, isSemverTag } from '#shared/policy/tag-patterns.js';

describe('compileTagPatterns', () => {
  it.each([
    [['pr-*'], 'pr-12', true],
    [['pr-*'], 'xpr-12', false],
    [['sha-???????'], 'sha-abc1234', true],
    [['sha-???????'], 'sha-abc12345', false],
    [['v[0-9]*'], 'v1.2', true],
    [['v[!0-9]*'], 'v1.2', false],
    [['/^pr-\\d+$/'], 'pr-42', true],
    [['/^pr-\\d+$/'], 'pr-42a', false],
    [['/^RC/i'], 'rc-1', true],
    [['*', '!main'], 'main', false],
    [['*', '!main'], 'dev', true],
    [['!main'], 'dev', true],
    [['!main'], 'main', false],
    [['a\\*b'], 'a*b', true],
    [[], 'anything', false],
  ])('%j matches %s: %s', (patterns, tag, expected) => {
    expect(compileTagPatterns(patterns, 'keep-tags').matches(tag)).toBe(expected);
  });

  it('names the pattern that matched', () => {
    expect(compileTagPatterns(['dev', 'pr-*'], 'delete-tags').matching('pr-1')).toBe('pr-*');
  });

  it.each([
    ['/[/', "Input 'keep-tags': '/[/' is not a valid regular expression"],
    ['/a/g', "Input 'keep-tags': '/a/g' has regex flags 'g'"],
    ['pr-[0-9', "Input 'keep-tags': 'pr-[0-9' has an unclosed '['"],
    ['a b', "Input 'keep-tags': 'a b' contains ' ', which no tag can hold"],
    ['!', "Input 'keep-tags': '!' is an empty pattern"],
    ['x\\', "Input 'keep-tags': 'x\\' ends with a lone backslash"],
  ])('rejects %s clearly', (pattern, message) => {
    expect(() => compileTagPatterns([pattern], 'keep-tags')).toThrow(message);
  });
});

describe('semver tags', () => {
  it.each([
    ['1.2.3', true],
    ['v1.2.3', true],
    ['1.2.3-rc.1', true],
    ['1.2', true],
    ['v1', true],
    ['1', true],
    ['01.2.3', false],
    ['1.2.3.4', false],
    ['latest', false],
    ['v1.2.x', false],
    ['sha-1.2.3', false],
  ])('%s: %s', (tag, expected) => {
    expect(isSemverTag(tag)).toBe(expected);
    expect(compileTagPatterns(DEFAULT_SEMVER_TAG_PATTERNS, 'x').matches(tag)).toBe(expected);
  });
});
