// A local mirror of Trivy's GitHub release downloads for tests: real-format archives
// (`trivy_<version>_Linux-64bit.tar.gz`, gzip'd tar with LICENSE and `trivy`, as Trivy publishes
// them) served at `<url>/v<version>/<asset>` on 127.0.0.1, for trivy-scan and sbom-sign, which
// install Trivy through the same shared installer.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The `trivy` program of one release: a file to copy, or a script's text. */
export type TrivyProgram = { file: string } | { script: string };

/** A gzip'd tar laid out as Trivy's release archives are. */
export function trivyReleaseArchive(program: TrivyProgram): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'trivy-release-'));
  if ('file' in program) copyFileSync(program.file, join(dir, 'trivy'));
  else writeFileSync(join(dir, 'trivy'), program.script);
  chmodSync(join(dir, 'trivy'), 0o755);
  writeFileSync(join(dir, 'LICENSE'), 'Apache License 2.0\n');
  execFileSync('tar', ['-czf', join(dir, 'release.tar.gz'), '-C', dir, 'LICENSE', 'trivy']);
  return readFileSync(join(dir, 'release.tar.gz'));
}

export interface ReleaseMirror {
  url: string;
  /** the served archive of a version */
  archive(version: string): Buffer;
  /** its SHA-256 in hex (what `trivy-checksum` takes) */
  sha256(version: string): string;
  /** request paths, in order */
  requests: string[];
  close(): Promise<void>;
}

/** Serves one Linux x64 archive per version; anything else is a 404. */
export async function startReleaseMirror(releases: Record<string, TrivyProgram>): Promise<ReleaseMirror> {
  const archives = new Map<string, Buffer>();
  const files = new Map<string, Buffer>();
  for (const [version, program] of Object.entries(releases)) {
    const archive = trivyReleaseArchive(program);
    archives.set(version, archive);
    files.set(`/v${version}/trivy_${version}_Linux-64bit.tar.gz`, archive);
  }
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const body = files.get(req.url ?? '');
    res.writeHead(body ? 200 : 404);
    res.end(body ?? 'Not Found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const archive = (version: string) => {
    const a = archives.get(version);
    if (!a) throw new Error(`no release ${version} on the mirror`);
    return a;
  };
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    archive,
    sha256: (version) => createHash('sha256').update(archive(version)).digest('hex'),
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
