import { run } from '#shared/action/runner.js';
import { main } from './main.js';
import { post } from './post.js';

run(main, post);
