// trivy-scan: one Trivy run to JSON, the gate computed here from that JSON, SARIF and other
// formats from the same JSON with `trivy convert`. The databases are fetched with our registry
// client and cached right after download; outputs and the summary are written before the gate
// decides, so a failing gate still hands its counts to later steps.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { actionLogger, annotate, group, info, maskSecret, warning } from '#shared/action/log.js';
import { setOutput } from '#shared/action/outputs.js';
import { writeSummary } from '#shared/action/summary.js';
import { artifactUploader } from '#shared/artifacts/upload.js';
import { actionsCache, type FolderCache } from '#shared/cache/actions-cache.js';
import { OperationError } from '#shared/errors.js';
import { RegistryClient } from '#shared/oci/client.js';
import { dockerConfigCredentials } from '#shared/oci/credentials.js';
import { formatReference, type Reference } from '#shared/oci/reference.js';
import { resolveConfigDir } from '#shared/registries/docker-config.js';
import {
  type DbKind,
  dbUpdatedAt,
  downloadDb,
  installedDbDigest,
  type MirrorClients,
  resolveDb,
  TRIVY_DB,
  TRIVY_JAVA_DB,
} from '#shared/trivy/db.js';
import { resolveTrivyExecutable } from '#shared/trivy/install.js';
import { parseTrivyReport, type TrivyReport, TrivyReportError } from '#shared/trivy/report.js';
import { Trivy } from '#shared/trivy/trivy.js';
import { evaluateGate } from './gate.js';
import { EXTRA_FORMATS, readInputs, type TrivyScanInputs } from './inputs.js';
import { verdictLine, writeScanSummary } from './summary.js';

const logger = actionLogger;

/** Resolves, restores or downloads one database; returns its manifest digest. */
async function fetchDb(
  clients: MirrorClients,
  sources: Reference[],
  kind: DbKind,
  cacheDir: string,
  cache: FolderCache | undefined,
): Promise<string> {
  const resolved = await resolveDb(clients, sources, kind, logger);
  const source = formatReference({ ...resolved.source, tag: undefined, digest: resolved.digest });
  if ((await installedDbDigest(cacheDir, kind)) === resolved.digest) {
    info(`Trivy ${kind.label}: ${source} is already in ${cacheDir}`);
    return resolved.digest;
  }
  const dir = join(cacheDir, kind.folder);
  const key = `trivy-${kind.folder}-${resolved.digest}`;
  if (cache && (await cache.restore([dir], key)) && (await installedDbDigest(cacheDir, kind)) === resolved.digest) {
    info(`Trivy ${kind.label}: ${source} restored from the Actions cache`);
    return resolved.digest;
  }
  info(`Trivy ${kind.label}: downloading ${source} (${resolved.layer.size} bytes)`);
  await downloadDb(clients, sources, resolved, cacheDir, kind, logger);
  // saved now, before the scan and the gate: a failing gate must not lose the download
  if (cache && (await cache.save([dir], key))) info(`Trivy ${kind.label}: saved in the Actions cache as ${key}`);
  return resolved.digest;
}

async function ignoreFile(inputs: TrivyScanInputs, workDir: string): Promise<string | undefined> {
  if (inputs.trivyignore.length === 0) return undefined;
  for (const f of inputs.trivyignore) {
    if (!existsSync(f)) throw new OperationError('reading trivyignore', `${f} does not exist`);
  }
  if (inputs.trivyignore.length === 1) return inputs.trivyignore[0];
  const joined = await Promise.all(inputs.trivyignore.map((f) => readFile(f, 'utf8')));
  const file = join(workDir, 'trivyignore');
  await writeFile(file, joined.map((t) => (t.endsWith('\n') ? t : `${t}\n`)).join(''));
  return file;
}

