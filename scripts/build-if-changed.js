#!/usr/bin/env node
// Builds (npm run build) only when a source is newer than the last build, so the command-line tools
// start in a fraction of a second instead of type-checking the whole project on every call.
//   node scripts/build-if-changed.js            build if needed, quiet when up to date
// "Newer" compares modification times: every .ts/.json under the built folders (tests excluded, as
// tsconfig.build.json excludes them), the tsconfig files and package-lock.json, against
// dist/.tsbuildinfo (which tsc writes on every build). Deleting dist/ forces a build.
'use strict';
const { spawnSync } = require('node:child_process');
const { readdirSync, statSync, utimesSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const BUILT = ['apps', 'libs', 'contracts', 'scripts', 'bench'];
const CONFIGS = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
const STAMP = join(ROOT, 'dist', '.tsbuildinfo');
const TEST = /\.(spec|int-spec|e2e-spec)\.ts$/;

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The first source newer than `since`, or undefined. */
function newerSource(dir, since) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const found = newerSource(path, since);
      if (found) return found;
    } else if (/\.(ts|json)$/.test(entry.name) && !TEST.test(entry.name) && mtime(path) > since) {
      return path;
    }
  }
  return undefined;
}

function staleBecause() {
  const built = mtime(STAMP);
  if (built === undefined) return 'no build yet';
  for (const f of CONFIGS) if (mtime(join(ROOT, f)) > built) return `${f} changed`;
  for (const d of BUILT) {
    const found = newerSource(join(ROOT, d), built);
    if (found) return `${found.slice(ROOT.length + 1)} changed`;
  }
  return undefined;
}

const reason = staleBecause();
if (reason) {
  process.stderr.write(`building first (${reason})\n`);
  const r = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  // tsc leaves its build info alone when no file's content changed (a touched file): mark the build
  // done anyway, or every later call would build again.
  const now = new Date();
  utimesSync(STAMP, now, now);
}
