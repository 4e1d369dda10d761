// Entry of the build-push action: hands main and post to the shared runner, which owns the error boundary.
import { run } from '#shared/action/runner.js';
import { main } from './main.js';
import { post } from './post.js';

await run(main, post);
