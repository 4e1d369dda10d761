// Where tags and versions are listed and deleted: any OCI registry with deletes enabled, GitHub
// Packages (ghcr.io answers registry DELETE with 405; each manifest is a package version), and
// Docker Hub (tags deleted through the Hub API). The image graph is always read through the
// registry itself; only listing and deleting differ.
import type { RepositoryRef } from '#shared/oci/client.js';
import { limiter } from '#shared/oci/graph.js';
import { OperationError } from '#shared/errors.js';
import { GitHubApiError, type GitHubClient } from '#shared/github/client.js';
import type { DockerHubApi } from './dockerhub.js';
import type { DeleteOutcome, Inventory, PlannedDeletion, Provider, RegistryAccess } from './model.js';

export type { DeleteOutcome, Inventory, Provider, ProviderKind, RegistryAccess } from './model.js';

/** A listing that stayed incomplete when asked twice: what was listed cannot be trusted. */
export class IncompleteListingError extends OperationError {
  constructor(operation: string, detail: string, options?: { cause?: unknown }) {
    super(operation, detail, options);
    this.name = 'IncompleteListingError';
  }

  /** The same error, saying what was (not) done because of it. */
  consequence(text: string): IncompleteListingError {
    const detail = this.message.slice(this.operation.length + 2);
    return new IncompleteListingError(this.operation, `${detail}, so ${text}`, { cause: this.cause });
  }
}

function incomplete(err: unknown, when: string): IncompleteListingError {
  const operation = err instanceof OperationError ? err.operation : 'Listing tags';
  const message = err instanceof Error ? err.message : String(err);
  const detail = message.startsWith(`${operation}: `) ? message.slice(operation.length + 2) : message;
  return new IncompleteListingError(operation, `${detail} (${when})`, { cause: err });
}

function statusOf(err: unknown): number | undefined {
  const s = (err as { status?: unknown })?.status;
  return typeof s === 'number' ? s : undefined;
}

/** Any distribution-spec registry: tags listed and resolved by HEAD, deletes by digest. */
export class OciProvider implements Provider {
  readonly kind = 'oci' as const;
  readonly canUntag = true;
  readonly untagLimitation = '';
  constructor(
    readonly registry: RegistryAccess,
    private readonly concurrency = 16,
  ) {}

  /**
   * Every listed tag resolved by HEAD. A listing is data, never trusted complete: a tag that is
   * listed but answers 404, or a tag list whose later page answers 404, is asked once more (a
   * tag deleted meanwhile is no longer listed then); if it persists, no plan is made, since a
   * tag left out could be the kept tag of a digest that another tag would delete.
   */
  async inventory(repo: RepositoryRef): Promise<Inventory> {
    const limit = limiter(this.concurrency);
    const map = new Map<string, string>();
    for (let attempt = 1; ; attempt++) {
      let tags: string[];
      try {
        tags = await this.registry.listTags(repo);
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
        if (attempt === 1) continue;
        throw incomplete(err, 'also when listed again');
      }
      const listed = new Set(tags);
      for (const tag of [...map.keys()]) if (!listed.has(tag)) map.delete(tag);
      const missing: string[] = [];
      await Promise.all(
        tags
          .filter((tag) => !map.has(tag))
          .map((tag) =>
            limit(async () => {
              const desc = await this.registry.headManifest(repo, tag);
              if (desc) map.set(tag, desc.digest);
              else missing.push(tag);
            }),
          ),
      );
      if (missing.length === 0) break;
      if (attempt >= 2) {
        const [first] = missing.sort();
        throw new IncompleteListingError(
          `Listing the tags of ${repo.registry}/${repo.repository}`,
          `tag '${first}' is listed but its manifest answers 404${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ''}, also after listing the tags again: the registry's answers are incomplete`,
        );
      }
    }
    return { tags: new Map([...map].sort(([a], [b]) => a.localeCompare(b))) };
  }

  async untag(repo: RepositoryRef, tag: string) {
    const removed = await this.registry.deleteTag(repo, tag);
    return removed
      ? { removed: true as const }
      : {
          removed: false as const,
          why: 'the registry cannot remove a tag alone (distribution answers 400 to DELETE by tag), and deleting the digest would remove the kept tags too',
        };
  }

  async deleteManifest(repo: RepositoryRef, deletion: PlannedDeletion): Promise<DeleteOutcome> {
    const where = `${repo.registry}/${repo.repository}@${deletion.digest}`;
    try {
      await this.registry.deleteManifest(repo, deletion.digest);
      return { result: 'deleted' };
    } catch (err) {
      const status = statusOf(err);
      if (status === 404) {
        if ((await this.registry.headManifest(repo, deletion.digest)) === null) return { result: 'already-gone' };
        throw new OperationError(
          `Deleting ${where}`,
          'the registry answered 404 but the manifest is still there: the credentials most likely may read but not delete',
          { cause: err },
        );
      }
      if (status === 405) {
        throw new OperationError(
          `Deleting ${where}`,
          'the registry does not allow deletes (405): enable them (distribution: storage.delete.enabled: true), or use provider ghcr or dockerhub for those registries',
          { cause: err },
        );
      }
      throw err;
    }
  }
}

interface GhcrVersion {
  id: number;
  name: string;
  created_at?: string;
  updated_at?: string;
  metadata?: { package_type?: string; container?: { tags?: string[] } };
}

/** `ghcr.io/acme/api/worker` -> owner acme, package `api/worker`. */
export function ghcrPackage(repo: RepositoryRef): { owner: string; name: string } {
  const [owner, ...rest] = repo.repository.split('/');
  if (!owner || rest.length === 0) {
    throw new OperationError(`GitHub Packages ${repo.registry}/${repo.repository}`, 'expected <owner>/<package>');
  }
  return { owner, name: rest.join('/') };
}

