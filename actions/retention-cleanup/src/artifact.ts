// The one place that uploads the plan and restore files as a workflow artifact. Until an
// artifact client is bundled, the files stay in RUNNER_TEMP (their paths are outputs) and a
// later `actions/upload-artifact` step can pick them up.
export interface ArtifactUploader {
  /** uploads the files under one artifact name; returns a note for the summary */
  upload(name: string, files: string[], rootDir: string): Promise<string>;
}

export const keepInRunnerTemp: ArtifactUploader = {
  async upload(_name, files) {
    return `Plan and restore files were written to ${files.join(', ')}; upload them with actions/upload-artifact (outputs plan-file and restore-file) to keep them after the job.`;
  },
};
