import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signRoleToken } from '../libs/common/auth';
import { EXIT_PORT_TAKEN } from '../libs/infra/ports';
import { spawnAllInOne, warningsAndErrors } from './support/all-in-one';
import { kafkaBrokers, testSecret, waitFor } from './support/infra';
import { freePort } from './support/services';

/** Something that is not ours listening on 127.0.0.1:port (accepts connections, never answers). */
async function occupy(): Promise<{ port: number; server: Server }> {
  const server = createServer((socket) => socket.on('error', () => undefined));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

const close = (s: Server) => new Promise((resolve) => s.close(resolve));

describe('all-in-one start-up (npm start)', () => {
  describe('a taken port is named, with what needs it and the variable that moves it, and exits 98', () => {
    const kafkaHome = mkdtempSync(join(tmpdir(), 'kafka-home-'));
    afterAll(() => rmSync(kafkaHome, { recursive: true, force: true }));

    it.each([
      ['SIM_PORT', 'the Twilio simulator'],
      ['HTTP_PORT', 'the HTTP server (health, APIs, webhooks, console)'],
      ['KAFKA_PORT', 'the local Kafka broker'],
      ['KAFKA_CONTROLLER_PORT', "the local Kafka broker's controller (on KAFKA_PORT + 1 unless set)"],
    ])(
      '%s',
      async (variable, component) => {
        const taken = await occupy();
        try {
          // KAFKA_BROKERS unset: the all-in-one would start its own broker on KAFKA_PORT.
          const local: Record<string, string> = variable.startsWith('KAFKA_')
            ? { KAFKA_BROKERS: '', KAFKA_HOME_DIR: kafkaHome, KAFKA_PORT: String(await freePort()) }
            : {};
          const aio = await spawnAllInOne({ ...local, [variable]: String(taken.port) });
          try {
            const code = await Promise.race([
              aio.exited,
              new Promise((_, reject) => setTimeout(() => reject(new Error(aio.output())), 80_000)),
            ]);
            expect(code).toBe(EXIT_PORT_TAKEN);
            const out = aio.output();
            expect(out).toContain(`port ${taken.port} is taken`);
            expect(out).toContain(`${component} needs it`);
            expect(out).toContain(`choose another port: ${variable}=<port>`);
            // A message, not a stack trace.
            expect(out).not.toMatch(/^\s+at /m);
          } finally {
            await aio.stop();
          }
        } finally {
          await close(taken.server);
        }
      },
      90_000,
    );

    it('HTTP_PORT of a service started alone (dispatcher)', async () => {
      const taken = await occupy();
      try {
        const proc = spawn(process.execPath, ['dist/apps/dispatcher/main.js'], {
          cwd: join(__dirname, '..'),
          env: { ...process.env, KAFKA_BROKERS: kafkaBrokers().join(','), HTTP_PORT: String(taken.port) },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        proc.stdout.on('data', (d) => (out += d));
        proc.stderr.on('data', (d) => (out += d));
        const code = await new Promise((resolve) => proc.once('exit', resolve));
        expect(code).toBe(EXIT_PORT_TAKEN);
        expect(out).toContain(
          `port ${taken.port} is taken (something else is already listening there); the HTTP server (health, APIs, webhooks, console) needs it. Stop what is listening there, or choose another port: HTTP_PORT=<port>.`,
        );
        expect(out).not.toMatch(/^\s+at /m);
      } finally {
        await close(taken.server);
      }
    }, 90_000);
  });

  it('answers ready only once the demo directory is seeded and the banner printed, with a clean log', async () => {
    const secret = testSecret();
    const aio = await spawnAllInOne({ SIGNING_SECRET: secret });
    try {
      const token = signRoleToken(
        { actor: 'start-up-test', role: 'directory-admin', ttlSeconds: 600 },
        secret,
      );
      const awaited = new Set<string>();
      // Polled from the moment of start: the first 200 is the moment a script would go ahead.
      await waitFor(
        async () => {
          if (aio.proc.exitCode !== null) throw new Error(`exited with ${aio.proc.exitCode}`);
          const r = await fetch(`${aio.url}/health/ready`).catch(() => undefined);
          if (r?.status === 503) {
            const body = (await r.json()) as { error?: { startup?: { awaiting?: string[] } } };
            for (const a of body.error?.startup?.awaiting ?? []) awaited.add(a);
          }
          return r?.status === 200;
        },
        'the all-in-one to be ready',
        180_000,
        100,
      ).catch((e: Error) => {
        throw new Error(`${e.message}\n--- output ---\n${aio.output().slice(-4000)}`);
      });
      const directory = await fetch(`${aio.url}/api/directory/health`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(directory.status).toBe(200);
      const { persons } = (await directory.json()) as { persons: number };

      const seeded = await waitFor(
        () => /demo directory seeded: (\d+) persons/.exec(aio.output()),
        'the seeding line',
        5_000,
      );
      expect(persons).toBe(Number(seeded[1]));
      expect(persons).toBeGreaterThan(0);
      expect(aio.output()).toContain('叫应 call-out is running');
      // Whatever readiness waited for on the way, none of it is left at 200.
      for (const a of awaited)
        expect(a).toMatch(/^(demo directory and start-up banner|consumer group \S+ joined)$/);

      // A clean start: nothing a user has to wonder about.
      expect(warningsAndErrors(aio.output())).toEqual([]);
    } finally {
      await aio.stop();
    }
  }, 240_000);
});
