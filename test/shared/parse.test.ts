import { describe, expect, it } from 'vitest';
import { formatSize, parseDuration, parseKeyValues, parseList, parseSize } from '#shared/parse.js';

describe('parseList', () => {
  it.each([
    ['a,b,c', ['a', 'b', 'c']],
    ['a\nb\n\nc\n', ['a', 'b', 'c']],
    ['  a , b\n c ', ['a', 'b', 'c']],
    ['# comment\na\n  # indented comment\nb', ['a', 'b']],
    ['a#b\nc # not a comment', ['a#b', 'c # not a comment']],
    ['"x,y",z', ['x,y', 'z']],
    ['', []],
  ])('%j -> %j', (text, expected) => {
    expect(parseList(text)).toEqual(expected);
  });

  it('keeps commas when asked for lines only', () => {
    expect(parseList('type=semver,pattern={{version}}\n# c\ntype=sha', { commas: false })).toEqual([
      'type=semver,pattern={{version}}',
      'type=sha',
    ]);
  });
});

describe('parseKeyValues', () => {
  it('keeps = inside values and the order', () => {
    expect(parseKeyValues('b=1\na=x=y\n# c\nc = spaced ', 'labels')).toEqual([
      ['b', '1'],
      ['a', 'x=y'],
      ['c', 'spaced'],
    ]);
  });
  it('names the input on a bad line', () => {
    expect(() => parseKeyValues('novalue', 'labels')).toThrow(
      "Input 'labels': 'novalue' is not a key=value line (expected one key=value per line)",
    );
  });
});

describe('parseDuration', () => {
  it.each([
    ['30d', 30 * 86_400_000],
    ['12h', 12 * 3_600_000],
    ['90m', 90 * 60_000],
    ['45s', 45_000],
    ['2w', 14 * 86_400_000],
    ['1d12h', 36 * 3_600_000],
    ['1.5h', 5_400_000],
    ['30D', 30 * 86_400_000],
  ])('%s', (text, ms) => {
    expect(parseDuration(text, 'older-than')).toBe(ms);
  });
  it.each(['', '30', 'd', '30x', '-1d', '30 days', '1d 2'])('rejects %j', (text) => {
    expect(() => parseDuration(text, 'older-than')).toThrow(/^Input 'older-than': .* is not a duration \(expected/);
  });
});

describe('parseSize', () => {
  it.each([
    ['200MB', 200_000_000],
    ['1.5GiB', 1.5 * 1024 ** 3],
    ['512k', 512_000],
    ['1000', 1000],
    ['10 KiB', 10_240],
    ['3gb', 3e9],
  ])('%s', (text, bytes) => {
    expect(parseSize(text, 'max-size')).toBe(bytes);
  });
  it.each(['', 'MB', '12XB', '-5MB', '1,5GB'])('rejects %j', (text) => {
    expect(() => parseSize(text, 'max-size')).toThrow(/^Input 'max-size': .* is not a size \(expected/);
  });
});

describe('formatSize', () => {
  it.each([
    [512, '512 B'],
    [12_345, '12.3 kB'],
    [230_000_000, '230 MB'],
    [1_500_000_000, '1.5 GB'],
    [2_000, '2 kB'],
  ])('%d -> %s', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });
});
