// Build secrets as private files: a 0700 folder with one 0600 file per secret, handed to the
// builder by path so the value never appears on a command line, in the image, or in state.
import { existsSync } from 'node:fs';
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

export async function writeSecrets(
  secrets: Array<[string, string]>,
  secretFiles: Array<[string, string]>,
  env: NodeJS.ProcessEnv,
): Promise<SecretFiles> {
  const files: Array<[string, string]> = [];
  let dir = '';
  if (secrets.length) {
    dir = await mkdtemp(join(env.RUNNER_TEMP || tmpdir(), 'build-push-secrets-'));
    await chmod(dir, 0o700);
    for (const [n, [id, value]] of secrets.entries()) {
      const file = join(dir, `secret-${n}`);
      await writeFile(file, value, { mode: 0o600 });
      files.push([id, file]);
    }
  }
  for (const [id, path] of secretFiles) {
    const abs = resolve(env.GITHUB_WORKSPACE || process.cwd(), path);
    if (!existsSync(abs)) throw new ConfigurationError(`secret '${id}': file ${path} does not exist`, 'secret-files');
    files.push([id, abs]);
  }
  return { dir, files };
}

export async function removeSecrets(dir: string): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}
