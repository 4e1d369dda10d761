// Logging for actions: log groups, annotations, masking, and the plain logger handed to domain code.
import * as core from '@actions/core';

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
}

export const info = (message: string): void => core.info(message);
export const warning = (message: string): void => core.warning(message);
export const debug = (message: string): void => core.debug(message);
export const isDebug = (): boolean => core.isDebug();

/** Masks a secret in every later log line; call it the moment a secret is read or derived. */
export function maskSecret(secret: string | undefined): void {
  if (!secret) return;
  core.setSecret(secret);
  // A multi-line secret (a JSON key, a PEM) is masked line by line by the runner too.
  for (const line of secret.split(/\r?\n/)) {
    if (line.trim().length >= 4 && line !== secret) core.setSecret(line.trim());
  }
}

export function group<T>(name: string, fn: () => Promise<T>): Promise<T> {
  return core.group(name, fn);
}

/** The logger domain code receives: it never imports @actions/core itself. */
export const actionLogger: Logger = { debug, info, warning };
