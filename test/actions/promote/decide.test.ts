import { describe, expect, it } from 'vitest';
import { decideTarget, decideTargets } from '../../../actions/promote/src/decide.js';
import { parseImmutableTags } from '../../../actions/promote/src/inputs.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const t = (tag: string) => ({ registry: 'r:5000', repository: 'app', tag });
const semver = parseImmutableTags(undefined);

describe('decideTarget', () => {
  it.each([
    ['a new tag is created', 'staging', null, false, 'created', false],
    ['a moving tag is moved', 'staging', D2, false, 'moved', false],
    ['the same digest is a no-op', '1.4.0', D1, false, 'unchanged', false],
    ['a new semver tag is created', 'v1.4.0', null, false, 'created', false],
    ['an immutable tag is moved with force', '1.4.0', D2, true, 'moved', true],
  ] as const)('%s', (_, tag, previous, force, action, forced) => {
    expect(decideTarget(t(tag), previous, D1, semver, force)).toEqual({ target: t(tag), previous, action, forced });
  });

  it.each([['1.4.0'], ['v1.4.0'], ['1.4.0-rc.1']])('refuses to move the semver tag %s', (tag) => {
    expect(() => decideTarget(t(tag), D2, D1, semver, false)).toThrow(
      new RegExp(
        `Input 'immutable-tags': r:5000/app:${tag.replace(/\./g, '\\.')} already points to ${D2} .*would move it`,
      ),
    );
  });

  it.each([
    ['1.2.3', true],
    ['v1.2.3', true],
    ['1.2.3-rc.1', true],
    ['1.2.3_build.5', true],
    ['v1.2.3-rc.1_build.5', true],
    ['1', false],
    ['1.3', false],
    ['v1', false],
    ['v1.3', false],
    ['latest', false],
    ['01.2.3', false],
    ['1.2.3.4', false],
  ] as const)('the default protects full versions only: %s -> %s', (tag, immutable) => {
    if (immutable) expect(() => decideTarget(t(tag), D2, D1, semver, false)).toThrow(/is immutable/);
    else expect(decideTarget(t(tag), D2, D1, semver, false).action).toBe('moved');
  });

  it('protects nothing with none, and only the given patterns otherwise', () => {
    expect(decideTarget(t('1.4.0'), D2, D1, parseImmutableTags('none'), false).action).toBe('moved');
    const custom = parseImmutableTags('release-*');
    expect(decideTarget(t('1.4.0'), D2, D1, custom, false).action).toBe('moved');
    expect(() => decideTarget(t('release-7'), D2, D1, custom, false)).toThrow(/release-\*/);
  });
});

describe('decideTargets', () => {
  it('reports every refused target at once', () => {
    const targets = [
      { target: t('staging'), previous: null },
      { target: t('1.0.0'), previous: D2 },
      { target: t('2.0.0'), previous: D2 },
    ];
    expect(() => decideTargets(targets, D1, semver, false)).toThrow(
      /1\.0\.0 already points.*; r:5000\/app:2\.0\.0 already points/,
    );
  });
});
