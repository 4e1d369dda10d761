// State handed from the main step to the post step, as JSON. Never put a secret here: the
// runner stores state in plain files on the machine.
import * as core from '@actions/core';

const POST_MARKER = 'isPost';

export function saveState(key: string, value: unknown): void {
  core.saveState(key, JSON.stringify(value));
}

export function loadState<T>(key: string): T | undefined {
  const text = core.getState(key);
  if (text === '') return undefined;
  return JSON.parse(text) as T;
}

/** True in the post phase: the main phase leaves a marker that the runner hands back as STATE_isPost. */
export function isPostPhase(): boolean {
  return core.getState(POST_MARKER) === 'true';
}

export function markMainDone(): void {
  core.saveState(POST_MARKER, 'true');
}
