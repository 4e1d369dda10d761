// The single entry and error boundary of every action: picks main or post, and turns any
// error into one `::error::` line and exit code 1. The only place that fails a step.
import { ConfigurationError, OperationError } from '../errors.js';
import { debug } from './log.js';
import { issueCommand } from './protocol.js';
import { isPostPhase, markMainDone } from './state.js';

export type Step = () => Promise<void>;

/** One line for an error: a ConfigurationError as it is; anything else with what was being done. */
export function errorLine(err: unknown, phase: 'main' | 'post'): string {
  if (err instanceof ConfigurationError) return oneLine(err.message);
  if (err instanceof OperationError) return oneLine(withCause(err));
  const what = phase === 'post' ? 'Cleaning up in the post step failed' : 'The action failed unexpectedly';
  return oneLine(`${what}: ${err instanceof Error ? withCause(err) : String(err)}`);
}

function withCause(err: Error): string {
  const cause = err.cause instanceof Error ? err.cause.message : undefined;
  return cause && !err.message.includes(cause) ? `${err.message} (${cause})` : err.message;
}

function oneLine(text: string): string {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}

export async function run(main: Step, post?: Step): Promise<void> {
  const phase = post && isPostPhase() ? 'post' : 'main';
  if (phase === 'main' && post) markMainDone();
  try {
    await (phase === 'post' ? (post as Step) : main)();
  } catch (err) {
    if (!(err instanceof ConfigurationError) && err instanceof Error && err.stack) debug(err.stack);
    issueCommand('error', {}, errorLine(err, phase));
    process.exitCode = 1;
  }
}
