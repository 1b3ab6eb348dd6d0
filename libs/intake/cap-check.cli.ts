import { readFileSync } from 'node:fs';
import { DATONG, generateDirectory } from '../directory/seed/generate-directory';
import { VillagePoint } from './cap/area-shapes';
import { AreaMapping, capToWarning, CapResult, UnmappedArea } from './cap/cap-to-warning';

/**
 * `npm run cap:check -- FILE...`: checks CAP files offline (no Kafka, no database). Per file it prints
 * the canonical warning as JSON with how each area was mapped (`mapping`: by code, name or polygon),
 * or the rejection reasons. Polygons and circles are matched against the demo directory's villages
 * (Datong). Exit 0 when every file was accepted (a warning, a warning held for mapping, or a
 * record-only message), 2 when any was rejected, 1 on a usage or read error.
 */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

let demoVillages: VillagePoint[] | undefined;

/** The villages of the demo directory (`npm start`), with their generated points. */
export function demoVillagePoints(): VillagePoint[] {
  demoVillages ??= generateDirectory({ cityCodes: [DATONG], villagesPerTownship: 2, seed: 2024 })
    .divisions.filter((d) => d.lat != null && d.lon != null)
    .map((d) => ({ code: d.code, name: d.name, lat: Number(d.lat), lon: Number(d.lon) }));
  return demoVillages;
}

/** One line per mapped division: where it came from and how it was mapped. */
export function describeMapping(m: AreaMapping): string {
  const how = {
    code: `by code (geocode ${m.via})`,
    name: `by name "${m.via}"`,
    polygon: `by ${m.via}`,
  }[m.how];
  return `${m.areaDesc || '(no areaDesc)'} → ${m.code} ${m.name ?? ''} · ${how}, confidence ${m.confidence}${m.note ? `; ${m.note}` : ''}`;
}

const describeUnmapped = (u: UnmappedArea) => `${u.name ?? u.code ?? '?'}: ${u.reason}`;

function summary(file: string, r: Exclude<CapResult, { kind: 'rejected' }>) {
  const unmapped = r.unmappedAreas.map(describeUnmapped);
  if (r.kind === 'warning')
    return {
      file,
      outcome: 'warning',
      mapping: r.mappings.map(describeMapping),
      ...(unmapped.length ? { unmapped } : {}),
      warning: r.warning,
      unmappedAreas: r.unmappedAreas,
    };
  if (r.kind === 'needs-mapping')
    return {
      file,
      outcome: 'needs-mapping',
      reason: 'no affected area maps to a known division: held for the duty officer to map',
      unmapped,
      warning: r.warning,
      unmappedAreas: r.unmappedAreas,
    };
  return {
    file,
    outcome: 'record-only',
    reason: r.reason,
    warning: r.warning,
    unmappedAreas: r.unmappedAreas,
  };
}

export function main(files: string[], io: Output = { out: console.log, err: console.error }): number {
  if (files.length === 0) {
    io.err('usage: npm run cap:check -- FILE...');
    return 1;
  }
  let code = 0;
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      io.err(`${file}: cannot read: ${(e as Error).message}`);
      code = Math.max(code, 1);
      continue;
    }
    const r = capToWarning(bytes, { villages: demoVillagePoints() });
    if (r.kind === 'rejected') {
      io.err(`${file}: REJECTED`);
      for (const reason of r.reasons) io.err(`  - ${reason}`);
      code = 2;
      continue;
    }
    io.out(JSON.stringify(summary(file, r), null, 2));
  }
  return code;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
