import { ManualClock } from '../../libs/common/clock';
import { Db } from '../../libs/db/db';
import { transition } from '../../libs/callout/callout-state';
import { CalloutOutboxRelay } from '../../libs/callout/callout-outbox.relay';
import { CalloutRepository } from '../../libs/callout/callout.repository';
import { CalloutRow, PolicySnapshot, TargetDirectory, WarningRow } from '../../libs/callout/callout.types';
import { DeadlineRepository } from '../../libs/callout/deadline.repository';
import { LevelPolicy } from '../../libs/callout/policy';
import { WarningMessageRepository } from '../../libs/callout/warning-message.repository';
import { LadderStep } from '../../libs/directory/directory.types';
import { automock } from './automock';

/**
 * Fakes for unit specs of the call-out engine's rules: automocked repositories (whose state
 * changes follow the real state machine), a database that refuses SQL, a clock that stands still.
 */
export function calloutFakes() {
  const tx = { query: () => Promise.reject(new Error('a unit spec runs no SQL')) };
  const db = {
    ...tx,
    transaction: <T>(fn: (q: typeof tx) => Promise<T>) => fn(tx),
  } as unknown as Db;
  const callouts = automock(CalloutRepository);
  callouts.apply.mockImplementation(async (_tx, c, event) => {
    const t = transition(c.state, event, c.rung);
    return t.ok ? { ...c, state: t.to } : undefined;
  });
  callouts.applyMany.mockImplementation(async (_tx, list) =>
    list.map(({ c, event }) => {
      const t = transition(c.state, event, c.rung);
      return t.ok ? { ...c, state: t.to } : undefined;
    }),
  );
  callouts.insertCallouts.mockImplementation(async (_tx, list, state) =>
    list.map((n) =>
      calloutRow({
        id: n.id,
        warning_id: n.warningId,
        person_id: n.personId,
        person_name: n.personName,
        level: n.level,
        rung: n.rung,
        subject_callout_id: n.subjectCalloutId,
        state,
      }),
    ),
  );
  callouts.firstTime.mockResolvedValue(true);
  callouts.firstTimes.mockImplementation(async (_tx, ids) => new Set(ids));
  callouts.withLadderSteps.mockResolvedValue([]);
  return {
    db,
    clock: new ManualClock('2026-07-01T00:00:00Z'),
    relay: { nudge: jest.fn() } as unknown as CalloutOutboxRelay,
    directory: { resolve: jest.fn(), ladder: jest.fn() } satisfies jest.Mocked<TargetDirectory>,
    callouts,
    deadlines: automock(DeadlineRepository),
    messages: automock(WarningMessageRepository),
  };
}

/** A red flood level: voice and SMS at once, two redials, a two-step ladder walked twice. */
export const RED: LevelPolicy = {
  targets: [{ role: 'flood-control' }],
  channels: ['voice', 'sms'],
  voiceFallbackAfterSec: null,
  ackDeadlineSec: 300,
  redials: 2,
  redialIntervalSec: 60,
  escalationSteps: 2,
  escalationAckDeadlineSec: 120,
  escalationChannels: ['voice', 'sms'],
  repeatLimit: 2,
};

/** A yellow level: SMS first, a voice call when still unconfirmed after 10 minutes. */
export const YELLOW: LevelPolicy = {
  ...RED,
  channels: ['sms'],
  voiceFallbackAfterSec: 600,
  ackDeadlineSec: 1800,
};

export const SNAPSHOT: PolicySnapshot = {
  version: 'test',
  levels: { red: RED, yellow: YELLOW, orange: RED },
};

export function warningRow(over: Partial<WarningRow> = {}): WarningRow {
  return {
    id: 'W1',
    seq: 1,
    hazard: 'flood',
    subtype: 'flash-flood',
    level: 'red',
    status: 'Actual',
    drill: false,
    headline: '山洪红色预警',
    sent_at: new Date('2026-07-01T00:00:00Z'),
    expires: new Date('2026-07-01T12:00:00Z'),
    area_codes: ['140213100201'],
    content: null,
    policy: SNAPSHOT,
    state: 'active',
    ...over,
  };
}

export function calloutRow(over: Partial<CalloutRow> = {}): CalloutRow {
  return {
    id: 'W1/red/P1',
    warning_id: 'W1',
    person_id: 'P1',
    person_name: '张三',
    phone: '+8613800000001',
    role: 'flood-control',
    area_code: '140213100201',
    area_name: '一村',
    level: 'red',
    rung: 0,
    subject_callout_id: null,
    state: 'SENT',
    late: false,
    handled_by: null,
    ladder: null,
    ladder_pos: 0,
    round: 1, // the first walk of the ladder (the column's default)
    attempts: 2,
    redials_used: 0,
    superseded: false,
    created_at: new Date('2026-07-01T00:00:00Z'),
    updated_at: new Date('2026-07-01T00:00:00Z'),
    confirmed_at: null,
    ...over,
  };
}

export function ladderStep(personId: string, kind: LadderStep['kind'] = 'superior'): LadderStep {
  return {
    kind,
    personId,
    name: `${personId} 的名字`,
    phone: '+8613900000000',
    role: 'party-gov-head',
    areaCode: '140213100000',
    areaName: '一镇',
  };
}
