import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry } from 'prom-client';
import { AppConfig, loadConfig } from '../config/config';
import { ConsoleBackends } from './console-backends';
import { SystemHealthReader } from './system-health';

/** The strip reads real /metrics text (prom-client's own output) from the tracker and the notifier. */
describe('SystemHealthReader', () => {
  const tracker = new Registry();
  const notifier = new Registry();
  const lag = new Gauge({
    name: 'kafka_consumer_lag',
    help: 'h',
    labelNames: ['group', 'topic'],
    registers: [tracker],
  });
  const deadline = new Gauge({ name: 'callout_deadline_lag_seconds', help: 'h', registers: [tracker] });
  const queue = new Gauge({
    name: 'notify_send_queue',
    help: 'h',
    labelNames: ['state'],
    registers: [notifier],
  });
  const sends = new Counter({
    name: 'notify_sends_total',
    help: 'h',
    labelNames: ['provider', 'channel', 'outcome'],
    registers: [notifier],
  });
  const circuit = new Gauge({
    name: 'notify_provider_circuit_state',
    help: 'h',
    labelNames: ['provider'],
    registers: [notifier],
  });
  const servers: Server[] = [];
  let reader: SystemHealthReader;

  const serve = async (registry: Registry) => {
    const server = createServer((_req, res) => {
      void registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  beforeAll(async () => {
    const cfg: AppConfig = loadConfig({
      CONSOLE_TRACKER_URL: await serve(tracker),
      CONSOLE_NOTIFIER_URL: await serve(notifier),
    });
    reader = new SystemHealthReader(new ConsoleBackends(cfg));
  });
  afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

  it('shows the figures, keeping up while they are small', async () => {
    lag.set({ group: 'tracker', topic: 'callouts.status' }, 3);
    lag.set({ group: 'tracker', topic: 'callouts.responses' }, 7);
    deadline.set(2);
    queue.set({ state: 'queued' }, 40);
    sends.inc({ provider: 'twilio', channel: 'sms', outcome: 'accepted' }, 50);
    expect(await reader.read()).toEqual({
      consumerLag: 7,
      sendQueue: 40,
      deadlineLagSeconds: 2,
      outboxOldestSeconds: undefined,
      provider: 'ok',
      openCircuits: [],
      slow: false,
    });
  });

  it('names the providers whose circuit is open, and says the system is behind then', async () => {
    circuit.set({ provider: 'twilio' }, 2);
    circuit.set({ provider: 'tencent' }, 0);
    sends.inc({ provider: 'tencent', channel: 'sms', outcome: 'accepted' }, 5);
    expect(await reader.read()).toMatchObject({ provider: 'ok', openCircuits: ['twilio'], slow: true });
    // Half-open: one send tries the provider again; not open any more.
    circuit.set({ provider: 'twilio' }, 1);
    sends.inc({ provider: 'tencent', channel: 'sms', outcome: 'accepted' }, 5);
    expect(await reader.read()).toMatchObject({ openCircuits: [], slow: false });
    circuit.set({ provider: 'twilio' }, 0);
  });

  it('says the system is behind when the provider fails since the last reading or a queue grows', async () => {
    sends.inc({ provider: 'twilio', channel: 'sms', outcome: 'accepted' }, 5);
    sends.inc({ provider: 'twilio', channel: 'sms', outcome: 'failed' }, 5);
    expect(await reader.read()).toMatchObject({ provider: 'failing', slow: true });
    // Nothing sent since: idle, and the system keeps up again…
    expect(await reader.read()).toMatchObject({ provider: 'idle', slow: false });
    // …until the call-out consumers fall behind.
    lag.set({ group: 'tracker', topic: 'callouts.status' }, 5000);
    expect(await reader.read()).toMatchObject({ consumerLag: 5000, slow: true });
  });

  it('leaves out what it cannot read', async () => {
    const cfg = loadConfig({
      CONSOLE_TRACKER_URL: 'http://127.0.0.1:9',
      CONSOLE_NOTIFIER_URL: 'http://127.0.0.1:9',
    });
    expect(await new SystemHealthReader(new ConsoleBackends(cfg)).read()).toEqual({
      consumerLag: undefined,
      sendQueue: undefined,
      deadlineLagSeconds: undefined,
      outboxOldestSeconds: undefined,
      provider: 'unknown',
      openCircuits: [],
      slow: false,
    });
  });
});
