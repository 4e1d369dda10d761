import { describe, expect, it } from 'vitest';
import {
  compileTagPatterns,
  DEFAULT_SEMVER_TAG_PATTERNS,
  isSemverTag,
  MAX_TAG_LENGTH,
  mayBacktrack,
} from '#shared/policy/tag-patterns.js';

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

describe('compileTagPatterns bounds the work of a match', () => {
  const long = `${'a'.repeat(60)}!`;

  it.each([
    // globs are matched in linear time, however many stars
    [['*a*a*a*a*a*a*a*a*b'], 'a'.repeat(128), false],
    [['*a*a*a*a*a*a*a*a*b'], `${'a'.repeat(100)}b`, true],
    [['a*'], 'a', true],
    [['*'], '', true],
    [['a?c*'], 'abcdef', true],
    [['a?c*'], 'ac', false],
    [['**x'], 'yyx', true],
    // regexes that cannot backtrack badly stay plain
    [['/^v\\d+\\.\\d+$/'], 'v1.2', true],
  ])('%j matches %s: %s', (patterns, tag, expected) => {
    expect(compileTagPatterns(patterns, 'keep-tags').matches(tag)).toBe(expected);
  });

  it.each([
    ['/^(a+)+$/', true],
    ['/^(a|a)*$/', true],
    ['/^(\\w+)-\\1$/', true],
    ['/^(?<x>a)\\k<x>$/', true],
    ['/^a*a*a*a*a*b$/', true],
    ['/^(pr|feature)-.*$/', false],
    ['/^[(]+$/', false],
    ['/^release-(\\d+)?$/', false],
  ])('%s may backtrack: %s', (pattern, expected) => {
    expect(mayBacktrack(pattern.slice(1, -1))).toBe(expected);
  });

  it('stops a backtracking regex on a hostile tag with one clear error', () => {
    const m = compileTagPatterns(['/^(a+)+$/'], 'keep-tags');
    expect(m.matches('aaaa')).toBe(true);
    expect(() => m.matches(long)).toThrow(
      "Input 'keep-tags': '/^(a+)+$/' took more than 200 ms on tag 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…': it backtracks",
    );
  });

  it('refuses tags longer than the tag grammar allows', () => {
    const m = compileTagPatterns(['pr-*'], 'delete-tags');
    expect(m.matches('pr-'.padEnd(MAX_TAG_LENGTH, 'x'))).toBe(true);
    expect(() => m.matches('pr-'.padEnd(MAX_TAG_LENGTH + 1, 'x'))).toThrow(
      'is 129 characters long, and a tag has at most 128',
    );
  });
});
