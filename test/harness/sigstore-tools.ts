// cosign and oras from Debian trixie (scripts/install-sigstore-tools.sh), the independent
// checkers of what sbom-sign writes and promote verifies. In CI a missing tool fails the test
// file; elsewhere the tests that need it are skipped with the install command in the name.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './run-action.js';

const run = promisify(execFile);
const dir = process.env.SIGSTORE_TOOLS_DIR ?? join(repoRoot, '.tools', 'sigstore');
export const cosignPath = join(dir, 'usr', 'bin', 'cosign');
export const orasPath = join(dir, 'usr', 'bin', 'oras');
export const haveCosign = existsSync(cosignPath);
export const haveOras = existsSync(orasPath);

if (process.env.CI === 'true' && (!haveCosign || !haveOras)) {
  throw new Error(`cosign or oras missing under ${dir}: run scripts/install-sigstore-tools.sh`);
}

/** Flags every cosign call against the plain-http test registries needs. */
const INSECURE = ['--allow-insecure-registry', '--allow-http-registry'];

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function tool(path: string, args: string[], env: Record<string, string> = {}): Promise<ToolResult> {
  try {
    const { stdout, stderr } = await run(path, args, {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      maxBuffer: 64 << 20,
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** `cosign <command> ...` with the insecure-registry flags (after the subcommand). */
export function cosign(command: string[], args: string[], env: Record<string, string> = {}): Promise<ToolResult> {
  return tool(cosignPath, [...command, ...INSECURE, ...args], env);
}

export function oras(args: string[]): Promise<ToolResult> {
  return tool(orasPath, args);
}
