import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaBrokers } from './infra';
import { freePort } from './services';

const ROOT = join(__dirname, '..', '..');

/** Variables of the developer's shell that would change what the all-in-one starts. */
const OWN = [
  'DATABASE_URL',
  'KAFKA_TOPIC_PREFIX',
  'TWILIO_ACCOUNT_SID',
  'TWILIO_AUTH_TOKEN',
  'TWILIO_API_BASE_URL',
  'PUBLIC_BASE_URL',
  'LOG_LEVEL',
];

export interface AllInOneProcess {
  url: string;
  httpPort: number;
  simPort: number;
  /** Its PGlite folder, removed by stop(). */
  dataDir: string;
  proc: ChildProcess;
  output(): string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/**
 * Starts the built all-in-one (dist/apps/all-in-one/main.js) as `npm start` does, in demo mode, on
 * free ports, a PGlite folder of its own (so fresh topics too) and the test broker. Returns at once:
 * the caller waits for what it wants to see (readiness, an exit).
 */
export async function spawnAllInOne(env: Record<string, string> = {}): Promise<AllInOneProcess> {
  const httpPort = Number(env.HTTP_PORT ?? (await freePort()));
  const simPort = Number(env.SIM_PORT ?? (await freePort()));
  const dataDir = mkdtempSync(join(tmpdir(), 'all-in-one-'));
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !OWN.includes(k)));
  let out = '';
  const proc = spawn(process.execPath, [join(ROOT, 'dist', 'apps', 'all-in-one', 'main.js')], {
    cwd: ROOT,
    env: {
      ...inherited,
      DEMO: '1',
      KAFKA_BROKERS: kafkaBrokers().join(','),
      PGLITE_DIR: join(dataDir, 'pglite'),
      ...env,
      HTTP_PORT: String(httpPort),
      SIM_PORT: String(simPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    url: `http://127.0.0.1:${httpPort}`,
    httpPort,
    simPort,
    dataDir,
    proc,
    output: () => out,
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const kill = setTimeout(() => proc.kill('SIGKILL'), 20_000);
        proc.kill('SIGTERM');
        await exited;
        clearTimeout(kill);
      }
      rmSync(dataDir, { recursive: true, force: true });
      return proc.exitCode;
    },
  };
}

/** Lines of a log at WARN or above (pretty text or JSON), and anything that looks like an uncaught error. */
export function warningsAndErrors(output: string): string[] {
  return output
    .split('\n')
    .filter((l) =>
      /\b(WARN|ERROR|FATAL)\b|"level":"(warn|error|fatal)"|Unhandled|^\s*at .+:\d+:\d+\)?$|^\w*Error: /.test(
        l,
      ),
    );
}
