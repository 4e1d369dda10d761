// Logging for actions: log groups, annotations, masking, and the plain logger handed to domain code.
import { EOL } from 'node:os';
import { type CommandProperties, issueCommand } from './protocol.js';

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

export const info = (message: string): void => {
  process.stdout.write(`${message}${EOL}`);
};
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

/** The logger domain code receives: it never writes workflow commands itself. */
export const actionLogger: Logger = { debug, info, warning };
