// Tag patterns shared by the policies that protect or select tags (retention keep/delete lists,
// promote's immutable tags): shell-style globs, `/regex/flags`, and `!pattern` exclusions.
// Compiled once, with errors that name the input and quote the broken pattern.
// Tags come from registries and patterns from inputs, so the work of a match is bounded: globs
// are matched by a linear-time matcher, tags longer than the tag grammar allows are refused, and
// a regex that can backtrack (a quantified group, a backreference, many unbounded quantifiers)
// runs under a time limit and fails with a clear error instead of hanging the step.
import vm from 'node:vm';
import { ConfigurationError, OperationError } from '../errors.js';

/** The longest tag the distribution grammar allows (`[\w][\w.-]{0,127}`). */
export const MAX_TAG_LENGTH = 128;

/** How long one regex may take on one tag, when it is one that can backtrack. */
const REGEX_TIME_LIMIT_MS = 200;

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
  test(tag: string): boolean;
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
    if (compiled.length === 0) return undefined;
    if (tag.length > MAX_TAG_LENGTH) {
      throw new OperationError(
        `matching tags against ${input}`,
        `'${tag.slice(0, 40)}…' is ${tag.length} characters long, and a tag has at most ${MAX_TAG_LENGTH}`,
      );
    }
    if (negatives.some((n) => n.test(tag))) return undefined;
    if (positives.length === 0) return `not ${negatives.map((n) => n.source).join(', ')}`;
    return positives.find((p) => p.test(tag))?.source;
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
    let re: RegExp;
    try {
      re = new RegExp(regex[1] as string, flags);
    } catch (err) {
      const why = err instanceof Error ? err.message.replace(/^Invalid regular expression: /, '') : String(err);
      throw new ConfigurationError(`'${pattern}' is not a valid regular expression (${why})`, input);
    }
    return {
      source: text,
      negated,
      test: mayBacktrack(regex[1] as string) ? timedTest(re, pattern, input) : (tag) => re.test(tag),
    };
  }
  return { source: text, negated, test: globMatcher(body, pattern, input) };
}

/**
 * True when a regex source can take more than polynomial time of a low degree: a quantified
 * group (`(a+)+`, `(a|a)*`), a backreference, or more than four unbounded quantifiers.
 */
export function mayBacktrack(source: string): boolean {
  let unbounded = 0;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === '\\') {
      const next = source[i + 1] ?? '';
      if (/[1-9]/.test(next) || (next === 'k' && source[i + 2] === '<')) return true;
      i++;
    } else if (ch === '[') {
      // a class: skip to its closing bracket (escapes inside included)
      for (i++; i < source.length && source[i] !== ']'; i++) if (source[i] === '\\') i++;
    } else if (ch === ')') {
      const next = source[i + 1];
      if (next === '*' || next === '+' || next === '{') return true;
    } else if (ch === '*' || ch === '+' || (ch === '{' && /^\{\d+,\}/.test(source.slice(i)))) {
      unbounded++;
    }
  }
  return unbounded > 4;
}

/** A test that is stopped after REGEX_TIME_LIMIT_MS, for regexes that can backtrack. */
function timedTest(re: RegExp, pattern: string, input: string): (tag: string) => boolean {
  const context = vm.createContext({ re, tag: '' });
  const script = new vm.Script('re.test(tag)');
  return (tag) => {
    context.tag = tag;
    try {
      return script.runInContext(context, { timeout: REGEX_TIME_LIMIT_MS }) === true;
    } catch (err) {
      if ((err as { code?: unknown })?.code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw err;
      throw new ConfigurationError(
        `'${pattern}' took more than ${REGEX_TIME_LIMIT_MS} ms on tag '${tag.length > 40 ? `${tag.slice(0, 40)}…` : tag}': it backtracks; write it without a quantified group such as (a+)+ or use a glob`,
        input,
      );
    }
  };
}

type GlobToken = { kind: 'star' } | { kind: 'one'; test: (ch: string) => boolean };

/**
 * Compiles a glob into a matcher that runs in O(tag x pattern) time: the classic wildcard
 * algorithm that, on a mismatch, only ever returns to the last star (a regex of several `.*`
 * would backtrack polynomially in the number of stars).
 */
function globMatcher(glob: string, original: string, input: string): (tag: string) => boolean {
  const tokens: GlobToken[] = [];
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === '*') {
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (ch === '?') {
      tokens.push({ kind: 'one', test: () => true });
    } else if (ch === '\\') {
      const next = glob[i + 1];
      if (next === undefined) {
        throw new ConfigurationError(`'${original}' ends with a lone backslash (escape a character as \\x)`, input);
      }
      tokens.push({ kind: 'one', test: (c) => c === next });
      i++;
    } else if (ch === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        throw new ConfigurationError(`'${original}' has an unclosed '[' (a class looks like [a-z] or [!0-9])`, input);
      }
      let cls = glob.slice(i + 1, end);
      if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      let re: RegExp;
      try {
        re = new RegExp(`^[${cls.replace(/\\/g, '\\\\').replace(/\]/g, '\\]')}]$`);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        throw new ConfigurationError(`'${original}' is not a valid glob (${why})`, input);
      }
      tokens.push({ kind: 'one', test: (c) => re.test(c) });
      i = end;
    } else if (/[A-Za-z0-9_.-]/.test(ch)) {
      tokens.push({ kind: 'one', test: (c) => c === ch });
    } else {
      throw new ConfigurationError(
        `'${original}' contains '${ch}', which no tag can hold (tags use letters, digits, '_', '.', '-'; globs add * ? [...]; use /regex/ for more)`,
        input,
      );
    }
  }
  return (tag) => {
    let t = 0;
    let p = 0;
    let starP = -1;
    let starT = 0;
    while (t < tag.length) {
      const token = tokens[p];
      if (token?.kind === 'one' && token.test(tag[t] as string)) {
        t++;
        p++;
      } else if (token?.kind === 'star') {
        starP = p++;
        starT = t;
      } else if (starP >= 0) {
        p = starP + 1;
        t = ++starT;
      } else {
        return false;
      }
    }
    while (tokens[p]?.kind === 'star') p++;
    return p === tokens.length;
  };
}
