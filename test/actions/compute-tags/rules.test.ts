import { describe, expect, it } from 'vitest';
import { parsePep440 } from '../../../actions/compute-tags/src/pep440.js';
import {
  METADATA_ACTION_DEFAULT_RULES,
  parseFlavor,
  parseRule,
  parseRules,
  RECOMMENDED_RULES,
} from '../../../actions/compute-tags/src/rules.js';
import { formatDate, render } from '../../../actions/compute-tags/src/template.js';
import { ConfigurationError } from '#shared/errors.js';

describe('parseRule', () => {
  it.each([
    [
      'type=semver,pattern={{version}}',
      { type: 'semver', priority: 900, attrs: { pattern: '{{version}}', value: '' } },
    ],
    ['type=ref,event=pr', { type: 'ref', priority: 600, prefix: 'pr-', attrs: { event: 'pr' } }],
    ['type=sha', { type: 'sha', priority: 100, prefix: 'sha-', attrs: { format: 'short' } }],
    ['type=schedule', { type: 'schedule', priority: 1000, attrs: { pattern: 'nightly' } }],
    [
      'type=match,pattern=v(\\d),group=1',
      { type: 'match', priority: 800, attrs: { pattern: 'v(\\d)', group: '1', value: '' } },
    ],
    ['type=edge', { type: 'edge', priority: 700, attrs: { branch: '' } }],
    ['type=raw,value=foo,priority=5', { type: 'raw', priority: 5, attrs: { value: 'foo' } }],
    ['foo', { type: 'raw', priority: 200, attrs: { value: 'foo' } }],
    ['type=raw,"value=a,b"', { type: 'raw', priority: 200, attrs: { value: 'a,b' } }],
    ['type=build', { type: 'build', priority: 150, prefix: 'build-', attrs: {} }],
    ['type=timestamp', { type: 'timestamp', priority: 150, attrs: { format: 'YYYYMMDD-HHmmss' } }],
    ['type=env,value=prod', { type: 'env', priority: 300, attrs: { value: 'prod' } }],
    ['TYPE=sha, Format=long ', { type: 'sha', attrs: { format: 'long' } }],
  ])('%s', (line, expected) => {
    expect(parseRule(line, 0)).toMatchObject(expected);
  });

  it.each([
    ['type=nope', "Input 'tags': 'type=nope': type 'nope' is unknown (expected one of: schedule, semver"],
    ['type=semver', "Input 'tags': 'type=semver': type=semver needs pattern= (such as pattern={{version}})"],
    ['type=ref', "'type=ref': type=ref needs event= (such as event=branch)"],
    ['type=ref,event=push', "'type=ref,event=push': event 'push' is unknown (expected branch, tag or pr)"],
    ['type=raw', "'type=raw': type=raw needs value= (such as value=stable)"],
    ['type=sha,format=medium', "format 'medium' is unknown (expected short or long)"],
    ['type=sha,source=base', "source 'base' is unknown (expected head or merge)"],
    [
      'type=sha,value=x',
      "attribute 'value' does not apply to type=sha (accepted: type, enable, priority, prefix, suffix, format, source)",
    ],
    ['type=match,pattern=(', "pattern '(' is not a valid regular expression"],
    ['type=match,pattern=x,group=a', "group 'a' is not a group number"],
    ['type=raw,value=a,priority=high', "priority 'high' is not a whole number"],
    ['type=raw,value=a,value=b', "'value' is given twice"],
    ['type=env', 'type=env needs value='],
    ['type=timestamp,format=', 'format is empty'],
    ['type=raw,=x', 'an attribute has no name'],
    ['type=semver,pattern={{version}},match=v(', "match 'v(' is not a valid regular expression"],
    ['type=pep440,pattern={{version}},match=v\\d', "match 'v\\d' has no group: its first group is the version"],
    ['type=semver,pattern={{version}},match=(?:v)\\d', "match '(?:v)\\d' has no group"],
    ['type=raw,value=a,match=x', "attribute 'match' does not apply to type=raw"],
  ])('rejects %s', (line, message) => {
    expect(() => parseRule(line, 0)).toThrow(ConfigurationError);
    expect(() => parseRule(line, 0)).toThrow(message);
  });
});

