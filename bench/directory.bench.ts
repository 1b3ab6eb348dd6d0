/**
 * Directory benchmark (a script that prints figures, not a test): a Shanxi-scale generated roster
 * imported into a fresh PostgreSQL database, then resolution timed for a city-wide warning on Datong
 * and a province-wide one. `npm run bench:directory`; DATABASE_URL selects an existing database,
 * otherwise a fresh one is created on the local server (and dropped afterwards).
 */
import { cpus } from 'node:os';
import { Client } from 'pg';
import { PostgresDb } from '../libs/db/db';
import { migrate } from '../libs/db/migrate';
import { DirectoryService } from '../libs/directory/directory.service';
import { TargetRule } from '../libs/directory/directory.types';
import { DATONG, generateDirectory } from '../libs/directory/seed/generate-directory';

const ADMIN = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const RED: TargetRule[] = [
  { role: 'party-gov-head', levels: ['county', 'township'] },
  { role: 'flood-control' },
  { role: 'duty-officer', levels: ['county', 'township'] },
  { role: 'flash-flood-warner' },
  { role: 'geo-monitor' },
  { role: 'grid-worker' },
];

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/**
 * What one province-wide resolution keeps in memory: the heap after a full collection with the
 * result held, minus the heap after a full collection before it; and the heap's highest reading
 * while it ran (sampled every 5 ms: the rows node-postgres buffers before they become targets).
 * Needs `--expose-gc`.
 */
async function retainedByResolution(dir: DirectoryService, at: Date) {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  gc();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
  const r = await dir.resolve({ hazard: 'flood', areaCodes: ['140000000000'], rules: RED, at });
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  gc();
  const retained = process.memoryUsage().heapUsed - before;
  const mb = (b: number) => +(b / 2 ** 20).toFixed(1);
  return {
    targets: r.targets.length,
    retainedMB: mb(retained),
    bytesPerTarget: Math.round(retained / r.targets.length),
    peakAboveBaseMB: mb(peak - before),
  };
}

async function main() {
  let url = process.env.DATABASE_URL;
  let dropName: string | null = null;
  if (!url) {
    dropName = `bench_directory_${Date.now()}`;
    const admin = new Client({ connectionString: ADMIN });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dropName}`);
    await admin.end();
    url = ADMIN.replace(/\/[^/]*$/, `/${dropName}`);
  }
  const db = new PostgresDb(url);
  try {
    await migrate(db);
    const dir = new DirectoryService(db);
    let t0 = process.hrtime.bigint();
    const doc = generateDirectory({ province: true, villagesPerTownship: 20, seed: 1 });
    const genMs = ms(t0);
    const json = JSON.stringify(doc);
    console.log(
      `generated ${doc.persons.length} persons, ${doc.divisions.length} villages in ${genMs.toFixed(0)} ms`,
    );

    t0 = process.hrtime.bigint();
    const report = await dir.import(json, { format: 'json' });
    const importMs = ms(t0);
    if (!report.applied) throw new Error(`import rejected: ${JSON.stringify(report.errors.slice(0, 5))}`);
    console.log(`import (parse, validate, write): ${(importMs / 1000).toFixed(2)} s`);
    t0 = process.hrtime.bigint();
    const again = await dir.import(json, { format: 'json' });
    const reimportMs = ms(t0);
    console.log(`re-import (all upserts): ${(reimportMs / 1000).toFixed(2)} s, applied=${again.applied}`);
    await db.exec('ANALYZE');

    const at = new Date();
    const time = async (areaCodes: string[]) => {
      const times: number[] = [];
      let targets = 0;
      let gaps = 0;
      for (let i = 0; i < RUNS + 2; i++) {
        const s = process.hrtime.bigint();
        const r = await dir.resolve({ hazard: 'flood', areaCodes, rules: RED, at });
        if (i >= 2) times.push(ms(s)); // two warm-up runs
        targets = r.targets.length;
        gaps = r.gaps.length;
      }
      return { targets, gaps, median: pct(times, 50), p99: pct(times, 99) };
    };
    const datong = await time([DATONG]);
    const province = await time(['140000000000']);
    const line = (what: string, r: typeof datong) =>
      `${what}: ${r.targets} targets, ${r.gaps} gaps; median ${r.median.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms`;
    console.log(line('Datong city-wide red warning', datong));
    console.log(line('Province-wide red warning', province));
    const memory = await retainedByResolution(dir, at);
    if (memory)
      console.log(
        `memory: a province-wide resolution holds ${memory.retainedMB} MB (${memory.bytesPerTarget} B per target) ` +
          `once resolved; the heap peaked ${memory.peakAboveBaseMB} MB above its baseline while resolving`,
      );
    else console.log('memory: not measured (run with node --expose-gc, as npm run bench:directory does)');
    const h0 = process.hrtime.bigint();
    await dir.health(at);
    console.log(`health report: ${ms(h0).toFixed(0)} ms`);
    console.log(
      JSON.stringify({
        date: new Date().toISOString().slice(0, 10),
        cpus: cpus().length,
        cpu: cpus()[0]?.model,
        persons: doc.persons.length,
        villages: doc.divisions.length,
        importSeconds: +(importMs / 1000).toFixed(2),
        reimportSeconds: +(reimportMs / 1000).toFixed(2),
        runs: RUNS,
        datong,
        province,
        memory,
      }),
    );
  } finally {
    await db.close();
    if (dropName) {
      const admin = new Client({ connectionString: ADMIN });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${dropName} WITH (FORCE)`);
      await admin.end();
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
