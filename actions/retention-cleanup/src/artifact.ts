// Where the plan and restore files go once written: one workflow artifact through the suite's
// uploader (@actions/artifact, loaded only when the artifact service is there); on GHES and
// outside Actions the files stay in RUNNER_TEMP (their paths are outputs) with a note saying how
// to upload them.
import { artifactUploader } from '#shared/artifacts/upload.js';

export interface ArtifactUploader {
  /** uploads the files under one artifact name; returns a note for the summary */
  upload(name: string, files: string[], rootDir: string): Promise<string>;
}

export const keepInRunnerTemp: ArtifactUploader = {
  async upload(_name, files) {
    return `Plan and restore files were written to ${files.join(', ')}; upload them with actions/upload-artifact (outputs plan-file and restore-file) to keep them after the job.`;
  },
};

export const workflowArtifact: ArtifactUploader = {
  async upload(name, files, rootDir) {
    return (await artifactUploader().upload(name, files, rootDir)).note;
  },
};
