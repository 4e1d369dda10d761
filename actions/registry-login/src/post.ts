// registry-login post step: takes back exactly the docker config entries the main step wrote
// (restoring the ones it replaced) and removes the pull-secret file. Reads state, never inputs.
import { rm } from 'node:fs/promises';
import { fmt, info } from '#shared/action/log.js';
import { loadState } from '#shared/action/state.js';
import { undoLogins } from '#shared/registries/docker-config.js';
import { type LoginState, STATE_KEY } from './main.js';

export async function post(): Promise<void> {
  const state = loadState<LoginState>(STATE_KEY);
  if (!state) {
    info('The main step wrote no credentials; nothing to clean up');
    return;
  }
  if (!state.logout) {
    info(fmt`logout is false: the credentials stay in ${state.record.configFile}`);
    return;
  }
  await rm(state.dockerConfigJsonDir, { recursive: true, force: true });
  const result = await undoLogins(state.record);
  if (result.restoredExactly) {
    info(fmt`${state.record.configFile} is back as it was before the login`);
  } else {
    if (result.removed.length) info(`Logged out of ${result.removed.join(', ')}`);
    if (result.restored.length) info(`Restored the earlier credentials of ${result.restored.join(', ')}`);
  }
  if (result.keptChangedByOthers.length) {
    info(`Left ${result.keptChangedByOthers.join(', ')} as a later step rewrote them`);
  }
}