/** GitHub Packages: every manifest is a package version; a tag cannot be removed without its version. */
export class GhcrProvider implements Provider {
  readonly kind = 'ghcr' as const;
  readonly canUntag = false;
  readonly untagLimitation =
    'GitHub Packages cannot remove one tag from a version without deleting the version, which carries a kept tag';
  private readonly bases = new Map<string, Promise<string>>();
  constructor(
    readonly registry: RegistryAccess,
    private readonly github: GitHubClient,
  ) {}

  /** `/orgs/{org}` or `/users/{user}` + the package path, decided by the owner's type. */
  private versionsPath(repo: RepositoryRef): Promise<string> {
    const { owner, name } = ghcrPackage(repo);
    const key = `${owner}/${name}`;
    let p = this.bases.get(key);
    if (!p) {
      p = this.github.request<{ type?: string }>('GET', `/users/${encodeURIComponent(owner)}`).then((res) => {
        const scope = res.data?.type === 'Organization' ? 'orgs' : 'users';
        return `/${scope}/${encodeURIComponent(owner)}/packages/container/${encodeURIComponent(name)}/versions`;
      });
      this.bases.set(key, p);
    }
    return p;
  }

  async inventory(repo: RepositoryRef): Promise<Inventory> {
    const path = await this.versionsPath(repo);
    let versions: GhcrVersion[];
    try {
      versions = await this.github.paginate<GhcrVersion>(path, { perPage: 100 });
    } catch (err) {
      if (err instanceof GitHubApiError && err.status === 404) {
        throw new OperationError(
          `Listing the versions of ${repo.registry}/${repo.repository}`,
          `GitHub answered 404 (${err.apiMessage ?? 'not found'}): the package does not exist, or the token cannot see it (it needs read:packages, and the workflow repository needs access to the package)`,
        );
      }
      throw err;
    }
    const tags = new Map<string, string>();
    const map = new Map<string, { id: number; created?: number }>();
    for (const v of versions) {
      const times = [v.created_at, v.updated_at]
        .map((t) => (t ? Date.parse(t) : Number.NaN))
        .filter((t) => !Number.isNaN(t));
      const entry: { id: number; created?: number } = { id: v.id };
      if (times.length > 0) entry.created = Math.max(...times);
      map.set(v.name, entry);
      for (const tag of v.metadata?.container?.tags ?? []) tags.set(tag, v.name);
    }
    return { tags, versions: map };
  }

  async untag(): Promise<{ removed: false; why: string }> {
    return { removed: false, why: this.untagLimitation };
  }

  async deleteManifest(repo: RepositoryRef, deletion: PlannedDeletion): Promise<DeleteOutcome> {
    if (deletion.versionId === undefined) {
      return { result: 'skipped', why: 'no package version of this manifest is listed, so GitHub cannot delete it' };
    }
    const path = `${await this.versionsPath(repo)}/${deletion.versionId}`;
    const res = await this.github.request('DELETE', path, { allow: [404] });
    if (res.status !== 404) return { result: 'deleted' };
    // 404 is ambiguous on GitHub: gone, or not allowed to delete. Only a re-read tells which.
    const again = await this.github.request('GET', path, { allow: [404] });
    if (again.status === 404) return { result: 'already-gone' };
    throw new OperationError(
      `Deleting version ${deletion.versionId} (${deletion.digest}) of ${repo.registry}/${repo.repository}`,
      'GitHub answered 404 to DELETE but the version is still listed: the token may read the package but not delete it. Give the workflow `permissions: packages: write` and grant this repository Admin access to the package (package settings > Manage Actions access), or use a token with delete:packages',
    );
  }
}

/** Docker Hub: tags listed and deleted through the Hub API; untagged manifests are the Hub's to remove. */
export class DockerHubProvider implements Provider {
  readonly kind = 'dockerhub' as const;
  readonly canUntag = true;
  readonly untagLimitation = '';
  private readonly tagsOf = new Map<string, string[]>();
  constructor(
    readonly registry: RegistryAccess,
    private readonly hub: DockerHubApi,
  ) {}

  async inventory(repo: RepositoryRef): Promise<Inventory> {
    const tags = new Map<string, string>();
    const tagPushed = new Map<string, number>();
    this.tagsOf.clear();
    for (const t of await this.hub.listTags(repo.repository)) {
      if (!t.digest) continue;
      tags.set(t.name, t.digest);
      const pushed = Date.parse(t.tag_last_pushed ?? t.last_updated ?? '');
      if (!Number.isNaN(pushed)) tagPushed.set(t.name, pushed);
      this.tagsOf.set(t.digest, [...(this.tagsOf.get(t.digest) ?? []), t.name]);
    }
    return { tags, tagPushed };
  }

  async untag(repo: RepositoryRef, tag: string) {
    await this.hub.deleteTag(repo.repository, tag);
    return { removed: true as const };
  }

  async deleteManifest(repo: RepositoryRef, deletion: PlannedDeletion): Promise<DeleteOutcome> {
    const tags = deletion.tags.length > 0 ? deletion.tags : (this.tagsOf.get(deletion.digest) ?? []);
    if (tags.length === 0) {
      return {
        result: 'skipped',
        why: 'untagged on Docker Hub: the Hub API deletes tags only; Docker Hub removes untagged manifests itself',
      };
    }
    let gone = 0;
    for (const tag of tags) if ((await this.hub.deleteTag(repo.repository, tag)) === 'already-gone') gone++;
    return { result: gone === tags.length ? 'already-gone' : 'deleted' };
  }
}
