// The `tags` and `flavor` inputs: docker/metadata-action's rule syntax (`type=semver,pattern=...`,
// attributes, default priorities) plus this action's own types (build, timestamp, env). Parsing
// is strict: an unknown type or attribute is a ConfigurationError that quotes the line.
import { ConfigurationError } from '#shared/errors.js';
import { splitOutsideQuotes } from '#shared/parse.js';

export const RULE_TYPES = [
  'schedule',
  'semver',
  'pep440',
  'match',
  'edge',
  'ref',
  'raw',
  'sha',
  'build',
  'timestamp',
  'env',
] as const;
export type RuleType = (typeof RULE_TYPES)[number];

/** metadata-action's defaults, and ours for the types it does not have. */
export const DEFAULT_PRIORITIES: Record<RuleType, number> = {
  schedule: 1000,
  semver: 900,
  pep440: 900,
  match: 800,
  edge: 700,
  ref: 600,
  env: 300,
  raw: 200,
  build: 150,
  timestamp: 150,
  sha: 100,
};

/** The rules metadata-action applies when its `tags` input is empty. */
export const METADATA_ACTION_DEFAULT_RULES = [
  'type=schedule',
  'type=ref,event=branch',
  'type=ref,event=tag',
  'type=ref,event=pr',
] as const;

/** Our rules for an empty `tags` input. */
export const RECOMMENDED_RULES = [
  'type=schedule,pattern=nightly',
  'type=semver,pattern={{version}}',
  'type=semver,pattern={{major}}.{{minor}}',
  'type=semver,pattern={{major}}',
  'type=ref,event=branch',
  'type=ref,event=pr',
  'type=sha',
] as const;

export const METADATA_ACTION_DEFAULTS_KEYWORD = 'metadata-action-defaults';

const COMMON = ['type', 'enable', 'priority', 'prefix', 'suffix'];
const ATTRIBUTES: Record<RuleType, string[]> = {
  schedule: ['pattern'],
  semver: ['pattern', 'value', 'match'],
  pep440: ['pattern', 'value', 'match'],
  match: ['pattern', 'group', 'value'],
  edge: ['branch'],
  ref: ['event'],
  raw: ['value'],
  sha: ['format', 'source'],
  build: [],
  timestamp: ['format'],
  env: ['value'],
};

export interface Rule {
  type: RuleType;
  /** the line as the user wrote it, for messages and the summary */
  line: string;
  /** position in the input, to keep the order of equal priorities */
  index: number;
  priority: number;
  /** raw text, may hold expressions; 'true' unless given */
  enable: string;
  /** undefined: the flavor's prefix/suffix applies */
  prefix: string | undefined;
  suffix: string | undefined;
  attrs: Record<string, string>;
}

function fail(line: string, why: string): never {
  throw new ConfigurationError(`'${line}': ${why}`, 'tags');
}

/** Splits `a=b,c="d,e"` into fields; a field without `=` is the value (metadata-action's shorthand). */
function fields(line: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const unquote = (s: string) => (s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s);
  for (const raw of splitOutsideQuotes(line, ',')) {
    // CSV quoting, as metadata-action reads rules: `"value=a,b"` or `value="a,b"`
    const field = unquote(raw.trim());
    if (field === '') continue;
    const eq = field.indexOf('=');
    if (eq < 0) out.push(['value', unquote(field)]);
    else out.push([field.slice(0, eq).trim().toLowerCase(), unquote(field.slice(eq + 1).trim())]);
  }
  return out;
}

export function parseRule(line: string, index: number): Rule {
  const attrs: Record<string, string> = {};
  for (const [key, value] of fields(line)) {
    if (key === '') fail(line, 'an attribute has no name (expected key=value)');
    if (key in attrs) fail(line, `'${key}' is given twice`);
    attrs[key] = value;
  }
  const typeText = attrs.type ?? 'raw';
  if (!(RULE_TYPES as readonly string[]).includes(typeText)) {
    fail(line, `type '${typeText}' is unknown (expected one of: ${RULE_TYPES.join(', ')})`);
  }
  const type = typeText as RuleType;
  const allowed = [...COMMON, ...ATTRIBUTES[type]];
  for (const key of Object.keys(attrs)) {
    if (!allowed.includes(key)) {
      fail(line, `attribute '${key}' does not apply to type=${type} (accepted: ${allowed.join(', ')})`);
    }
  }
  const need = (key: string, example: string) => {
    if (attrs[key] === undefined || attrs[key] === '') fail(line, `type=${type} needs ${key}= (such as ${example})`);
  };
  switch (type) {
    case 'schedule':
      attrs.pattern ??= 'nightly';
      break;
    case 'semver':
    case 'pep440':
      need('pattern', 'pattern={{version}}');
      attrs.value ??= '';
      if (attrs.match) checkVersionMatch(attrs.match, line);
      break;
    case 'match':
      need('pattern', 'pattern=\\d+.\\d+');
      attrs.group ??= '0';
      if (!/^\d+$/.test(attrs.group)) fail(line, `group '${attrs.group}' is not a group number (expected 0, 1, 2...)`);
      attrs.value ??= '';
      compileMatch(attrs.pattern as string, line);
      break;
    case 'edge':
      attrs.branch ??= '';
      break;
    case 'ref':
      need('event', 'event=branch');
      if (!['branch', 'tag', 'pr'].includes(attrs.event as string)) {
        fail(line, `event '${attrs.event}' is unknown (expected branch, tag or pr)`);
      }
      if (attrs.event === 'pr' && attrs.prefix === undefined) attrs.prefix = 'pr-';
      break;
    case 'raw':
      need('value', 'value=stable');
      break;
    case 'sha':
      attrs.format ??= 'short';
      if (!['short', 'long'].includes(attrs.format))
        fail(line, `format '${attrs.format}' is unknown (expected short or long)`);
      // no source: DOCKER_METADATA_PR_HEAD_SHA decides (the head commit unless it is false)
      if (attrs.source !== undefined && !['head', 'merge'].includes(attrs.source))
        fail(line, `source '${attrs.source}' is unknown (expected head or merge)`);
      if (attrs.prefix === undefined) attrs.prefix = 'sha-';
      break;
    case 'build':
      if (attrs.prefix === undefined) attrs.prefix = 'build-';
      break;
    case 'timestamp':
      attrs.format ??= 'YYYYMMDD-HHmmss';
      if (attrs.format === '') fail(line, 'format is empty (such as format=YYYYMMDD-HHmmss)');
      break;
    case 'env':
      need('value', 'value=staging');
      break;
  }
  let priority = DEFAULT_PRIORITIES[type];
  if (attrs.priority !== undefined) {
    if (!/^-?\d+$/.test(attrs.priority)) fail(line, `priority '${attrs.priority}' is not a whole number`);
    priority = Number(attrs.priority);
  }
  const { prefix, suffix } = attrs;
  const rest: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (!COMMON.includes(k)) rest[k] = v;
  return { type, line, index, priority, enable: attrs.enable ?? 'true', prefix, suffix, attrs: rest };
}

