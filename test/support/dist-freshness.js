// Is dist/ as new as the sources it is built from? The e2e tier runs the built services, so it
// builds first when a source changed after the last build (see e2e-global-setup.js).
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, statSync, utimesSync } = require('node:fs');
const { join, relative } = require('node:path');

// What tsconfig.build.json compiles, minus the tests.
const SOURCE_DIRS = ['apps', 'libs', 'contracts', 'scripts', 'bench'];
const isSource = (f) => /\.(ts|json)$/.test(f) && !/\.(spec|int-spec|e2e-spec)\.ts$/.test(f);
const buildInfo = (root) => join(root, 'dist', '.tsbuildinfo');

/** The sources under `root` changed after its last build (every one when there is none). */
function staleSources(root) {
  const info = buildInfo(root);
  const builtAt = existsSync(info) ? statSync(info).mtimeMs : -Infinity;
  const stale = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (isSource(e.name) && statSync(p).mtimeMs > builtAt) stale.push(relative(root, p));
    }
  };
  for (const d of SOURCE_DIRS) if (existsSync(join(root, d))) walk(join(root, d));
  return stale.sort();
}

/**
 * Builds `root` (npm run build) when a source is newer than dist/; throws with the stale files named
 * when the build fails or leaves dist/ older than a source.
 */
function ensureFreshBuild(
  root,
  build = () => execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' }),
) {
  const stale = staleSources(root);
  if (stale.length === 0) return { built: false, stale };
  const shown = stale.slice(0, 5).join(', ') + (stale.length > 5 ? ` and ${stale.length - 5} more` : '');
  console.log(`\ne2e: dist/ is older than ${shown}; building (npm run build) first`);
  try {
    build();
  } catch (e) {
    throw new Error(
      `e2e: dist/ is older than ${shown} and the build failed (${e.message}): refusing to test a stale build`,
    );
  }
  // An incremental build leaves alone what compiles to the same output: mark when it ran.
  if (existsSync(buildInfo(root))) {
    const now = new Date();
    utimesSync(buildInfo(root), now, now);
  }
  const still = staleSources(root);
  if (still.length > 0) throw new Error(`e2e: dist/ is still older than ${still.join(', ')} after the build`);
  return { built: true, stale };
}

module.exports = { staleSources, ensureFreshBuild };
