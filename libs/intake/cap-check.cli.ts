import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DATONG, generateDirectory } from '../directory/seed/generate-directory';
import { VillagePoint } from './cap/area-shapes';
import { AreaMapping, capToWarning, UnmappedArea } from './cap/cap-to-warning';

/**
 * `npm run cap:check -- [--json] FILE|FOLDER...`: checks CAP files offline (no Kafka, no database).
 * A folder stands for every .xml file under it. One line per file (accepted as a warning, held for
 * mapping, recorded only, or rejected with its reasons), each accepted warning followed by how each
 * area was mapped (by code, name or polygon), then a summary line. Polygons and circles are matched
 * against the demo directory's villages (Datong). With --json, each file's line is the canonical
 * warning as JSON and the summary goes to stderr, so stdout stays JSON Lines.
 * Exit 0 when every file was accepted (a warning, a warning held for mapping, or a record-only
 * message), 2 when any was rejected, 1 on a usage or read error.
 */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

const USAGE = 'usage: npm run cap:check -- [--json] FILE|FOLDER...';

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

/** The files an argument stands for: itself, or every .xml file under a folder (sorted). */
function filesOf(arg: string): string[] {
  if (!statSync(arg, { throwIfNoEntry: false })?.isDirectory()) return [arg];
  return readdirSync(arg, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.xml'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

export function main(args: string[], io: Output = { out: console.log, err: console.error }): number {
  const json = args.includes('--json');
  const unknown = args.filter((a) => a.startsWith('--') && a !== '--json');
  const targets = args.filter((a) => !a.startsWith('--'));
  if (targets.length === 0 || unknown.length > 0) {
    io.err(unknown.length ? `unknown option ${unknown.join(', ')}; ${USAGE}` : USAGE);
    return 1;
  }
  const count = { warning: 0, held: 0, recordOnly: 0, rejected: 0, unreadable: 0 };
  const cannotRead = (what: string, e: unknown) => {
    io.err(`${what}: cannot read: ${(e as Error).message}`);
    count.unreadable += 1;
  };
  for (const target of targets) {
    let files: string[];
    try {
      files = filesOf(target);
    } catch (e) {
      cannotRead(target, e);
      continue;
    }
    if (files.length === 0) io.err(`${target}: no .xml files in this folder`);
    for (const file of files) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch (e) {
        cannotRead(file, e);
        continue;
      }
      const r = capToWarning(bytes, { villages: demoVillagePoints() });
      if (r.kind === 'rejected') {
        count.rejected += 1;
        if (json) io.out(JSON.stringify({ file, outcome: 'rejected', reasons: r.reasons }));
        else io.err(`${file}: REJECTED: ${r.reasons.join('; ')}`);
        continue;
      }
      const unmapped = r.unmappedAreas.map(describeUnmapped);
      const unmappedNote = unmapped.length ? `, ${unmapped.length} area(s) not mapped` : '';
      if (r.kind === 'warning') {
        const w = r.warning;
        count.warning += 1;
        const mapping = r.mappings.map(describeMapping);
        if (json)
          io.out(
            JSON.stringify({ file, outcome: 'warning', mapping, warning: w, unmappedAreas: r.unmappedAreas }),
          );
        else {
          io.out(
            `${file}: warning ${w.id} ${w.msgType} ${w.hazard}/${w.subtype} ${w.level ?? w.sourceLevel ?? '-'}, ${w.areas.length} area(s)${unmappedNote}`,
          );
          for (const line of mapping) io.out(`  mapped: ${line}`);
          for (const line of unmapped) io.out(`  not mapped: ${line}`);
        }
      } else if (r.kind === 'needs-mapping') {
        count.held += 1;
        const reason = 'no affected area maps to a known division: held for the duty officer to map';
        if (json)
          io.out(
            JSON.stringify({
              file,
              outcome: 'needs-mapping',
              reason,
              unmapped,
              warning: r.warning,
              unmappedAreas: r.unmappedAreas,
            }),
          );
        else {
          io.out(`${file}: needs mapping: ${reason}`);
          for (const line of unmapped) io.out(`  not mapped: ${line}`);
        }
      } else {
        count.recordOnly += 1;
        if (json)
          io.out(
            JSON.stringify({
              file,
              outcome: 'record-only',
              reason: r.reason,
              warning: r.warning,
              unmappedAreas: r.unmappedAreas,
            }),
          );
        else io.out(`${file}: record-only: ${r.reason}`);
      }
    }
  }
  const total = count.warning + count.held + count.recordOnly + count.rejected + count.unreadable;
  const summary =
    `${total} file(s): ${count.warning + count.held + count.recordOnly} accepted (${count.warning} warning(s), ` +
    (count.held ? `${count.held} held for mapping, ` : '') +
    `${count.recordOnly} record-only), ${count.rejected} rejected` +
    (count.unreadable ? `, ${count.unreadable} unreadable` : '');
  if (json) io.err(summary);
  else io.out(summary);
  return count.rejected ? 2 : count.unreadable ? 1 : 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
