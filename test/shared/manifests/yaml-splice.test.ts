import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { LineIndex, rewriteScalar, safeAsPlain, scalarSpot, splice } from '#shared/manifests/yaml-splice.js';

function spotOf(source: string) {
  const doc = parseDocument(source);
  const node = doc.get('k', true);
  return scalarSpot(node, source, new LineIndex(source));
}

describe('scalarSpot', () => {
  it.each([
    ['k: plain:1 # c\n', { start: 3, end: 10, style: 'plain', text: 'plain:1', line: 1, readsAsNonString: false }],
    ['k: 1.10\n', { start: 3, end: 7, style: 'plain', text: '1.10', line: 1, readsAsNonString: true }],
    ['k: "a:1"\n', { start: 4, end: 7, style: 'double', text: 'a:1', line: 1, readsAsNonString: false }],
    ["k: &x 'a:1'\n", { start: 7, end: 10, style: 'single', text: 'a:1', line: 1, readsAsNonString: false }],
    ['x: 0\nk: |-\n  a:1\n', { start: 13, end: 16, style: 'block', text: 'a:1', line: 3, readsAsNonString: false }],
  ])('%j', (source, spot) => {
    expect(spotOf(source)).toEqual({ spot });
  });

  it.each([
    ['k: "a\\u003a1"\n', 'the value is written with escapes or across lines'],
    ['k: a\n  b\n', 'the value is written across several lines'],
    ['k: |\n  a\n  b\n', 'the value is a block of several lines'],
  ])('refuses %j', (source, why) => {
    expect(spotOf(source)).toEqual({ why: why.replace(/^the value /, '') });
  });
});

describe('rewriteScalar and splice', () => {
  it.each([
    ['k: a:1 # c\n', 'a:2', 'k: a:2 # c\n'],
    ['k: a:1\n', '1.10', 'k: "1.10"\n'],
    ['k: a:1\n', 'true', 'k: "true"\n'],
    ['k: "a:1"\n', 'say "hi"\\', 'k: "say \\"hi\\"\\\\"\n'],
    ["k: 'a:1'\n", "it's", "k: 'it''s'\n"],
    ['k: >\n  a:1\n', 'a:2', 'k: >\n  a:2\n'],
  ])('%j <- %j', (source, value, expected) => {
    const r = spotOf(source);
    if (!('spot' in r)) throw new Error(r.why);
    const out = splice(source, [rewriteScalar(r.spot, value)]);
    expect(out).toBe(expected);
    // a folded block keeps its final line break (clip chomping)
    expect(parseDocument(out).get('k')).toBe(source.includes('>') ? `${value}\n` : value);
  });

  it('refuses overlapping edits and counts identical ones once', () => {
    expect(
      splice('abcdef', [
        { start: 1, end: 3, replacement: 'X' },
        { start: 1, end: 3, replacement: 'X' },
        { start: 4, end: 5, replacement: 'Y' },
      ]),
    ).toBe('aXdYf');
    expect(() =>
      splice('abcdef', [
        { start: 1, end: 3, replacement: 'X' },
        { start: 2, end: 4, replacement: 'Z' },
      ]),
    ).toThrow('overlapping edits at offset 2');
  });

  it.each([
    ['ghcr.io/acme/app:1.0', true],
    ['1.10', false],
    ['null', false],
    ['yes', true],
    ['a: b', false],
    ['x #y', false],
    ['', false],
    ['[a]', false],
  ])('safeAsPlain(%j) = %s', (text, expected) => {
    expect(safeAsPlain(text)).toBe(expected);
  });
});
