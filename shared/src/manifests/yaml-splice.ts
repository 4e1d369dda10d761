// Byte-exact edits of YAML scalars: where a scalar's value sits in the original text (from the
// `yaml` package's node ranges), how to write a new value in the scalar's own style (plain,
// single- or double-quoted, block), and splicing those ranges back into the text. Everything
// outside the spliced ranges (comments, anchors, blank lines, CRLF, key order) is left as it was.
import { isScalar, parse as parseYaml, type Scalar } from 'yaml';

export type ScalarStyle = 'plain' | 'single' | 'double' | 'block';

/** Where the value of one scalar is written, and how. */
export interface ScalarSpot {
  /** offsets of the value text itself (inside quotes, after a block header) */
  start: number;
  end: number;
  style: ScalarStyle;
  /** the value exactly as written between start and end */
  text: string;
  /** 1-based line of start */
  line: number;
  /** plain scalars YAML reads as something other than a string (`1.10` is the number 1.1) */
  readsAsNonString: boolean;
}

export type SpotResult = { spot: ScalarSpot } | { why: string };

/** Line numbers of offsets, computed once per text. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }
  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

/**
 * The editable place of a scalar's value. A value written across lines, or with escapes, has
 * no single range that holds it verbatim; such scalars are refused with the reason.
 */
export function scalarSpot(node: unknown, source: string, lines: LineIndex): SpotResult {
  if (!isScalar(node) || !node.range) return { why: 'is not a plain value' };
  const scalar = node as Scalar;
  const [from, to] = node.range as [number, number, number];
  const raw = source.slice(from, to);
  const value = typeof scalar.value === 'string' ? scalar.value : undefined;
  switch (scalar.type) {
    case 'PLAIN': {
      if (/[\r\n]/.test(raw)) return { why: 'is written across several lines' };
      return {
        spot: { start: from, end: to, style: 'plain', text: raw, line: lines.lineOf(from), readsAsNonString: !value },
      };
    }
    case 'QUOTE_DOUBLE':
    case 'QUOTE_SINGLE': {
      const inner = raw.slice(1, -1);
      if (value === undefined || inner !== value) return { why: 'is written with escapes or across lines' };
      return {
        spot: {
          start: from + 1,
          end: to - 1,
          style: scalar.type === 'QUOTE_DOUBLE' ? 'double' : 'single',
          text: inner,
          line: lines.lineOf(from),
          readsAsNonString: false,
        },
      };
    }
    case 'BLOCK_LITERAL':
    case 'BLOCK_FOLDED': {
      const text = (value ?? '').replace(/\r?\n$/, '');
      if (text === '' || /[\r\n]/.test(text)) return { why: 'is a block of several lines' };
      const header = raw.search(/\r?\n/);
      if (header < 0) return { why: 'is an empty block' };
      const at = raw.indexOf(text, header);
      if (at < 0 || raw.indexOf(text, at + 1) >= 0) return { why: 'is a block whose value cannot be located' };
      const start = from + at;
      return {
        spot: {
          start,
          end: start + text.length,
          style: 'block',
          text,
          line: lines.lineOf(start),
          readsAsNonString: false,
        },
      };
    }
    default:
      return { why: 'is not a plain value' };
  }
}

/** True when `text`, written as a plain scalar, reads back as exactly that string. */
export function safeAsPlain(text: string): boolean {
  if (text === '' || /[\r\n]/.test(text) || /[,[\]{}]/.test(text)) return false;
  try {
    return parseYaml(text) === text;
  } catch {
    return false;
  }
}

export interface Rewrite {
  start: number;
  end: number;
  /** bytes put between start and end */
  replacement: string;
  /** set when the scalar's style had to change so that the value keeps reading as a string */
  note?: string;
}

/**
 * The text that replaces `spot` so that YAML reads `value`, in the scalar's own style. A plain
 * scalar stays plain unless the new value would read as a number, boolean or null (a tag `1.10`),
 * in which case it is double-quoted: a tag read as the number 1.1 names another image.
 */
export function rewriteScalar(spot: ScalarSpot, value: string): Rewrite {
  switch (spot.style) {
    case 'plain':
      if (safeAsPlain(value)) return { start: spot.start, end: spot.end, replacement: value };
      return {
        start: spot.start,
        end: spot.end,
        replacement: JSON.stringify(value),
        note: `double-quoted: written plain, '${value}' would not read as a string`,
      };
    case 'double':
      return { start: spot.start, end: spot.end, replacement: JSON.stringify(value).slice(1, -1) };
    case 'single':
      return { start: spot.start, end: spot.end, replacement: value.replace(/'/g, "''") };
    case 'block':
      if (/[\r\n]/.test(value)) throw new Error('a block scalar value must stay on one line');
      return { start: spot.start, end: spot.end, replacement: value };
  }
}

/** Applies non-overlapping rewrites to the text; identical rewrites of one range count once. */
export function splice(source: string, rewrites: readonly Rewrite[]): string {
  const sorted = [...rewrites].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  let last: Rewrite | undefined;
  for (const r of sorted) {
    if (last && r.start === last.start && r.end === last.end) {
      if (r.replacement !== last.replacement) throw new Error(`two different values for offset ${r.start}`);
      continue;
    }
    if (r.start < at) throw new Error(`overlapping edits at offset ${r.start}`);
    out += source.slice(at, r.start) + r.replacement;
    at = r.end;
    last = r;
  }
  return out + source.slice(at);
}
