// Parsers for the value formats inputs share (lists, durations, sizes, key=value lines).
// Pure functions: they throw ConfigurationError naming the input, so domain code can use them too.
import { ConfigurationError } from './errors.js';

/**
 * Splits a list given one item per line or comma-separated. Lines whose first non-blank
 * character is `#` are comments; a `#` inside a value is kept (`a#b`).
 */
export function parseList(text: string, options: { commas?: boolean } = {}): string[] {
  const commas = options.commas ?? true;
  const items: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim().startsWith('#')) continue;
    for (const part of commas ? splitOutsideQuotes(line, ',') : [line]) {
      const item = unquote(part.trim());
      if (item !== '') items.push(item);
    }
  }
  return items;
}

/** Splits on a separator that is not inside double quotes (so `"a,b",c` is two items). */
export function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (ch === separator && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

function unquote(text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
}

/** `key=value` lines (one per line, `#` comment lines); the value may contain `=`; order and duplicates kept. */
export function parseKeyValues(text: string, input: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const line of parseList(text, { commas: false })) {
    const eq = line.indexOf('=');
    if (eq <= 0) {
      throw new ConfigurationError(`'${line}' is not a key=value line (expected one key=value per line)`, input);
    }
    pairs.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return pairs;
}

const DURATION_UNITS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `30d`, `12h`, `90m`, `45s`, `2w`, or combinations such as `1d12h`; returns milliseconds. */
export function parseDuration(text: string, input: string): number {
  const value = text.trim().toLowerCase();
  const re = /(\d+(?:\.\d+)?)\s*(w|d|h|m|s)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
    matched = re.lastIndex;
  }
  if (value === '' || matched !== value.length) {
    throw new ConfigurationError(
      `'${text}' is not a duration (expected a number and a unit: s, m, h, d or w, such as 30d, 12h, 90m or 1d12h)`,
      input,
    );
  }
  return Math.round(total);
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  k: 1e3,
  m: 1e6,
  g: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** `200MB`, `1.5GiB`, `512k`, `1000` (bytes); decimal units are powers of 1000, binary (KiB...) of 1024. */
export function parseSize(text: string, input: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? (m[2] as string).toLowerCase() || 'b' : '';
  const factor = SIZE_UNITS[unit];
  if (!m || factor === undefined) {
    throw new ConfigurationError(
      `'${text}' is not a size (expected a number with an optional unit: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB, such as 200MB or 1.5GiB)`,
      input,
    );
  }
  return Math.round(Number(m[1]) * factor);
}

/** Formats a byte count for people: 1.5 GB, 230 MB, 12 kB, 512 B (decimal units, as registries report). */
export function formatSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let i = 0;
  while (Math.abs(value) >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return i === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1).replace(/\.?0+$/, '')} ${units[i]}`;
}
