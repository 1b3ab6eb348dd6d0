import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_POLICY } from '../libs/callout/policy';
import { signRoleToken } from '../libs/common/auth';
import type { SimRecord } from '../libs/notify/simulator/twilio-simulator';
import { kafkaBrokers, waitFor } from './support/infra';
import { freePort, RunningService, startService } from './support/services';

/**
 * The embedded default as the README starts it (`node dist/apps/all-in-one/main.js`): every service
 * in one process on PGlite in a data folder of its own, the in-process Twilio simulator, the demo
 * directory of Datong; only the Kafka broker is the shared one. A warning is issued, persons are
 * called and confirm; the process is killed (SIGKILL, nothing flushed) and started again on the same
 * data folder: what was applied is still there, nobody is called a second time, and the deadline
 * that fell due while it was down escalates.
 */
const TOWNSHIP = '140212100000'; // 新荣区 新荣镇: one flash-flood warner (number ending in 7) never answers
const SECRET = randomBytes(32).toString('base64url');
const token = (role: string) => signRoleToken({ actor: `e2e-${role}`, role }, SECRET);
// The ack deadline leaves room for the confirmations before the kill; it falls due while the
// process is down or restarting.
const ACK_DEADLINE_SEC = 60;
const policy = structuredClone(DEFAULT_POLICY);
policy.hazards.flood.orange = {
  ...policy.hazards.flood.orange,
  channels: ['sms'],
  voiceFallbackAfterSec: null,
  ackDeadlineSec: ACK_DEADLINE_SEC,
  redials: 0,
  escalationSteps: 1,
  escalationAckDeadlineSec: 3600,
  escalationChannels: ['sms'],
  repeatLimit: 1,
};

type Callout = {
  id: string;
  person_id: string;
  rung: number;
  state: string;
  subject_callout_id: string | null;
};

describe('all-in-one on PGlite (the embedded default), killed and restarted', () => {
  let dir: string;
  let env: Record<string, string>;
  let port: number;
  let simPort: number;
  let aio: RunningService | undefined;

  const start = async () =>
    (aio = await startService('all-in-one', env, {
      port,
      timeoutMs: 240_000,
      // As `npm start`: no database URL (PGlite), no topic prefix (the one kept beside the data folder).
      unset: ['DATABASE_URL', 'KAFKA_TOPIC_PREFIX', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN'],
    }));
  const api = async <T>(path: string, init: RequestInit = {}, role = 'duty-officer'): Promise<T> => {
    const r = await fetch(`http://127.0.0.1:${port}${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token(role)}` },
    });
    if (!r.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  };
  const callouts = async (warningId: string) =>
    (await api<{ callouts: Callout[] }>(`/api/callouts/warnings/${encodeURIComponent(warningId)}`)).callouts;
  const simRecords = async () =>
    ((await (await fetch(`http://127.0.0.1:${simPort}/sim/records`)).json()) as { records: SimRecord[] })
      .records;
  /** The purpose of a sent message, from the request id in its status callback URL. */
  const purposeOf = (r: SimRecord) => /rid=[^&]*%3A(\w+)(?:&|$)/.exec(r.statusCallback ?? '')?.[1];
  const withOutput = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- all-in-one ---\n${aio?.output().slice(-4000)}`);
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aio-pglite-'));
    const policyFile = join(dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify(policy));
    port = await freePort();
    simPort = await freePort();
    env = {
      DEMO: '1',
      PGLITE_DIR: join(dir, 'pglite'),
      KAFKA_BROKERS: kafkaBrokers().join(','),
      SIM_PORT: String(simPort),
      SIM_LATENCY_MS: '50',
      SIGNING_SECRET: SECRET,
      POLICY_FILE: policyFile,
    };
  });
  afterAll(async () => {
    await aio?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('keeps what was applied across a kill -9 and resumes the escalation', async () => {
    await withOutput(start());
    const { id: warningId } = await withOutput(
      api<{ id: string }>('/api/warnings', {
        method: 'POST',
        body: JSON.stringify({
          hazard: 'flood',
          subtype: 'river',
          level: 'orange',
          headline: '大同市水文局发布洪水橙色预警（内嵌数据库测试）',
          areas: [{ code: TOWNSHIP }],
          expires: new Date(Date.now() + 6 * 3600_000).toISOString(),
        }),
      }),
    );

    // Persons are called (the simulator has their SMS) and their replies are applied.
    const before = await withOutput(
      waitFor(
        async () => {
          const cs = await callouts(warningId);
          return cs.length > 1 && cs.filter((c) => c.state === 'CONFIRMED').length === cs.length - 1
            ? cs
            : undefined;
        },
        'every call-out but the never-answering one confirmed',
        120_000,
        500,
      ),
    );
    const sentBefore = (await simRecords()).filter((r) => r.kind === 'sms');
    expect(new Set(sentBefore.map((r) => r.to)).size).toBe(before.length);
    const silent = before.filter((c) => c.state !== 'CONFIRMED');
    expect(silent).toHaveLength(1);
    // Still waiting for the person: the deadline has not fired yet.
    expect(silent[0]).toMatchObject({ rung: 0, state: expect.stringMatching(/^(SENT|DELIVERED)$/) });

    expect(await aio!.stop('SIGKILL')).toBeNull();
    await withOutput(start());

    // State intact: the same call-outs, the confirmed still confirmed.
    const after = await callouts(warningId);
    const confirmed = (cs: Callout[]) =>
      cs
        .filter((c) => c.state === 'CONFIRMED')
        .map((c) => c.id)
        .sort();
    expect(confirmed(after)).toEqual(confirmed(before));
    expect(
      after
        .filter((c) => c.rung === 0)
        .map((c) => c.id)
        .sort(),
    ).toEqual(before.map((c) => c.id).sort());

    // The ack deadline that fell due while the process was down fires: the person escalates and
    // the first ladder step is called.
    await withOutput(
      waitFor(
        async () => {
          const cs = await callouts(warningId);
          const subject = cs.find((c) => c.id === silent[0].id)!;
          const step = cs.find((c) => c.subject_callout_id === silent[0].id && c.rung === 1);
          return subject.state === 'ESCALATED' && step ? step : undefined;
        },
        'the overdue deadline to escalate after the restart',
        ACK_DEADLINE_SEC * 1000 + 120_000,
        500,
      ),
    );
    await withOutput(
      waitFor(
        async () => (await simRecords()).some((r) => r.kind === 'sms' && purposeOf(r) === 'escalation'),
        'the escalation SMS at the (restarted) simulator',
        60_000,
        500,
      ),
    );
    // Nobody was called a second time: after the restart only the escalation was sent.
    const sentAfter = (await simRecords()).filter((r) => r.kind === 'sms');
    expect(sentAfter.map(purposeOf)).toEqual(sentAfter.map(() => 'escalation'));
  }, 600_000);
});