/**
 * The `match` of a semver or pep440 rule: a regular expression (as metadata-action takes it, no
 * `/.../` form) whose first group is the version (`v(\d+\.\d+\.\d+)$` on `p1/v1.0.0`).
 */
function checkVersionMatch(pattern: string, line: string): void {
  let groups = 0;
  try {
    new RegExp(pattern);
    // an alternative that matches '' makes exec() report every group of the pattern
    groups = (new RegExp(`(?:${pattern})|`).exec('')?.length ?? 1) - 1;
  } catch (err) {
    fail(line, `match '${pattern}' is not a valid regular expression (${(err as Error).message})`);
  }
  if (groups < 1) fail(line, `match '${pattern}' has no group: its first group is the version (such as v(\\d.*)$)`);
}

/** A match pattern: `/re/flags` or a plain regular expression text (as String.match takes it). */
export function compileMatch(pattern: string, line: string): RegExp {
  const slashed = /^\/(.+)\/([a-z]*)$/.exec(pattern);
  try {
    return slashed ? new RegExp(slashed[1] as string, slashed[2]) : new RegExp(pattern);
  } catch (err) {
    return fail(line, `pattern '${pattern}' is not a valid regular expression (${(err as Error).message})`);
  }
}

/** The rules of the `tags` input, highest priority first; equal priorities keep their order. */
export function parseRules(lines: readonly string[]): Rule[] {
  let source: readonly string[] = lines;
  if (lines.length === 0) source = RECOMMENDED_RULES;
  else if (lines.length === 1 && lines[0]?.trim().toLowerCase() === METADATA_ACTION_DEFAULTS_KEYWORD) {
    source = METADATA_ACTION_DEFAULT_RULES;
  }
  return source.map((line, i) => parseRule(line, i)).sort((a, b) => b.priority - a.priority || a.index - b.index);
}

export interface Flavor {
  latest: 'auto' | 'true' | 'false';
  prefix: string;
  prefixLatest: boolean;
  suffix: string;
  suffixLatest: boolean;
}

/** `latest=auto|true|false`, `prefix=...[,onlatest=true]`, `suffix=...[,onlatest=true]`, one or more per line. */
export function parseFlavor(lines: readonly string[]): Flavor {
  const flavor: Flavor = { latest: 'auto', prefix: '', prefixLatest: false, suffix: '', suffixLatest: false };
  for (const line of lines) {
    let last: 'prefix' | 'suffix' | undefined;
    for (const raw of splitOutsideQuotes(line, ',')) {
      const field = raw.trim();
      if (field === '') continue;
      const eq = field.indexOf('=');
      if (eq < 0) throw new ConfigurationError(`'${line}': '${field}' is not key=value`, 'flavor');
      const key = field.slice(0, eq).trim().toLowerCase();
      const value = field.slice(eq + 1).trim();
      switch (key) {
        case 'latest':
          if (value !== 'auto' && value !== 'true' && value !== 'false') {
            throw new ConfigurationError(
              `'${line}': latest='${value}' is not accepted (expected auto, true or false)`,
              'flavor',
            );
          }
          flavor.latest = value;
          break;
        case 'prefix':
        case 'suffix':
          flavor[key] = value;
          last = key;
          break;
        case 'onlatest':
          if (value !== 'true' && value !== 'false') {
            throw new ConfigurationError(
              `'${line}': onlatest='${value}' is not accepted (expected true or false)`,
              'flavor',
            );
          }
          if (!last) throw new ConfigurationError(`'${line}': onlatest must follow prefix= or suffix=`, 'flavor');
          if (last === 'prefix') flavor.prefixLatest = value === 'true';
          else flavor.suffixLatest = value === 'true';
          break;
        default:
          throw new ConfigurationError(
            `'${line}': '${key}' is unknown (expected latest=, prefix=, suffix=, onlatest=)`,
            'flavor',
          );
      }
    }
  }
  return flavor;
}
