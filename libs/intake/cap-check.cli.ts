import { readFileSync } from 'node:fs';
import { capToWarning } from './cap/cap-to-warning';

/**
 * `npm run cap:check -- FILE...`: checks CAP files offline (no Kafka, no database). Per file it prints
 * the canonical warning as JSON, or the rejection reasons. Exit 0 when every file was accepted
 * (a warning, or a record-only message), 2 when any was rejected, 1 on a usage or read error.
 */
export interface Output {
  out(line: string): void;
  err(line: string): void;
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
    const r = capToWarning(bytes);
    if (r.kind === 'rejected') {
      io.err(`${file}: REJECTED`);
      for (const reason of r.reasons) io.err(`  - ${reason}`);
      code = 2;
      continue;
    }
    const summary =
      r.kind === 'warning'
        ? { file, outcome: 'warning', warning: r.warning, unmappedAreas: r.unmappedAreas }
        : {
            file,
            outcome: 'record-only',
            reason: r.reason,
            warning: r.warning,
            unmappedAreas: r.unmappedAreas,
          };
    io.out(JSON.stringify(summary, null, 2));
  }
  return code;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
