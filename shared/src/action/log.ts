// Logging for actions: log groups, annotations, masking, and the plain logger handed to domain code.
// Nothing written here can start a workflow command the action did not mean: plain lines pass
// the protocol's plainLine rule, values interpolated with `fmt` are escaped (escapeValue), and
// blocks of foreign text run with commands stopped.
import {
  beginForeignText,
  type CommandProperties,
  endForeignText,
  escapeValue,
  issueCommand,
  writeForeignText,
  writePlain,
} from './protocol.js';

export { escapeValue };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
}

/** Where an annotation points: the runner shows it on that line of the file. */
export interface AnnotationPlace {
  file?: string;
  line?: number;
  endLine?: number;
  col?: number;
  /** the last column of the span (with `col`), as the runner's `endColumn` property */
  endColumn?: number;
  title?: string;
}

/** Plain log lines; a line of the message that would read as a workflow command is escaped. */
export const info = (message: string): void => writePlain(message);
export const warning = (message: string): void => issueCommand('warning', {}, message);
export const debug = (message: string): void => issueCommand('debug', {}, message);
export const isDebug = (): boolean => process.env.RUNNER_DEBUG === '1';

/** An `::error::` or `::warning::` annotation, optionally placed on a file and line. */
export function annotate(level: 'error' | 'warning' | 'notice', message: string, place: AnnotationPlace = {}): void {
  const properties: CommandProperties = {
    title: place.title,
    file: place.file,
    line: place.line,
    endLine: place.endLine,
    col: place.col,
    endColumn: place.endColumn,
  };
  issueCommand(level, properties, message);
}

/** Masks a secret in every later log line; call it the moment a secret is read or derived. */
export function maskSecret(secret: string | undefined): void {
  if (!secret) return;
  issueCommand('add-mask', {}, secret);
  // A multi-line secret (a JSON key, a PEM) is masked line by line by the runner too.
  for (const line of secret.split(/\r?\n/)) {
    if (line.trim().length >= 4 && line !== secret) issueCommand('add-mask', {}, line.trim());
  }
}

export async function group<T>(name: string, fn: () => Promise<T>): Promise<T> {
  issueCommand('group', {}, name);
  try {
    return await fn();
  } finally {
    issueCommand('endgroup', {}, '');
  }
}

/**
 * A log line with foreign values in it: each interpolated value is escaped by the one rule
 * (escapeValue), so a newline or `::` inside a registry string or an input stays visible text on
 * this line. Numbers and booleans are written as they are.
 */
export function fmt(strings: TemplateStringsArray, ...values: unknown[]): string {
  let out = strings[0] ?? '';
  for (const [i, value] of values.entries()) {
    out += typeof value === 'number' || typeof value === 'boolean' ? String(value) : escapeValue(String(value));
    out += strings[i + 1] ?? '';
  }
  return out;
}

/** Writes a block of foreign text (a tool's output, a file's lines) with workflow commands stopped. */
export function foreignText(text: string): void {
  beginForeignText();
  try {
    writeForeignText(text);
  } finally {
    endForeignText();
  }
}

/**
 * Runs `fn` with commands stopped, handing it a writer for foreign lines (streamed tool output).
 * Commands issued meanwhile (masks, warnings) still reach the runner.
 */
export async function withForeignText<T>(fn: (write: (text: string) => void) => Promise<T>): Promise<T> {
  beginForeignText();
  try {
    return await fn(writeForeignText);
  } finally {
    endForeignText();
  }
}

/** The logger domain code receives: it never writes workflow commands itself. */
export const actionLogger: Logger = { debug, info, warning };
