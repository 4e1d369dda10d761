// Tag patterns shared by the policies that protect or select tags (retention keep/delete lists,
// promote's immutable tags): shell-style globs, `/regex/flags`, and `!pattern` exclusions.
// Compiled once, with errors that name the input and quote the broken pattern.
import { ConfigurationError } from '../errors.js';

/** A compiled pattern list. */
export interface TagMatcher {
  /** the patterns as given */
  readonly patterns: readonly string[];
  matches(tag: string): boolean;
  /** the first positive pattern that selects the tag (for reasons in summaries), or undefined */
  matching(tag: string): string | undefined;
}

/**
 * Semantic-version tags: `1.2.3`, `v1.2.3`, `1.2.3-rc.1`, and the floating `1.2`, `v1.2`, `1`, `v1`.
 * Registry tags cannot hold `+`, so build metadata never appears.
 */
export const DEFAULT_SEMVER_TAG_PATTERNS: readonly string[] = [
  '/^v?(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(-[0-9A-Za-z.-]+)?$/',
  '/^v?(0|[1-9]\\d*)(\\.(0|[1-9]\\d*))?$/',
];

const SEMVER = compileTagPatterns(DEFAULT_SEMVER_TAG_PATTERNS, 'semver');

/** True for the tags DEFAULT_SEMVER_TAG_PATTERNS matches. */
export function isSemverTag(tag: string): boolean {
  return SEMVER.matches(tag);
}

interface Compiled {
  source: string;
  negated: boolean;
  re: RegExp;
}

/**
 * Compiles patterns: a glob (`*` any run of characters, `?` one character, `[a-z]`/`[!a-z]` a
 * class, `\x` a literal x), or a JavaScript regular expression between slashes (`/^pr-\d+$/`,
 * flags allowed: `/^RC/i`; a regex is searched, anchor it to match whole tags). A leading `!`
 * excludes what the rest matches; a list of only exclusions selects every other tag.
 */
export function compileTagPatterns(list: readonly string[], input: string): TagMatcher {
  const compiled = list.map((p) => compileOne(p, input));
  const positives = compiled.filter((c) => !c.negated);
  const negatives = compiled.filter((c) => c.negated);
  const matching = (tag: string): string | undefined => {
    if (negatives.some((n) => n.re.test(tag))) return undefined;
    if (positives.length === 0)
      return compiled.length > 0 ? `not ${negatives.map((n) => n.source).join(', ')}` : undefined;
    return positives.find((p) => p.re.test(tag))?.source;
  };
  return {
    patterns: [...list],
    matching,
    matches: (tag) => matching(tag) !== undefined,
  };
}

function compileOne(pattern: string, input: string): Compiled {
  const text = pattern.trim();
  const negated = text.startsWith('!');
  const body = negated ? text.slice(1).trim() : text;
  if (body === '') {
    throw new ConfigurationError(
      `'${pattern}' is an empty pattern (expected a glob such as 'pr-*' or a /regex/)`,
      input,
    );
  }
  const regex = /^\/(.+)\/([a-z]*)$/s.exec(body);
  if (regex) {
    const flags = regex[2] as string;
    if (/[^imsu]/.test(flags)) {
      throw new ConfigurationError(`'${pattern}' has regex flags '${flags}' (accepted flags: i, m, s, u)`, input);
    }
    try {
      return { source: text, negated, re: new RegExp(regex[1] as string, flags) };
    } catch (err) {
      const why = err instanceof Error ? err.message.replace(/^Invalid regular expression: /, '') : String(err);
      throw new ConfigurationError(`'${pattern}' is not a valid regular expression (${why})`, input);
    }
  }
  return { source: text, negated, re: globToRegExp(body, pattern, input) };
}

function globToRegExp(glob: string, original: string, input: string): RegExp {
  let out = '^';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === '*') {
      out += '.*';
    } else if (ch === '?') {
      out += '.';
    } else if (ch === '\\') {
      const next = glob[i + 1];
      if (next === undefined) {
        throw new ConfigurationError(`'${original}' ends with a lone backslash (escape a character as \\x)`, input);
      }
      out += escapeRegExp(next);
      i++;
    } else if (ch === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        throw new ConfigurationError(`'${original}' has an unclosed '[' (a class looks like [a-z] or [!0-9])`, input);
      }
      let cls = glob.slice(i + 1, end);
      if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      out += `[${cls.replace(/\\/g, '\\\\').replace(/\]/g, '\\]')}]`;
      i = end;
    } else if (/[A-Za-z0-9_.-]/.test(ch)) {
      out += escapeRegExp(ch);
    } else {
      throw new ConfigurationError(
        `'${original}' contains '${ch}', which no tag can hold (tags use letters, digits, '_', '.', '-'; globs add * ? [...]; use /regex/ for more)`,
        input,
      );
    }
  }
  try {
    return new RegExp(`${out}$`);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ConfigurationError(`'${original}' is not a valid glob (${why})`, input);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
