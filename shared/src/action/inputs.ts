// Input helpers: every action reads its inputs through these, once, into one typed object.
// Each error names the input and says what would be accepted.
import { ConfigurationError } from '../errors.js';
import { parseDuration, parseKeyValues, parseList, parseSize } from '../parse.js';
import { readInput } from './protocol.js';

/** The input's value, trimmed; undefined when empty or not given. */
export function getInput(name: string): string | undefined {
  const value = readInput(name).trim();
  return value === '' ? undefined : value;
}

/** The input's value without trimming (for inputs where leading/trailing space matters); undefined when empty. */
export function getRawInput(name: string): string | undefined {
  const value = readInput(name);
  return value.trim() === '' ? undefined : value;
}

export function getRequiredInput(name: string): string {
  const value = getInput(name);
  if (value === undefined) throw new ConfigurationError('is required and was not given', name);
  return value;
}

export function getBooleanInput(name: string, defaultValue: boolean): boolean {
  const value = getInput(name);
  if (value === undefined) return defaultValue;
  if (/^true$/i.test(value)) return true;
  if (/^false$/i.test(value)) return false;
  throw new ConfigurationError(`'${value}' is not a boolean (expected true or false)`, name);
}

export function getIntegerInput(name: string, options: { default: number; min?: number; max?: number }): number;
export function getIntegerInput(name: string, options: { min?: number; max?: number }): number | undefined;
export function getIntegerInput(
  name: string,
  options: { default?: number; min?: number; max?: number },
): number | undefined {
  const value = getInput(name);
  if (value === undefined) return options.default;
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = options;
  const range =
    options.min !== undefined && options.max !== undefined
      ? `from ${min} to ${max}`
      : options.min !== undefined
        ? `of at least ${min}`
        : options.max !== undefined
          ? `of at most ${max}`
          : '';
  if (!/^[+-]?\d+$/.test(value)) {
    throw new ConfigurationError(`'${value}' is not a whole number (expected a whole number ${range})`.trimEnd(), name);
  }
  const n = Number(value);
  if (n < min || n > max)
    throw new ConfigurationError(`${value} is out of range (expected a whole number ${range})`, name);
  return n;
}

export function getEnumInput<T extends string>(name: string, allowed: readonly T[], defaultValue: T): T {
  const value = getInput(name);
  if (value === undefined) return defaultValue;
  const found = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
  if (found === undefined) {
    throw new ConfigurationError(`'${value}' is not accepted (expected one of: ${allowed.join(', ')})`, name);
  }
  return found;
}

/** A list given one item per line or comma-separated; `#` comment lines are skipped. */
export function getListInput(name: string): string[] {
  const value = getRawInput(name);
  return value === undefined ? [] : parseList(value);
}

/** A list of lines (commas kept inside each item); `#` comment lines are skipped. */
export function getLineListInput(name: string): string[] {
  const value = getRawInput(name);
  return value === undefined ? [] : parseList(value, { commas: false });
}

/** `key=value` lines, in order. */
export function getKeyValueInput(name: string): Array<[string, string]> {
  const value = getRawInput(name);
  return value === undefined ? [] : parseKeyValues(value, name);
}

/** Milliseconds, from `30d`, `12h`, `90m`... */
export function getDurationInput(name: string): number | undefined {
  const value = getInput(name);
  return value === undefined ? undefined : parseDuration(value, name);
}

/** Bytes, from `200MB`, `1.5GiB`... */
export function getSizeInput(name: string): number | undefined {
  const value = getInput(name);
  return value === undefined ? undefined : parseSize(value, name);
}

/**
 * A YAML (or JSON) document; errors say where the YAML is broken. The YAML parser is loaded only
 * when such an input is given, to keep it off every action's start-up.
 */
export async function getYamlInput(name: string): Promise<unknown> {
  const value = getRawInput(name);
  if (value === undefined) return undefined;
  const { parse: parseYaml } = await import('yaml');
  try {
    return parseYaml(value, { prettyErrors: false });
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new ConfigurationError(`is not valid YAML (${why})`, name);
  }
}
