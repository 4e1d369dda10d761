// Folders kept across jobs in the Actions cache, through @actions/cache. The package (and the
// HTTP stack it brings) is imported only on the path that caches, so a run that does not cache
// starts as fast as before.

export interface FolderCache {
  /** true when `key` was found and the folders were restored */
  restore(paths: string[], key: string): Promise<boolean>;
  /** false when the cache service did not take it (the key exists already, or it failed) */
  save(paths: string[], key: string): Promise<boolean>;
}

/** Whether the runner handed this job a cache service (v2 on github.com, v1 on older servers). */
export function cacheServiceAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  if (!env.ACTIONS_RUNTIME_TOKEN) return false;
  return env.ACTIONS_CACHE_SERVICE_V2
    ? Boolean(env.ACTIONS_RESULTS_URL)
    : Boolean(env.ACTIONS_CACHE_URL || env.ACTIONS_RESULTS_URL);
}

/** The Actions cache, or undefined outside a runner that offers one. */
export function actionsCache(
  logger: { debug(msg: string): void; warning(msg: string): void },
  env: NodeJS.ProcessEnv = process.env,
): FolderCache | undefined {
  if (!cacheServiceAvailable(env)) return undefined;
  let loaded: Promise<typeof import('@actions/cache')> | undefined;
  const load = () => {
    loaded ??= import('@actions/cache');
    return loaded;
  };
  return {
    async restore(paths, key) {
      const cache = await load();
      try {
        const hit = await cache.restoreCache(paths, key, [], {}, false);
        logger.debug(`cache ${key}: ${hit ? 'restored' : 'not found'}`);
        return hit === key;
      } catch (err) {
        logger.warning(`Restoring the cache ${key} failed: ${err instanceof Error ? err.message : String(err)}`);
        return false;
      }
    },
    async save(paths, key) {
      const cache = await load();
      try {
        const id = await cache.saveCache(paths, key, {}, false);
        logger.debug(`cache ${key}: ${id !== -1 ? `saved (id ${id})` : 'not saved'}`);
        return id !== -1;
      } catch (err) {
        // an entry saved by a parallel job under the same key is not a failure
        const message = err instanceof Error ? err.message : String(err);
        if (/already exists|another job may be creating/i.test(message)) return false;
        logger.warning(`Saving the cache ${key} failed: ${message}`);
        return false;
      }
    },
  };
}
