import { afterEach, describe, expect, it } from 'vitest';
import {
  getBooleanInput,
  getDurationInput,
  getEnumInput,
  getInput,
  getIntegerInput,
  getKeyValueInput,
  getLineListInput,
  getListInput,
  getRequiredInput,
  getSizeInput,
  getYamlInput,
} from '#shared/action/inputs.js';

const set: string[] = [];
function input(name: string, value: string): void {
  const key = `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
  process.env[key] = value;
  set.push(key);
}
afterEach(() => {
  for (const k of set.splice(0)) delete process.env[k];
});

describe('input helpers', () => {
  it('treats empty and blank as not given', () => {
    input('tag-prefix', '   ');
    expect(getInput('tag-prefix')).toBeUndefined();
    expect(getInput('absent')).toBeUndefined();
  });

  it('names a missing required input', () => {
    expect(() => getRequiredInput('images')).toThrow("Input 'images': is required and was not given");
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['False', false],
  ])('boolean %s', (value, expected) => {
    input('push', value);
    expect(getBooleanInput('push', !expected)).toBe(expected);
  });

  it('rejects a boolean that is not true/false', () => {
    input('push', 'yes');
    expect(() => getBooleanInput('push', true)).toThrow(
      "Input 'push': 'yes' is not a boolean (expected true or false)",
    );
    expect(getBooleanInput('other', true)).toBe(true);
  });

  it('bounds integers', () => {
    input('sha-length', '7');
    expect(getIntegerInput('sha-length', { default: 7, min: 4, max: 40 })).toBe(7);
    input('sha-length', '41');
    expect(() => getIntegerInput('sha-length', { default: 7, min: 4, max: 40 })).toThrow(
      "Input 'sha-length': 41 is out of range (expected a whole number from 4 to 40)",
    );
    input('sha-length', '7.5');
    expect(() => getIntegerInput('sha-length', { default: 7, min: 4, max: 40 })).toThrow(
      "Input 'sha-length': '7.5' is not a whole number (expected a whole number from 4 to 40)",
    );
    expect(getIntegerInput('max-deletions', { default: 100, min: 0 })).toBe(100);
  });

  it('enums list what is accepted', () => {
    input('floating-tags', 'Always');
    expect(getEnumInput('floating-tags', ['highest', 'always', 'never'] as const, 'highest')).toBe('always');
    input('floating-tags', 'sometimes');
    expect(() => getEnumInput('floating-tags', ['highest', 'always', 'never'] as const, 'highest')).toThrow(
      "Input 'floating-tags': 'sometimes' is not accepted (expected one of: highest, always, never)",
    );
  });

  it('lists, lines, key=value, duration, size, yaml', () => {
    input('images', 'ghcr.io/a/b, docker.io/a/b\n# mirror\nquay.io/a/b');
    expect(getListInput('images')).toEqual(['ghcr.io/a/b', 'docker.io/a/b', 'quay.io/a/b']);
    input('tags', 'type=semver,pattern={{version}}\ntype=sha');
    expect(getLineListInput('tags')).toEqual(['type=semver,pattern={{version}}', 'type=sha']);
    input('labels', 'org.opencontainers.image.title=api\nteam=core=platform');
    expect(getKeyValueInput('labels')).toEqual([
      ['org.opencontainers.image.title', 'api'],
      ['team', 'core=platform'],
    ]);
    input('older-than', '30d');
    expect(getDurationInput('older-than')).toBe(2_592_000_000);
    input('max-size', '200MB');
    expect(getSizeInput('max-size')).toBe(200_000_000);
  });

  it('parses a YAML input and names the input when it is broken', async () => {
    input('registries', '- registry: ghcr.io\n  username: me\n');
    expect(await getYamlInput('registries')).toEqual([{ registry: 'ghcr.io', username: 'me' }]);
    input('registries', '- registry: [unclosed');
    await expect(getYamlInput('registries')).rejects.toThrow(/^Input 'registries': is not valid YAML \(/);
  });
});
