// The one workflow-artifact uploader of the suite (retention-cleanup's plan, trivy-scan's
// reports, sbom-sign's SBOM and bundles). @actions/artifact is imported only when the runner
// handed this job the artifact service and the server is one it supports (github.com, GHE.com);
// on GHES and outside Actions the files stay where they are, and the returned note says how to
// upload them with actions/upload-artifact.
import { basename } from 'node:path';

export interface ArtifactResult {
  uploaded: boolean;
  /** artifact ID when uploaded */
  id?: number;
  size?: number;
  /** `sha256:<hex>` of the uploaded zip */
  digest?: string;
  /** one line for the summary or the log */
  note: string;
}

export interface ArtifactUploader {
  /** uploads the files under one artifact name; `rootDir` is what paths inside the zip are relative to */
  upload(name: string, files: string[], rootDir: string): Promise<ArtifactResult>;
}

export class ArtifactUploadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ArtifactUploadError';
  }
}

/** Why artifacts cannot be uploaded from this job, or undefined when they can. */
export function artifactServiceMissing(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!env.ACTIONS_RUNTIME_TOKEN || !env.ACTIONS_RESULTS_URL) {
    return 'the artifact service is not available to this process (ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL are not set)';
  }
  let host: string;
  try {
    host = new URL(env.GITHUB_SERVER_URL || 'https://github.com').hostname.toLowerCase();
  } catch {
    return `GITHUB_SERVER_URL '${env.GITHUB_SERVER_URL}' is not a URL`;
  }
  if (host !== 'github.com' && !host.endsWith('.ghe.com') && !host.endsWith('.localhost')) {
    return `@actions/artifact does not support GitHub Enterprise Server (${host})`;
  }
  return undefined;
}

function fallbackNote(name: string, files: string[], why: string): string {
  return `Artifact '${name}' was not uploaded: ${why}. The files stay at ${files.join(', ')}; upload them with actions/upload-artifact to keep them after the job.`;
}

/** Leaves the files where they are, with the note. */
export function keepFiles(why: string): ArtifactUploader {
  return {
    async upload(name, files) {
      return { uploaded: false, note: fallbackNote(name, files, why) };
    },
  };
}

/**
 * The uploader for this process: @actions/artifact (loaded on first upload) when the service is
 * there, else one that keeps the files.
 */
export function artifactUploader(
  env: NodeJS.ProcessEnv = process.env,
  options: { retentionDays?: number } = {},
): ArtifactUploader {
  const missing = artifactServiceMissing(env);
  if (missing) return keepFiles(missing);
  return {
    async upload(name, files, rootDir) {
      const { DefaultArtifactClient } = await import('@actions/artifact');
      const client = new DefaultArtifactClient();
      try {
        const r = await client.uploadArtifact(name, files, rootDir, { retentionDays: options.retentionDays });
        const digest = r.digest ? `sha256:${r.digest}` : undefined;
        return {
          uploaded: true,
          id: r.id,
          size: r.size,
          digest,
          note: `Uploaded artifact '${name}' (${files.map((f) => basename(f)).join(', ')}${r.size !== undefined ? `, ${r.size} bytes` : ''}${r.id !== undefined ? `, ID ${r.id}` : ''}).`,
        };
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const conflict = /409|conflict|already exists/i.test(message);
        throw new ArtifactUploadError(
          conflict
            ? `uploading artifact '${name}': an artifact of that name already exists in this workflow run (give each job its own artifact name)`
            : `uploading artifact '${name}': ${message.split('\n')[0]}`,
          { cause: err },
        );
      }
    },
  };
}
