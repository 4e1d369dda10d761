// Entry of retention-cleanup: hands main to the shared runner.
import { run } from '#shared/action/runner.js';
import { main } from './main.js';

await run(() => main());
