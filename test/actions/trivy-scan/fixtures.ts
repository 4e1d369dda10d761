// Runs of the trivy-scan bundle for the tests that need one: a stand-in trivy (trivy-path) that
// writes a recorded report, and the Trivy database pushed with Trivy's media types to a test
// registry, fetched by the action's own registry client.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunOptions, type RunResult, runAction } from '../../harness/run-action.js';
import { type PushedDb, pushDb } from '../../shared/trivy/db-artifact.js';

/** Recorded Trivy reports of real images. */
export const trivyReports = join(import.meta.dirname, '../../../../shared/fixtures/trivy');
export const standInTrivy = join(import.meta.dirname, '../../fixtures/trivy/stand-in-trivy.mjs');
/** The digest scanned by default: any will do, the stand-in does not read the image. */
export const IMAGE_DIGEST = `sha256:${'ab'.repeat(32)}`;
/** Where `pushScanDb` puts the vulnerability database on a registry. */
export const DB_REPOSITORY = 'aquasecurity/trivy-db';

/** The vulnerability database (64 KiB) as `<host>/aquasecurity/trivy-db:2`. */
export function pushScanDb(registryHost: string): Promise<PushedDb> {
  return pushDb(registryHost, DB_REPOSITORY, '2', 'db', 64 * 1024, 'scan');
}

export interface Scan {
  inputs?: Record<string, string>;
  /** the recorded report (a file in trivyReports) the stand-in writes */
  report?: string;
  /** the stand-in's failure mode: truncated, log-lines or crash */
  mode?: string;
  env?: Record<string, string>;
}

export interface ScanResult extends RunResult {
  /** every command line the stand-in trivy was run with */
  argv: string[][];
  /** the temporary folder of this scan (its cache-dir is `cache` in it) */
  tmp: string;
}

/**
 * The run options to scan `<host>/acme/api@IMAGE_DIGEST` through the bundle with the stand-in
 * trivy, the database pushed by `pushScanDb` to `registryHost`, no Java database and a fresh
 * cache-dir; `log` is where the stand-in records its command lines, `tmp` the scan's own folder.
 */
export function scanRun(
  registryHost: string,
  { inputs = {}, report = 'FuelTime-1.json', mode, env = {} }: Scan = {},
): { options: RunOptions; log: string; tmp: string } {
  const tmp = mkdtempSync(join(tmpdir(), 'trivy-scan-test-'));
  const log = join(tmp, 'argv.log');
  const options: RunOptions = {
    inputs: {
      image: `${registryHost}/acme/api@${IMAGE_DIGEST}`,
      'trivy-path': standInTrivy,
      'db-repository': `${registryHost}/${DB_REPOSITORY}:2`,
      'java-db-repository': '',
      'cache-dir': join(tmp, 'cache'),
      ...inputs,
    },
    env: {
      STANDIN_TRIVY_LOG: log,
      STANDIN_TRIVY_REPORT: join(trivyReports, report),
      ...(mode ? { STANDIN_TRIVY_MODE: mode } : {}),
      ...env,
    },
  };
  return { options, log, tmp };
}

/** Runs the scan `scanRun` describes and reads back the stand-in's command lines. */
export async function scanWithStandIn(registryHost: string, scan: Scan = {}): Promise<ScanResult> {
  const { options, log, tmp } = scanRun(registryHost, scan);
  const result = await runAction('trivy-scan', options);
  const argv = existsSync(log)
    ? readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as string[])
    : [];
  return { ...result, argv, tmp };
}
