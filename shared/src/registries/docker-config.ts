// The docker CLI's config.json: where it lives, writing credentials into it atomically while
// leaving every other entry alone, and undoing exactly that write later. Docker, buildx,
// buildah, skopeo and our own registry client all read this file, so one login serves them all.
//
// Undo without secrets in step state: before writing, the original bytes and the entries we
// replace go to a backup file (mode 0600) in a private temporary directory; state only needs
// the returned LoginRecord (paths and key names).
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { OperationError } from '../errors.js';

export interface DockerAuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
  email?: string;
  [key: string]: unknown;
}

export interface DockerConfig {
  auths?: Record<string, DockerAuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

export interface Login {
  /** the `auths` key, e.g. `ghcr.io` or `https://index.docker.io/v1/` */
  key: string;
  username: string;
  password: string;
}

/** What the undo step needs; holds no secret, so it may go into step state. */
export interface LoginRecord {
  configFile: string;
  backupFile: string;
  keys: string[];
}

interface Backup {
  version: 1;
  configFile: string;
  /** the file's bytes before we wrote, base64; null when there was no file */
  original: string | null;
  originalMode: number | null;
  /** sha256 of the bytes we wrote, to see whether anybody touched the file since */
  writtenSha256: string;
  previous: Record<string, DockerAuthEntry | null>;
  ours: Record<string, DockerAuthEntry>;
}

export interface UndoResult {
  /** the file was put back exactly as it was found */
  restoredExactly: boolean;
  /** keys whose earlier entry came back */
  restored: string[];
  /** keys we added and removed again */
  removed: string[];
  /** keys another step changed after us; left as that step wrote them */
  keptChangedByOthers: string[];
}

/** `config-dir` input, else DOCKER_CONFIG, else ~/.docker (the docker CLI's own order). */
export function resolveConfigDir(configDir: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (configDir) return configDir.replace(/^~(?=$|\/)/, homedir());
  if (env.DOCKER_CONFIG) return env.DOCKER_CONFIG;
  return join(env.HOME || homedir(), '.docker');
}

export function configFilePath(configDir: string): string {
  return join(configDir, 'config.json');
}

export function encodeAuth(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
}

/** The auths entry the docker CLI writes for a basic login. */
export function authEntry(username: string, password: string): DockerAuthEntry {
  return { auth: encodeAuth(username, password) };
}

async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new OperationError(`reading the docker config ${file}`, (err as Error).message, { cause: err });
  }
}

export function parseConfig(bytes: Buffer | undefined, file: string): DockerConfig {
  if (!bytes || bytes.toString('utf8').trim() === '') return {};
  try {
    const value = JSON.parse(bytes.toString('utf8')) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
    return value as DockerConfig;
  } catch (err) {
    // The parser's message may quote file content, which can hold credentials.
    const why = err instanceof SyntaxError ? 'it is not valid JSON' : (err as Error).message;
    throw new OperationError(`reading the docker config ${file}`, `${why}; fix or remove the file`);
  }
}

export async function readConfig(configDir: string): Promise<DockerConfig> {
  const file = configFilePath(configDir);
  return parseConfig(await readIfExists(file), file);
}

/** Tab-indented like the docker CLI, so the file looks as if `docker login` had written it. */
export function serializeConfig(config: DockerConfig): Buffer {
  return Buffer.from(JSON.stringify(config, null, '\t'), 'utf8');
}

/**
 * Writes through a temporary file in the same directory and a rename, so a reader sees the old
 * or the new file, never half of one. The file is created 0600 (it holds credentials).
 */
