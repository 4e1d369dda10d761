// Entry of the sbom-sign action: hands main to the shared runner, which owns the error boundary.
import { run } from '#shared/action/runner.js';
import { main } from './main.js';

await run(main);