describe('parseRules', () => {
  it('empty means the recommended set', () => {
    expect(parseRules([]).map((r) => r.line)).toEqual([
      'type=schedule,pattern=nightly',
      'type=semver,pattern={{version}}',
      'type=semver,pattern={{major}}.{{minor}}',
      'type=semver,pattern={{major}}',
      'type=ref,event=branch',
      'type=ref,event=pr',
      'type=sha',
    ]);
    expect(RECOMMENDED_RULES).toHaveLength(7);
  });

  it('the keyword means metadata-action defaults', () => {
    expect(parseRules(['metadata-action-defaults']).map((r) => r.line)).toEqual([...METADATA_ACTION_DEFAULT_RULES]);
  });
});

describe('parseFlavor', () => {
  it.each([
    [[], { latest: 'auto', prefix: '', prefixLatest: false, suffix: '', suffixLatest: false }],
    [['latest=false'], { latest: 'false', prefix: '', prefixLatest: false, suffix: '', suffixLatest: false }],
    [
      ['prefix=a-,onlatest=true', 'suffix=-b'],
      { latest: 'auto', prefix: 'a-', prefixLatest: true, suffix: '-b', suffixLatest: false },
    ],
  ])('%j', (lines, expected) => {
    expect(parseFlavor(lines)).toEqual(expected);
  });

  it.each([
    [['latest=maybe'], "Input 'flavor': 'latest=maybe': latest='maybe' is not accepted (expected auto, true or false)"],
    [['labelprefix=x'], "'labelprefix' is unknown"],
    [['onlatest=true'], 'onlatest must follow prefix= or suffix='],
    [['prefix'], "'prefix' is not key=value"],
  ])('rejects %j', (lines, message) => {
    expect(() => parseFlavor(lines)).toThrow(message);
  });
});

describe('templates', () => {
  const at = new Date('2026-03-04T05:06:07.089Z');
  it.each([
    ['YYYYMMDD', 'UTC', '20260304'],
    ['YYYY-MM-DDTHH:mm:ss.SSSZ', 'UTC', '2026-03-04T05:06:07.089+00:00'],
    ['YY M D H m s', 'UTC', '26 3 4 5 6 7'],
    ['YYYYMMDD-HHmm ZZ', 'America/New_York', '20260304-0006 -0500'],
    ['HH', 'Asia/Kolkata', '10'],
    ['[week] ddd MMM', 'UTC', 'week Wed Mar'],
    ['hh A', 'UTC', '05 AM'],
    ['X', 'UTC', '1772600767'],
  ])('formatDate %s in %s', (format, tz, expected) => {
    expect(formatDate(at, format, tz)).toBe(expected);
  });

  it('renders names, arguments and hashes', () => {
    const helpers = { branch: 'main', date: (args: string[], hash: Record<string, string>) => `${args[0]}|${hash.tz}` };
    expect(render("{{branch}}-{{ date 'YYYY' tz='Europe/Paris' }}", helpers)).toBe('main-YYYY|Europe/Paris');
    expect(render('no expression', helpers)).toBe('no expression');
  });

  it.each([
    ['{{nope}}', "'{{nope}}' is unknown (known: branch)"],
    ['{{branch', "has an unclosed '{{'"],
    ["{{'x'}}", 'does not start with a name'],
  ])('rejects %s', (text, message) => {
    expect(() => render(text, { branch: 'main' })).toThrow(message);
  });
});

describe('parsePep440', () => {
  it.each([
    ['1.2.3', { version: '1.2.3', major: 1, minor: 2, patch: 3, isSpecial: false }],
    ['v1.2', { version: '1.2', major: 1, minor: 2, patch: 0, isSpecial: false }],
    ['1.2.3rc2', { version: '1.2.3rc2', isSpecial: true }],
    ['1.1beta2', { version: '1.1b2', isSpecial: true }],
    ['1.2post1', { version: '1.2.post1', isSpecial: true }],
    ['1.0dev4', { version: '1.0.dev4', isSpecial: true }],
    ['1.0-1', { version: '1.0.post1', isSpecial: true }],
    ['1!2.0+Local-1', { version: '1!2.0+local.1', isSpecial: false }],
  ])('%s', (text, expected) => {
    expect(parsePep440(text)).toMatchObject(expected);
  });

  it('rejects what is not PEP 440', () => {
    expect(parsePep440('release1')).toBeUndefined();
    expect(parsePep440('1.2.3-beta.1.x')).toBeUndefined();
  });
});
