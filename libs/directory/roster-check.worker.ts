import { parentPort } from 'node:worker_threads';
import { parseDirectory } from './directory-format';
import { validateDirectory } from './directory-validation';
import type { RosterCheckRequest, RosterCheckResult } from './roster-check';

/**
 * The worker thread of checkRoster (roster-check.ts): reads and validates roster files, one request
 * at a time, and posts each outcome back. Pure computation, no I/O: what it needs from the database
 * comes with the request.
 */
function check({ input, format, snapshot, records }: RosterCheckRequest): RosterCheckResult {
  try {
    const parsed = parseDirectory(typeof input === 'string' ? input : Buffer.from(input), format);
    const report = validateDirectory(parsed, snapshot);
    const send = records === 'always' || (records === 'when-valid' && report.errors.length === 0);
    return {
      ok: true,
      source: parsed.source,
      encoding: parsed.encoding,
      total: report.total,
      valid: report.persons.length,
      errors: report.errors,
      ...(send ? { records: { persons: report.persons, divisions: report.divisions } } : {}),
    };
  } catch (e) {
    return { ok: false, name: (e as Error).name, message: (e as Error).message };
  }
}

parentPort!.on('message', (req: RosterCheckRequest & { id: number }) =>
  parentPort!.postMessage({ id: req.id, result: check(req) }),
);
