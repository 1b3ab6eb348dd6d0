#!/usr/bin/env node
// Builds (npm run build) only when a source is newer than the last build, so the command-line tools
// start in a fraction of a second instead of type-checking the whole project on every call. "Newer"
// compares modification times of the built sources with dist/.tsbuildinfo (staleSources of
// test/support/dist-freshness.js, which the e2e tier uses too); deleting dist/ forces a build.
// Quiet when the build is up to date.
'use strict';
const { spawnSync } = require('node:child_process');
const { utimesSync } = require('node:fs');
const { join } = require('node:path');
const { staleSources } = require('../test/support/dist-freshness');

const ROOT = join(__dirname, '..');
const stale = staleSources(ROOT);
if (stale.length > 0) {
  const more = stale.length > 1 ? ` and ${stale.length - 1} more` : '';
  process.stderr.write(`building first (${stale[0]}${more} changed)\n`);
  const r = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  // tsc leaves its build info alone when no output changed (a touched file): mark the build anyway.
  const now = new Date();
  utimesSync(join(ROOT, 'dist', '.tsbuildinfo'), now, now);
}
