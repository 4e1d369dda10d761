// Build secrets as private files: a 0700 folder with one 0600 file per secret, handed to the
// builder by path so the value never appears on a command line, in the image, or in state.
// Everything is checked before anything is written, and the folder is announced (for the post
// step's clean-up) before the first secret goes into it.
import { statSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigurationError } from '#shared/errors.js';

export interface SecretFiles {
  /** the private folder (empty string when there were no inline secrets) */
  dir: string;
  /** [id, path] for the builder */
  files: Array<[string, string]>;
}

/** `secret-files` with absolute paths; every file must exist and be a file. Writes nothing. */
export function resolveSecretFiles(
  secretFiles: Array<[string, string]>,
  env: NodeJS.ProcessEnv,
): Array<[string, string]> {
  return secretFiles.map(([id, path]) => {
    const abs = resolve(env.GITHUB_WORKSPACE || process.cwd(), path);
    let isFile = false;
    try {
      isFile = statSync(abs).isFile();
    } catch {
      throw new ConfigurationError(`secret '${id}': file ${path} does not exist`, 'secret-files');
    }
    if (!isFile) throw new ConfigurationError(`secret '${id}': ${path} is not a file`, 'secret-files');
    return [id, abs];
  });
}

/**
 * Writes the inline secrets. `secret-files` are checked first (nothing is written when one is
 * missing); `created` hears of the private folder before any secret is in it, so the caller can
 * record it for clean-up. A failure while writing removes the folder.
 */
export async function writeSecrets(
  secrets: Array<[string, string]>,
  secretFiles: Array<[string, string]>,
  env: NodeJS.ProcessEnv,
  created: (dir: string) => void = () => {},
): Promise<SecretFiles> {
  const files = resolveSecretFiles(secretFiles, env);
  if (!secrets.length) return { dir: '', files };
  const dir = await mkdtemp(join(env.RUNNER_TEMP || tmpdir(), 'build-push-secrets-'));
  try {
    created(dir);
    await chmod(dir, 0o700);
    const written: Array<[string, string]> = [];
    for (const [n, [id, value]] of secrets.entries()) {
      const file = join(dir, `secret-${n}`);
      await writeFile(file, value, { mode: 0o600 });
      written.push([id, file]);
    }
    return { dir, files: [...written, ...files] };
  } catch (err) {
    await removeSecrets(dir);
    throw err;
  }
}

export async function removeSecrets(dir: string): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}
