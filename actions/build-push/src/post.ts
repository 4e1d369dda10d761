// Post step of build-push: removes the secret files and the work folder if main could not
// (cancelled or killed). Reads state only, never inputs.
import { debug } from '#shared/action/log.js';
import { loadState } from '#shared/action/state.js';
import { rm } from 'node:fs/promises';

export const CLEANUP_STATE = 'cleanup';

export async function post(): Promise<void> {
  const paths = loadState<string[]>(CLEANUP_STATE) ?? [];
  for (const path of paths) {
    await rm(path, { recursive: true, force: true });
    debug(`removed ${path}`);
  }
}