export async function writeFileAtomic(file: string, bytes: Buffer, mode = 0o600): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temp = join(dirname(file), `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temp, mode);
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw new OperationError(`writing ${file}`, (err as Error).message, { cause: err });
  }
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function sameEntry(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

export interface WriteLoginsOptions {
  configDir: string;
  logins: Login[];
  /** a directory only this job reads (RUNNER_TEMP); the backup goes into a private folder there */
  backupDir: string;
}

/**
 * Merges the logins into config.json: our keys are set, everything else stays as it was. Returns
 * what `undoLogins` needs. The previous content is kept in a 0600 backup file, never returned.
 */
export async function writeLogins(options: WriteLoginsOptions): Promise<LoginRecord> {
  const configFile = configFilePath(options.configDir);
  const original = await readIfExists(configFile);
  const config = parseConfig(original, configFile);
  let originalMode: number | null = null;
  if (original) originalMode = (await stat(configFile)).mode & 0o7777;

  const auths: Record<string, DockerAuthEntry> = { ...(config.auths ?? {}) };
  const previous: Record<string, DockerAuthEntry | null> = {};
  const ours: Record<string, DockerAuthEntry> = {};
  for (const login of options.logins) {
    if (!(login.key in previous)) previous[login.key] = config.auths?.[login.key] ?? null;
    const entry = authEntry(login.username, login.password);
    auths[login.key] = entry;
    ours[login.key] = entry;
  }
  const written = serializeConfig({ ...config, auths });

  await mkdir(options.backupDir, { recursive: true });
  const backupFolder = await mkdtemp(join(options.backupDir, 'registry-login-'));
  await chmod(backupFolder, 0o700);
  const backupFile = join(backupFolder, 'backup.json');
  const backup: Backup = {
    version: 1,
    configFile,
    original: original ? original.toString('base64') : null,
    originalMode,
    writtenSha256: sha256(written),
    previous,
    ours,
  };
  await writeFileAtomic(backupFile, Buffer.from(JSON.stringify(backup)), 0o600);
  await writeFileAtomic(configFile, written, 0o600);
  return { configFile, backupFile, keys: Object.keys(ours) };
}

/**
 * Undoes `writeLogins`. When the file is still exactly what we wrote, the original bytes (and
 * mode) come back, or the file goes when there was none. When another step changed the file in
 * between, only our keys are undone and its changes stay.
 */
export async function undoLogins(record: LoginRecord): Promise<UndoResult> {
  const backupBytes = await readIfExists(record.backupFile);
  if (!backupBytes) {
    throw new OperationError(
      `restoring the docker config ${record.configFile}`,
      `the backup ${record.backupFile} is gone, so the credentials written by the main step were left in place`,
    );
  }
  const backup = JSON.parse(backupBytes.toString('utf8')) as Backup;
  const result: UndoResult = { restoredExactly: false, restored: [], removed: [], keptChangedByOthers: [] };
  const current = await readIfExists(record.configFile);

  if (current && sha256(current) === backup.writtenSha256) {
    if (backup.original === null) {
      await unlink(record.configFile);
    } else {
      await writeFileAtomic(record.configFile, Buffer.from(backup.original, 'base64'), backup.originalMode ?? 0o600);
    }
    result.restoredExactly = true;
    for (const key of record.keys) (backup.previous[key] ? result.restored : result.removed).push(key);
  } else if (current) {
    const config = parseConfig(current, record.configFile);
    const auths: Record<string, DockerAuthEntry> = { ...(config.auths ?? {}) };
    for (const key of record.keys) {
      if (!(key in auths) || !sameEntry(auths[key], backup.ours[key])) {
        if (key in auths) result.keptChangedByOthers.push(key);
        continue;
      }
      const before = backup.previous[key];
      if (before) {
        auths[key] = before;
        result.restored.push(key);
      } else {
        delete auths[key];
        result.removed.push(key);
      }
    }
    if (result.restored.length + result.removed.length > 0) {
      await writeFileAtomic(record.configFile, serializeConfig({ ...config, auths }), 0o600);
    }
  }
  await rm(dirname(record.backupFile), { recursive: true, force: true });
  return result;
}

/**
 * A Kubernetes `.dockerconfigjson` document (the data of a `kubernetes.io/dockerconfigjson`
 * image pull secret) for the logins, written 0600 to `file`.
 */
export async function writeDockerConfigJson(file: string, logins: Login[]): Promise<void> {
  const auths: Record<string, DockerAuthEntry> = {};
  for (const l of logins) {
    auths[l.key] = { username: l.username, password: l.password, auth: encodeAuth(l.username, l.password) };
  }
  await writeFileAtomic(file, Buffer.from(JSON.stringify({ auths })), 0o600);
}

/** Why the docker CLI may not use an `auths` entry for this key: a credential helper or store takes precedence. */
export function credentialOverride(config: DockerConfig, key: string): string | undefined {
  const helper = config.credHelpers?.[key];
  if (helper) return `credHelpers maps ${key} to docker-credential-${helper}`;
  if (config.credsStore) return `credsStore is set to docker-credential-${config.credsStore}`;
  return undefined;
}
