// What promotion does to each target tag, decided before anything is written: create it, move
// it, leave it (already on the digest), or refuse because the tag is immutable.
import { ConfigurationError } from '#shared/errors.js';
import type { ImmutableTags } from './inputs.js';
import { formatTarget, type Target } from './targets.js';

export type TargetAction = 'created' | 'moved' | 'unchanged';

export interface TargetDecision {
  target: Target;
  previous: string | null;
  action: TargetAction;
  /** true when the tag matched immutable-tags and was moved because of force */
  forced: boolean;
}

export function decideTarget(
  target: Target,
  previous: string | null,
  digest: string,
  immutable: ImmutableTags,
  force: boolean,
): TargetDecision {
  if (previous === null) return { target, previous, action: 'created', forced: false };
  if (previous === digest) return { target, previous, action: 'unchanged', forced: false };
  const isImmutable = immutable.matcher?.matches(target.tag) ?? false;
  if (isImmutable && !force) {
    throw new ConfigurationError(
      `${formatTarget(target)} already points to ${previous} and tag '${target.tag}' is immutable (matches ${immutable.patterns.join(', ')}); promoting ${digest} would move it. Promote to a new tag, or set force: true to move it anyway`,
      'immutable-tags',
    );
  }
  return { target, previous, action: 'moved', forced: isImmutable };
}

/** Decides every target first, so that one refused target stops the whole promotion before any write. */
export function decideTargets(
  targets: ReadonlyArray<{ target: Target; previous: string | null }>,
  digest: string,
  immutable: ImmutableTags,
  force: boolean,
): TargetDecision[] {
  const refused: string[] = [];
  const decisions: TargetDecision[] = [];
  for (const { target, previous } of targets) {
    try {
      decisions.push(decideTarget(target, previous, digest, immutable, force));
    } catch (err) {
      if (!(err instanceof ConfigurationError)) throw err;
      refused.push(err.message.replace(/^Input 'immutable-tags': /, ''));
    }
  }
  if (refused.length === 1) throw new ConfigurationError(refused[0] as string, 'immutable-tags');
  if (refused.length > 1) throw new ConfigurationError(refused.join('; '), 'immutable-tags');
  return decisions;
}
