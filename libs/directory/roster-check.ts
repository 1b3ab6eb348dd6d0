import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { fromRoot } from '../common/project-root';
import { UndecodableFileError } from './directory-format';
import { RowError } from './directory-format';
import { DirectorySnapshot, ValidDivision, ValidPerson } from './directory-validation';

/**
 * When the valid records come back to the caller: never (a dry run: only the counts and errors), when
 * the file has no error (an import that is all or nothing), always (a partial import). Sending 170,000
 * records back costs the caller's thread a noticeable moment, so nobody pays it for nothing.
 */
export type RecordsWanted = 'never' | 'when-valid' | 'always';

export interface RosterCheckRequest {
  input: Uint8Array | string;
  format?: string;
  snapshot: DirectorySnapshot;
  records: RecordsWanted;
}

export interface RosterCheck {
  source: 'csv' | 'json';
  encoding: string;
  /** Person records read, and how many are good. */
  total: number;
  valid: number;
  errors: RowError[];
  /** The good records, ready to write (see RecordsWanted). */
  records?: { persons: ValidPerson[]; divisions: ValidDivision[] };
}

export type RosterCheckResult = ({ ok: true } & RosterCheck) | { ok: false; name: string; message: string };

type Answer = (r: RosterCheckResult | Error) => void;

/**
 * The worker's entry: the compiled file in dist/; from the TypeScript sources (the specs) the worker
 * compiles them with the same hook the specs' plain Node processes use (test/support/swc-register.js).
 */
function startWorker(): Worker {
  const compiled = join(__dirname, 'roster-check.worker.js');
  if (existsSync(compiled)) return new Worker(compiled);
  const hook = fromRoot('test', 'support', 'swc-register.js');
  const source = join(__dirname, 'roster-check.worker.ts');
  return new Worker(`require(${JSON.stringify(hook)}); require(${JSON.stringify(source)});`, { eval: true });
}

/**
 * One worker thread per process, started on the first roster and kept (starting one costs about a
 * second: the phone-number metadata and the parsers load). It holds the process open only while a
 * check is pending; a worker that fails or exits fails what it was asked and is replaced next time.
 */
let shared: { worker: Worker; pending: Map<number, Answer> } | undefined;
let nextId = 0;

function rosterWorker(): NonNullable<typeof shared> {
  if (shared) return shared;
  const worker = startWorker();
  const own = { worker, pending: new Map<number, Answer>() };
  const fail = (e: Error) => {
    if (shared === own) shared = undefined;
    for (const answer of own.pending.values()) answer(e);
    own.pending.clear();
  };
  worker.on('message', ({ id, result }: { id: number; result: RosterCheckResult }) => {
    own.pending.get(id)?.(result);
    own.pending.delete(id);
    if (own.pending.size === 0) worker.unref();
  });
  worker.on('error', fail);
  worker.on('exit', (code) =>
    fail(new Error(`the roster check stopped (exit code ${code}) before it answered`)),
  );
  shared = own;
  return own;
}

/**
 * Reads and validates a roster file (decoding, CSV or JSON parsing, every row rule) in a worker
 * thread. A 20 MB CSV takes seconds of pure computation; on the service's own thread it would stall
 * every request meanwhile (/health/live, the board, webhooks). Throws UndecodableFileError as
 * parseDirectory does.
 */
export function checkRoster(
  request: Omit<RosterCheckRequest, 'input'> & { input: Buffer | string },
): Promise<RosterCheck> {
  const { worker, pending } = rosterWorker();
  const id = ++nextId;
  return new Promise((resolve, reject) => {
    pending.set(id, (r) => {
      if (r instanceof Error) return reject(r);
      if (r.ok) return resolve(r);
      reject(r.name === 'UndecodableFileError' ? new UndecodableFileError(r.message) : new Error(r.message));
    });
    worker.ref();
    worker.postMessage({ id, ...request } satisfies RosterCheckRequest & { id: number });
  });
}