export async function main(): Promise<void> {
  const env = process.env;
  const inputs = readInputs(env);
  const now = new Date();
  const needsCache = inputs.cacheDb || !inputs.trivyPath;
  const cache = needsCache ? actionsCache(logger, env) : undefined;
  const configDir = resolveConfigDir(inputs.configDir, env);
  const credentials = dockerConfigCredentials({ configDir, env });
  const client = new RegistryClient({
    credentials,
    maskSecret,
    logger,
    userAgent: 'container-image-actions/trivy-scan',
  });
  // for a mirror with another behind it: one retry, then the next mirror
  const early = new RegistryClient({
    credentials,
    maskSecret,
    logger,
    userAgent: 'container-image-actions/trivy-scan',
    retry: { retries: 1, maxDelayMs: 2000 },
  });
  const clients: MirrorClients = { last: client, early };
  try {
    const trivyPath = await group('Trivy', () =>
      resolveTrivyExecutable(
        {
          path: inputs.trivyPath,
          version: inputs.trivyVersion,
          downloadUrl: inputs.trivyDownloadUrl,
          checksum: inputs.trivyChecksum,
        },
        { env, cache, logger },
      ),
    );
    const trivy = new Trivy(trivyPath, undefined, { ...env, DOCKER_CONFIG: configDir });
    const version = await trivy.version();
    info(`Using ${trivyPath}${version ? ` (Trivy ${version})` : ''}`);

    let scanned: string;
    let digest = '';
    if (inputs.image) {
      const ref = inputs.image;
      digest = ref.digest ?? '';
      if (!digest) {
        const head = await client.headManifest(ref, ref.tag ?? 'latest');
        if (!head) throw new OperationError(`resolving ${inputs.imageText}`, 'the registry has no such tag');
        digest = head.digest;
        info(`${formatReference(ref)} is ${digest}`);
      }
      scanned = formatReference({ ...ref, tag: undefined, digest });
    } else {
      scanned = inputs.input as string;
    }

    const dbDigest = await group('Trivy databases', async () => {
      const cacheDb = inputs.cacheDb ? cache : undefined;
      const main = await fetchDb(clients, inputs.dbRepositories, TRIVY_DB, inputs.cacheDir, cacheDb);
      if (inputs.javaDbRepositories.length > 0) {
        await fetchDb(clients, inputs.javaDbRepositories, TRIVY_JAVA_DB, inputs.cacheDir, cacheDb);
      }
      return main;
    });

    const workDir = dirname(inputs.report);
    await mkdir(workDir, { recursive: true });
    await rm(inputs.report, { force: true });
    const scanners = ['vuln', 'secret', ...(inputs.limits.misconfigurations !== undefined ? ['misconfig'] : [])];
    const ignore = await ignoreFile(inputs, workDir);
    await group(`Scanning ${scanned}`, () =>
      trivy.scan({
        image: inputs.image ? scanned : undefined,
        input: inputs.input,
        output: inputs.report,
        cacheDir: inputs.cacheDir,
        scanners,
        platform: inputs.platform,
        timeout: inputs.timeout,
        ignoreFile: ignore,
      }),
    );
    let report: TrivyReport;
    try {
      const text = await readFile(inputs.report, 'utf8').catch(() => {
        throw new TrivyReportError(inputs.report, 'was not written (Trivy exited without writing its report)');
      });
      report = parseTrivyReport(text, inputs.report);
    } catch (err) {
      throw err instanceof TrivyReportError ? new OperationError(`scanning ${scanned}`, err.message) : err;
    }
    if (!inputs.image && report.repoDigests[0]?.includes('@')) digest = report.repoDigests[0].split('@')[1] as string;

    const files = [inputs.report];
    if (inputs.sarif) {
      await mkdir(dirname(inputs.sarif), { recursive: true });
      await trivy.convert('sarif', inputs.sarif, inputs.report);
      files.push(inputs.sarif);
    }
    for (const format of inputs.formatExtra) {
      const out = join(
        workDir,
        `${inputs.report.replace(/^.*\//, '').replace(/\.json$/, '')}.${EXTRA_FORMATS[format]}`,
      );
      await trivy.convert(format, out, inputs.report);
      files.push(out);
    }

    const gate = evaluateGate(report, {
      severities: inputs.severities,
      limits: inputs.limits,
      ignoreUnfixed: inputs.ignoreUnfixed,
      exemptions: inputs.exemptions,
      now,
    });
    setOutput('critical', gate.counts.CRITICAL);
    setOutput('high', gate.counts.HIGH);
    setOutput('medium', gate.counts.MEDIUM);
    setOutput('low', gate.counts.LOW);
    setOutput('unknown', gate.counts.UNKNOWN);
    setOutput('passed', gate.passed);
    setOutput(
      'exempted',
      [
        ...gate.exempted.map((e) => ({ ...e, expired: false })),
        ...gate.expired.map((e) => ({ ...e, expired: true })),
      ].map(({ exemption, findings, expired }) => ({
        id: exemption.id,
        pkg: exemption.pkg ?? null,
        until: exemption.until ?? null,
        reason: exemption.reason ?? null,
        expired,
        findings,
      })),
    );
    setOutput('report', inputs.report);
    setOutput('sarif', inputs.sarif ?? '');
    setOutput('digest', digest);
    setOutput('db-digest', dbDigest);

    for (const e of gate.expired) {
      warning(
        `Exemption '${e.exemption.line}' expired on ${e.exemption.until}: it no longer exempts anything (${e.findings} finding(s) now count)`,
      );
    }
    if (report.os?.eosl) {
      annotate(
        inputs.failOnEosl ? 'error' : 'warning',
        `${report.os.family} ${report.os.name} in ${scanned} has reached its end of support and gets no more security fixes`,
        { title: 'End-of-support OS' },
      );
    }
    writeScanSummary({
      scanned,
      report,
      gate,
      limits: inputs.limits,
      policy: inputs.policy,
      dbUpdatedAt: await dbUpdatedAt(inputs.cacheDir, TRIVY_DB),
      now,
    });

    if (inputs.uploadArtifact) {
      const result = await artifactUploader(env).upload(inputs.artifactName, files, commonDir(files));
      info(result.note);
    }
    await writeSummary();

    const verdict = verdictLine(gate, inputs.limits, inputs.policy);
    info(`${scanned}: ${verdict}`);
    if (!gate.passed && inputs.policy === 'warn') warning(verdict);
    if (!gate.passed && inputs.policy === 'block') throw new OperationError(`scanning ${scanned}`, verdict);
    if (report.os?.eosl && inputs.failOnEosl) {
      throw new OperationError(
        `scanning ${scanned}`,
        `${report.os.family} ${report.os.name} has reached its end of support (fail-on-eosl)`,
      );
    }
  } finally {
    await client.close();
    await early.close();
  }
}

/** The deepest folder holding every file (the artifact's root). */
export function commonDir(files: readonly string[]): string {
  const parts = files.map((f) => dirname(f).split(sep));
  const first = parts[0] ?? [];
  let n = 0;
  while (n < first.length && parts.every((p) => p[n] === first[n])) n++;
  return first.slice(0, n).join(sep) || sep;
}
