import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from './infra';

/** The project's root, whether this runs from test/support or compiled into dist/ (the benchmark). */
const ROOT = join(__dirname, '..', '..').replace(/[/\\]dist$/, '');

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface RunningService {
  name: string;
  port: number;
  url: string;
  proc: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts a built service (dist/apps/<app>/main.js) as its own process and waits until its readiness
 * endpoint answers (or, with `ready: 'port'`, until it listens). Output is kept for failure messages.
 */
export async function startService(
  app: string,
  env: Record<string, string>,
  opts: {
    name?: string;
    port?: number;
    ready?: 'health' | 'port';
    timeoutMs?: number;
    /** Variables of the test's own environment the service must not see (e.g. DATABASE_URL). */
    unset?: string[];
    /** Node options before the script (e.g. --cpu-prof). */
    nodeArgs?: string[];
    /** Keep only the last this many characters of output (a long benchmark run must not grow). */
    outputTailChars?: number;
    /** Also given every chunk of output (e.g. to keep the whole of it in a file). */
    onOutput?: (chunk: Buffer) => void;
  } = {},
): Promise<RunningService> {
  const port = opts.port ?? (await freePort());
  const name = opts.name ?? app;
  let out = '';
  const inherited = { ...process.env };
  for (const k of opts.unset ?? []) delete inherited[k];
  const proc = spawn(
    process.execPath,
    [...(opts.nodeArgs ?? []), join(ROOT, 'dist', 'apps', app, 'main.js')],
    {
      cwd: ROOT,
      env: { ...inherited, LOG_LEVEL: 'warn', ...env, HTTP_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const keep = (d: Buffer) => {
    out += d.toString();
    if (opts.outputTailChars !== undefined) out = out.slice(-opts.outputTailChars);
    opts.onOutput?.(d);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const path = opts.ready === 'port' ? '/' : '/health/ready';
  try {
    await waitFor(
      async () => {
        // An exited service ends the wait at once (and fails just below).
        if (proc.exitCode !== null) return true;
        const r = await fetch(url + path).catch(() => undefined);
        return r !== undefined && (opts.ready === 'port' || r.ok);
      },
      `${name} to be ready`,
      // Generous: several services start at once, on a machine that may be busy.
      opts.timeoutMs ?? 120_000,
      200,
    );
    if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}:\n${out.slice(-3000)}`);
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n--- ${name} output ---\n${out.slice(-4000)}`);
  }
  return {
    name,
    port,
    url,
    proc,
    output: () => out,
    stop: (signal: NodeJS.Signals = 'SIGTERM') =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve(proc.exitCode);
        const t = setTimeout(() => proc.kill('SIGKILL'), 20_000);
        proc.once('exit', (code) => {
          clearTimeout(t);
          resolve(code);
        });
        proc.kill(signal);
      }),
  };
}
