import { describe, expect, it } from 'vitest';
import { foreignText } from '#shared/sigstore/foreign-text.js';

describe('foreignText', () => {
  it.each([
    ['application/vnd.dev.sigstore.bundle.v0.3+json', 'application/vnd.dev.sigstore.bundle.v0.3+json'],
    ['x\n::error::injected', 'x\\u000a::error::injected'],
    ['a\r\nb', 'a\\u000d\\u000ab'],
    ['\u001b[31mred', '\\u001b[31mred'],
    ['line\u2028sep', 'line\\u2028sep'],
    [42, '42'],
  ])('%j -> %j', (input, expected) => {
    expect(foreignText(input)).toBe(expected);
  });

  it('bounds the length', () => {
    expect(foreignText('a'.repeat(500), 10)).toBe(`${'a'.repeat(10)}…`);
  });
});
