// The seam to the `trivy` program: the exact command lines this project runs (one scan to JSON,
// then `trivy convert` for every other format), through an injected command runner.
import { type CommandRunner, runCommand } from '../exec.js';

export interface ScanOptions {
  /** `name@sha256:...` (or a tag); ignored when `input` is given */
  image?: string;
  /** OCI layout directory or `docker save` tarball */
  input?: string;
  /** where the JSON report goes */
  output: string;
  /** holds db/ and java-db/ (already unpacked: Trivy is told not to download them) */
  cacheDir: string;
  /** vuln, secret, misconfig, license */
  scanners: readonly string[];
  /** a .trivyignore or .trivyignore.yaml */
  ignoreFile?: string;
  /** e.g. linux/arm64 for one platform of an index */
  platform?: string;
  timeout?: string;
}

/**
 * The arguments of the one scan. Every severity and every status is asked for: the gate, counts
 * and ignore-unfixed are applied to the JSON afterwards, so the report and the SARIF made from
 * it are complete whatever the gate says.
 */
export function scanArgs(o: ScanOptions): string[] {
  const args = ['image', '--format', 'json', '--output', o.output, '--cache-dir', o.cacheDir];
  args.push('--skip-db-update', '--skip-java-db-update', '--skip-version-check');
  args.push('--scanners', o.scanners.join(','));
  args.push('--severity', 'UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL');
  args.push('--list-all-pkgs', '--exit-code', '0', '--quiet');
  if (o.ignoreFile) args.push('--ignorefile', o.ignoreFile);
  if (o.platform) args.push('--platform', o.platform);
  if (o.timeout) args.push('--timeout', o.timeout);
  if (o.input) args.push('--input', o.input);
  else if (o.image) args.push(o.image);
  return args;
}

/** `trivy convert`: another format from the same JSON report, without scanning again. */
export function convertArgs(format: string, output: string, report: string): string[] {
  return ['convert', '--format', format, '--output', output, '--quiet', report];
}

export class Trivy {
  constructor(
    readonly path: string,
    private readonly run: CommandRunner = runCommand,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** The version the program reports (`Version: 0.70.0`), or undefined when it says none. */
  async version(): Promise<string | undefined> {
    const r = await this.run(this.path, ['--version'], { env: this.env, description: 'trivy --version' });
    return /Version:\s*v?(\S+)/.exec(r.stdout)?.[1];
  }

  async scan(options: ScanOptions, timeoutMs?: number): Promise<void> {
    const what = options.input ?? options.image ?? '';
    await this.run(this.path, scanArgs(options), {
      env: this.env,
      timeoutMs,
      description: `trivy image ${what}`,
    });
  }

  async convert(format: string, output: string, report: string): Promise<void> {
    await this.run(this.path, convertArgs(format, output, report), {
      env: this.env,
      description: `trivy convert --format ${format}`,
    });
  }
}
