import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from './infra';

const ROOT = join(__dirname, '..', '..');

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
  } = {},
): Promise<RunningService> {
  const port = opts.port ?? (await freePort());
  const name = opts.name ?? app;
  let out = '';
  const inherited = { ...process.env };
  for (const k of opts.unset ?? []) delete inherited[k];
  const proc = spawn(process.execPath, [join(ROOT, 'dist', 'apps', app, 'main.js')], {
    cwd: ROOT,
    env: { ...inherited, LOG_LEVEL: 'warn', ...env, HTTP_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  const path = opts.ready === 'port' ? '/' : '/health/ready';
  try {
    await waitFor(
      async () => {
        if (proc.exitCode !== null)
          throw new Error(`${name} exited with ${proc.exitCode}:\n${out.slice(-3000)}`);
        const r = await fetch(url + path).catch(() => undefined);
        return r !== undefined && (opts.ready === 'port' || r.ok);
      },
      `${name} to be ready`,
      opts.timeoutMs ?? 60_000,
      200,
    );
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
