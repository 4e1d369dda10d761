// The `{{...}}` expressions of docker/metadata-action's rule syntax, without Handlebars:
// `{{name}}` and `{{name 'argument' key='value'}}`, plus moment-style date formats with an
// optional IANA time zone. Unknown names and malformed expressions are errors for the caller
// to attach to the input line they came from.

export type Helper = (args: string[], hash: Record<string, string>) => string;
export type Helpers = Record<string, Helper | string>;

export class TemplateError extends Error {
  override name = 'TemplateError';
}

const EXPRESSION = /\{\{\s*([^{}]*?)\s*\}\}/g;
const TOKEN = /\s*(?:([A-Za-z_][\w-]*)=)?(?:'([^']*)'|"([^"]*)"|([^\s'"=]+))/y;

/** The names an expression text uses (`{{major}}.{{minor}}` → ['major', 'minor']). */
export function expressionNames(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(EXPRESSION)) {
    const name = (m[1] ?? '').split(/\s+/)[0];
    if (name) names.push(name);
  }
  return names;
}

export function hasExpression(text: string): boolean {
  return /\{\{/.test(text);
}

function parseExpression(body: string): { name: string; args: string[]; hash: Record<string, string> } {
  const args: string[] = [];
  const hash: Record<string, string> = {};
  let name: string | undefined;
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < body.length) {
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(body);
    if (!m) throw new TemplateError(`cannot read '{{${body}}}'`);
    pos = TOKEN.lastIndex;
    const [, key, single, double, bare] = m;
    const value = single ?? double ?? bare ?? '';
    if (name === undefined) {
      if (key !== undefined || bare === undefined) throw new TemplateError(`'{{${body}}}' does not start with a name`);
      name = value;
    } else if (key !== undefined) {
      hash[key] = value;
    } else {
      args.push(value);
    }
    while (pos < body.length && /\s/.test(body[pos] as string)) pos++;
  }
  if (name === undefined) throw new TemplateError("'{{}}' is empty");
  return { name, args, hash };
}

/** Replaces every expression in `text`; text outside expressions is kept as it is. */
export function render(text: string, helpers: Helpers): string {
  if (text.includes('{{') && !/\{\{[^{}]*\}\}/.test(text)) throw new TemplateError(`'${text}' has an unclosed '{{'`);
  return text.replace(EXPRESSION, (_all, body: string) => {
    const { name, args, hash } = parseExpression(body);
    const helper = helpers[name];
    if (helper === undefined) {
      throw new TemplateError(`'{{${body}}}' is unknown (known: ${Object.keys(helpers).join(', ')})`);
    }
    return typeof helper === 'string' ? helper : helper(args, hash);
  });
}

/** A date helper: `{{date 'YYYYMMDD'}}`, `{{date 'YYYYMMDD-HHmm' tz='Europe/Paris'}}`. */
export function dateHelper(date: Date): Helper {
  return (args, hash) => {
    for (const key of Object.keys(hash)) {
      if (key !== 'tz') throw new TemplateError(`the date attribute '${key}' is unknown (known: tz)`);
    }
    if (args.length !== 1) throw new TemplateError("a date expression takes one format, such as {{date 'YYYYMMDD'}}");
    return formatDate(date, args[0] as string, hash.tz ?? 'UTC');
  };
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  /** minutes east of UTC */
  offset: number;
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(date: Date, timeZone: string): WallClock {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') {
    return {
      year: date.getUTCFullYear(),
      month: date.getUTCMonth() + 1,
      day: date.getUTCDate(),
      hour: date.getUTCHours(),
      minute: date.getUTCMinutes(),
      second: date.getUTCSeconds(),
      millisecond: date.getUTCMilliseconds(),
      offset: 0,
      weekday: date.getUTCDay(),
    };
  }
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new TemplateError(`'${timeZone}' is not a time zone (expected an IANA name such as Europe/Paris, or UTC)`);
    }
    formatters.set(timeZone, formatter);
  }
  const parts: Record<string, number> = {};
  for (const p of formatter.formatToParts(date)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const ms = date.getUTCMilliseconds();
  const asUtc = Date.UTC(
    parts.year as number,
    (parts.month as number) - 1,
    parts.day as number,
    parts.hour as number,
    parts.minute as number,
    parts.second as number,
    ms,
  );
  return {
    year: parts.year as number,
    month: parts.month as number,
    day: parts.day as number,
    hour: parts.hour as number,
    minute: parts.minute as number,
    second: parts.second as number,
    millisecond: ms,
    offset: Math.round((asUtc - date.getTime()) / 60_000),
    weekday: new Date(asUtc).getUTCDay(),
  };
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function offsetText(minutes: number, colon: boolean): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${colon ? ':' : ''}${pad(abs % 60)}`;
}

const DATE_TOKENS =
  /\[([^\]]*)\]|YYYY|YY|MMMM|MMM|MM|M|DDDD|DDD|DD|D|dddd|ddd|d|HH|H|hh|h|mm|m|ss|s|SSS|SS|S|A|a|ZZ|Z|X|x|Q|E/g;
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Formats a date with moment.js tokens (`YYYYMMDD-HHmmss`, `[literal]` kept as it is). */
export function formatDate(date: Date, format: string, timeZone = 'UTC'): string {
  const w = wallClock(date, timeZone);
  const dayOfYear = Math.floor((Date.UTC(w.year, w.month - 1, w.day) - Date.UTC(w.year, 0, 1)) / 86_400_000) + 1;
  const hour12 = w.hour % 12 === 0 ? 12 : w.hour % 12;
  return format.replace(DATE_TOKENS, (token, literal: string | undefined) => {
    if (literal !== undefined) return literal;
    switch (token) {
      case 'YYYY':
        return pad(w.year, 4);
      case 'YY':
        return pad(w.year % 100);
      case 'MMMM':
        return MONTHS[w.month - 1] as string;
      case 'MMM':
        return (MONTHS[w.month - 1] as string).slice(0, 3);
      case 'MM':
        return pad(w.month);
      case 'M':
        return String(w.month);
      case 'DDDD':
        return pad(dayOfYear, 3);
      case 'DDD':
        return String(dayOfYear);
      case 'DD':
        return pad(w.day);
      case 'D':
        return String(w.day);
      case 'dddd':
        return DAYS[w.weekday] as string;
      case 'ddd':
        return (DAYS[w.weekday] as string).slice(0, 3);
      case 'd':
        return String(w.weekday);
      case 'E':
        return String(w.weekday === 0 ? 7 : w.weekday);
      case 'Q':
        return String(Math.floor((w.month - 1) / 3) + 1);
      case 'HH':
        return pad(w.hour);
      case 'H':
        return String(w.hour);
      case 'hh':
        return pad(hour12);
      case 'h':
        return String(hour12);
      case 'mm':
        return pad(w.minute);
      case 'm':
        return String(w.minute);
      case 'ss':
        return pad(w.second);
      case 's':
        return String(w.second);
      case 'SSS':
        return pad(w.millisecond, 3);
      case 'SS':
        return pad(Math.floor(w.millisecond / 10));
      case 'S':
        return String(Math.floor(w.millisecond / 100));
      case 'A':
        return w.hour < 12 ? 'AM' : 'PM';
      case 'a':
        return w.hour < 12 ? 'am' : 'pm';
      case 'ZZ':
        return offsetText(w.offset, false);
      case 'Z':
        return offsetText(w.offset, true);
      case 'X':
        return String(Math.floor(date.getTime() / 1000));
      case 'x':
        return String(date.getTime());
      default:
        return token;
    }
  });
}
