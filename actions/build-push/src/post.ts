// Post step of build-push: removes the secret files and the work folder if main could not
// (cancelled or killed). Reads state only, never inputs; removes nothing but the folders main
// creates (`build-push-*` right in the runner's temporary folder), whatever the state says.
import { tmpdir } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { rm } from 'node:fs/promises';
import { debug, fmt, warning } from '#shared/action/log.js';
import { loadState } from '#shared/action/state.js';

export const CLEANUP_STATE = 'cleanup';

/** Whether `path` is a folder main may have created: `build-push-…` directly in the temporary folder. */
export function isOwnFolder(path: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const abs = resolve(path);
  return dirname(abs) === resolve(env.RUNNER_TEMP || tmpdir()) && /^build-push-[A-Za-z0-9_-]+$/.test(basename(abs));
}

export async function post(): Promise<void> {
  const paths = loadState<unknown>(CLEANUP_STATE);
  for (const path of Array.isArray(paths) ? paths : []) {
    if (typeof path !== 'string' || !isOwnFolder(path)) {
      warning(
        fmt`Left ${String(path)} alone: the clean-up only removes build-push folders in the runner's temporary folder`,
      );
      continue;
    }
    await rm(path, { recursive: true, force: true });
    debug(`removed ${path}`);
  }
}
