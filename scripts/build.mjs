// Bundles every action (actions/<name>/src/index.ts) with ncc into dist/<name>/index.js.
// Usage: node scripts/build.mjs [name...]   (no names: every action)
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const all = readdirSync(join(root, 'actions')).filter((n) => existsSync(join(root, 'actions', n, 'src', 'index.ts')));
const names = process.argv.slice(2).length ? process.argv.slice(2) : all;

function build(name) {
  // from an empty folder: chunks of an earlier build must not linger beside the new ones
  rmSync(join(root, 'dist', name), { recursive: true, force: true });
  return new Promise((resolve, reject) => {
    const args = [
      'build',
      `actions/${name}/src/index.ts`,
      '-o',
      `dist/${name}`,
      '--license',
      'licenses.txt',
      '--target',
      'es2022',
      '--minify',
      '-q',
    ];
    const child = spawn(join(root, 'node_modules/.bin/ncc'), args, {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ncc failed for ${name} (exit ${code})`))));
  });
}

// Two at a time: ncc type-checks the whole project for each bundle, which is CPU-bound.
const queue = [...names];
const workers = Array.from({ length: 2 }, async () => {
  for (let name = queue.shift(); name; name = queue.shift()) {
    const started = Date.now();
    await build(name);
    console.log(`built dist/${name}/index.js in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
});
try {
  await Promise.all(workers);
} catch (err) {
  console.error(err.message);
  process.exit(1);
}
