import { describe, expect, it } from 'vitest';
import { assertGatesPassed, formatAge, isCosignSignature, judgeCreated } from '../../../actions/promote/src/gates.js';

describe('judgeCreated', () => {
  it.each([
    ['one config', ['2026-01-02T03:04:05Z'], undefined, 1, '2026-01-02T03:04:05.000Z', "the image config 'created'"],
    [
      'the newest of several platforms',
      ['2026-01-02T00:00:00Z', '2026-01-03T00:00:00Z'],
      undefined,
      2,
      '2026-01-03T00:00:00.000Z',
      "the newest image config 'created' of its 2 platforms",
    ],
    [
      'the annotation when configs have no meaningful time',
      ['1970-01-01T00:00:00Z', undefined],
      '2026-02-01T00:00:00Z',
      2,
      '2026-02-01T00:00:00.000Z',
      "the 'org.opencontainers.image.created' annotation",
    ],
  ])('%s', (_, created, annotation, count, iso, from) => {
    expect(judgeCreated(created, annotation, count)).toEqual({ time: new Date(iso), from });
  });

  it('says nothing when nothing tells', () => {
    expect(judgeCreated(['not a date'], undefined, 1)).toBeUndefined();
  });
});

describe('formatAge', () => {
  it.each([
    [0, '0s'],
    [90_000, '1m30s'],
    [26 * 3_600_000 + 5 * 60_000, '1d2h'],
    [-3_600_000, '1h in the future'],
  ])('%d ms -> %s', (ms, text) => {
    expect(formatAge(ms)).toBe(text);
  });
});

describe('isCosignSignature', () => {
  it.each([
    ['application/vnd.dev.sigstore.bundle.v0.3+json', true],
    ['application/vnd.dev.sigstore.bundle+json;version=0.3', true],
    ['application/vnd.dev.cosign.artifact.sig.v1+json', true],
    ['application/spdx+json', false],
    [undefined, false],
  ])('%s -> %s', (artifactType, expected) => {
    expect(isCosignSignature(artifactType ? { artifactType } : {})).toBe(expected);
  });
});

describe('assertGatesPassed', () => {
  it('passes when every gate passed', () => {
    expect(() => assertGatesPassed('r/app:rc', [{ gate: 'require-tags', passed: true, detail: 'ok' }])).not.toThrow();
  });

  it('names every failed gate', () => {
    expect(() =>
      assertGatesPassed('r/app:rc', [
        { gate: 'require-signature', passed: false, detail: 'no signature' },
        { gate: 'require-tags', passed: true, detail: 'ok' },
        { gate: 'require-age', passed: false, detail: 'too young' },
      ]),
    ).toThrow(
      'Promotion of r/app:rc refused, nothing was written: require-signature: no signature; require-age: too young',
    );
  });
});
