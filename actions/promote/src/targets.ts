// Turns the `source` and `targets` inputs into references: a bare tag means the source
// repository with that tag, a full reference another repository or registry.
import { ConfigurationError } from '#shared/errors.js';
import { formatReference, isValidTag, parseReference, type Reference } from '#shared/oci/reference.js';

/** A destination: always a repository and a tag (promotion writes tags, never bare digests). */
export interface Target {
  registry: string;
  repository: string;
  tag: string;
}

export function parseSource(text: string): Reference {
  const ref = parseReference(text, { input: 'source', defaultTag: false });
  if (!ref.tag && !ref.digest) {
    throw new ConfigurationError(
      `'${text}' names no tag or digest (expected image:tag or image@sha256:..., such as ghcr.io/org/app:1.4.0-rc.1)`,
      'source',
    );
  }
  return ref;
}

/** A bare tag (`staging`, `:staging`): no slash, no colon other than a leading one, no `@`. */
function bareTag(text: string): string | undefined {
  const t = text.startsWith(':') ? text.slice(1) : text;
  return /[/:@]/.test(t) ? undefined : t;
}

export function resolveTargets(source: Reference, texts: readonly string[]): Target[] {
  if (texts.length === 0) throw new ConfigurationError('is required and was not given', 'targets');
  const targets: Target[] = [];
  for (const text of texts) {
    const tag = bareTag(text);
    let target: Target;
    if (tag !== undefined) {
      if (!isValidTag(tag)) {
        throw new ConfigurationError(
          `'${text}' is not a valid tag (expected letters, digits, '_', '.' and '-', at most 128, not starting with '.' or '-') or a full reference such as ghcr.io/org/app:prod`,
          'targets',
        );
      }
      target = { registry: source.registry, repository: source.repository, tag };
    } else {
      const ref = parseReference(text, { input: 'targets', defaultTag: false });
      if (ref.digest) {
        throw new ConfigurationError(
          `'${text}' names a digest; a target is a tag or a repository with a tag (the digest always comes from source)`,
          'targets',
        );
      }
      const resolvedTag = ref.tag ?? source.tag;
      if (!resolvedTag) {
        throw new ConfigurationError(
          `'${text}' has no tag and the source is given by digest, so there is no tag to carry over (expected a reference with a tag, such as ${ref.registry}/${ref.repository}:prod)`,
          'targets',
        );
      }
      target = { registry: ref.registry, repository: ref.repository, tag: resolvedTag };
    }
    if (targets.some((t) => sameTarget(t, target))) {
      throw new ConfigurationError(`'${text}' names ${formatTarget(target)} twice`, 'targets');
    }
    targets.push(target);
  }
  return targets;
}

export function sameTarget(a: Target, b: Target): boolean {
  return a.registry === b.registry && a.repository === b.repository && a.tag === b.tag;
}

export function formatTarget(t: Target): string {
  return formatReference({ registry: t.registry, repository: t.repository, tag: t.tag });
}

/** How the graph reaches a target: re-tag in place, mount inside the registry, or stream across registries. */
export type Route = 'same-repository' | 'same-registry' | 'cross-registry';

export function routeOf(source: { registry: string; repository: string }, target: Target): Route {
  if (source.registry !== target.registry) return 'cross-registry';
  return source.repository === target.repository ? 'same-repository' : 'same-registry';
}

/** sync mode: a source repository mirrored to a target repository (neither names a tag or digest). */
export interface SyncPair {
  source: { registry: string; repository: string };
  target: { registry: string; repository: string };
}

function bareRepository(text: string, input: string): { registry: string; repository: string } {
  const ref = parseReference(text, { input, defaultTag: false });
  if (ref.tag || ref.digest) {
    throw new ConfigurationError(
      `'${text}' names a ${ref.digest ? 'digest' : 'tag'}; with sync-tags it must be a repository (such as ghcr.io/org/app): the tags come from sync-tags`,
      input,
    );
  }
  return { registry: ref.registry, repository: ref.repository };
}

/**
 * `source` a repository and `targets` one repository, or `source` empty and `targets` lines
 * `source-repository => target-repository` (several repositories in one step).
 */
export function resolveSyncPairs(sourceText: string | undefined, texts: readonly string[]): SyncPair[] {
  if (texts.length === 0) throw new ConfigurationError('is required and was not given', 'targets');
  const arrows = texts.filter((t) => t.includes('=>'));
  const pairs: SyncPair[] = [];
  if (arrows.length > 0) {
    if (sourceText !== undefined) {
      throw new ConfigurationError(
        'gives source => target lines and a source as well; give either source with one target repository, or only source => target lines',
        'targets',
      );
    }
    for (const line of texts) {
      const parts = line.split('=>').map((p) => p.trim());
      if (parts.length !== 2 || !parts[0] || !parts[1]) {
        throw new ConfigurationError(
          `'${line}' is not a 'source => target' line (expected such as ghcr.io/org/app => registry.example.com/mirror/app)`,
          'targets',
        );
      }
      pairs.push({ source: bareRepository(parts[0], 'targets'), target: bareRepository(parts[1], 'targets') });
    }
  } else {
    if (sourceText === undefined) {
      throw new ConfigurationError('is required with sync-tags unless targets holds source => target lines', 'source');
    }
    if (texts.length !== 1) {
      throw new ConfigurationError(
        `names ${texts.length} destinations; with sync-tags it is one repository, or source => target lines`,
        'targets',
      );
    }
    pairs.push({ source: bareRepository(sourceText, 'source'), target: bareRepository(texts[0]!, 'targets') });
  }
  for (const [i, p] of pairs.entries()) {
    const text = (r: { registry: string; repository: string }) => `${r.registry}/${r.repository}`;
    if (text(p.source) === text(p.target)) {
      throw new ConfigurationError(`mirrors ${text(p.source)} onto itself`, 'targets');
    }
    if (pairs.slice(0, i).some((q) => text(q.target) === text(p.target))) {
      throw new ConfigurationError(`names the target ${text(p.target)} twice`, 'targets');
    }
  }
  return pairs;
}
