// State handed from the main step to the post step, as JSON. Never put a secret here: the
// runner stores state in plain files on the machine.
import { issueCommand, readState, writeFileCommand } from './protocol.js';

const POST_MARKER = 'isPost';

function save(key: string, text: string): void {
  if (!writeFileCommand('STATE', key, text)) issueCommand('save-state', { name: key }, text);
}

export function saveState(key: string, value: unknown): void {
  save(key, JSON.stringify(value));
}

export function loadState<T>(key: string): T | undefined {
  const text = readState(key);
  if (text === '') return undefined;
  return JSON.parse(text) as T;
}

/** True in the post phase: the main phase leaves a marker that the runner hands back as STATE_isPost. */
export function isPostPhase(): boolean {
  return readState(POST_MARKER) === 'true';
}

export function markMainDone(): void {
  save(POST_MARKER, 'true');
}
