// The seam to the Trivy executable for `sbom: generate`. The executable is whatever `trivy-path`
// names, else the release the shared installer put in the tool cache; the image is read from the
// registry by digest (no daemon), with the credentials of the docker config, as trivy-scan does.
import { OperationError } from '#shared/errors.js';
import { type CommandRunner, lastMeaningfulLine } from '#shared/exec.js';
import type { SbomFormat } from './sbom.js';

export interface SbomGenerator {
  generate(image: string, format: SbomFormat, output: string): Promise<void>;
}

export class TrivySbomGenerator implements SbomGenerator {
  constructor(
    private readonly trivy: string,
    private readonly run: CommandRunner,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  async generate(image: string, format: SbomFormat, output: string): Promise<void> {
    const args = ['image', '--quiet', '--image-src', 'remote', '--format', format, '--output', output, image];
    const result = await this.run(this.trivy, args, {
      env: this.env,
      allowFailure: true,
      description: `${this.trivy} image --format ${format}`,
    });
    if (result.code !== 0) {
      throw new OperationError(
        `generating the SBOM of ${image} with ${this.trivy}`,
        `exit ${result.code}: ${lastMeaningfulLine(result.stderr) || lastMeaningfulLine(result.stdout) || 'no output'}`,
      );
    }
  }
}
