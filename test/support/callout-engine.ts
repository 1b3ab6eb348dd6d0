import type { WarningMessage } from '../../contracts/generated';
import { Clock, systemClock } from '../../libs/common/clock';
import { Db } from '../../libs/db/db';
import { CalloutOutboxRelay } from '../../libs/callout/callout-outbox.relay';
import { CapacityPredictor } from '../../libs/callout/capacity-progress';
import { CalloutQueryController } from '../../libs/callout/callout-query.controller';
import { CalloutQueryRepository } from '../../libs/callout/callout-query.repository';
import { CalloutRepository } from '../../libs/callout/callout.repository';
import { TargetDirectory } from '../../libs/callout/callout.types';
import { DeadlineRepository } from '../../libs/callout/deadline.repository';
import { DeadlineScanner, DeadlineScannerOptions } from '../../libs/callout/deadline-scanner';
import { DispatcherOptions, DispatcherService } from '../../libs/callout/dispatcher.service';
import { Policy } from '../../libs/callout/policy';
import { TrackerService } from '../../libs/callout/tracker.service';
import { WarningMessageRepository } from '../../libs/callout/warning-message.repository';

export interface CalloutEngineOptions {
  clock?: Clock;
  /** The capacity planner the dispatcher records its prediction with (none: no plan recorded). */
  predict?: CapacityPredictor;
  dispatcher?: DispatcherOptions;
  scanner?: DeadlineScannerOptions;
}

/**
 * The call-out engine wired as CalloutCoreModule and TrackerModule wire it, for integration specs
 * against a real database. No Kafka: the relay is never started, so the outbox keeps what the engine
 * wrote for the spec to read.
 */
export function calloutEngine(
  db: Db,
  directory: TargetDirectory,
  policy: Policy,
  opts: CalloutEngineOptions = {},
) {
  const clock = opts.clock ?? systemClock;
  const relay = new CalloutOutboxRelay(db, undefined as never);
  const callouts = new CalloutRepository(clock);
  const deadlines = new DeadlineRepository(clock);
  const messages = new WarningMessageRepository();
  const dispatcher = (options = opts.dispatcher) =>
    new DispatcherService(
      db,
      directory,
      policy,
      relay,
      callouts,
      messages,
      deadlines,
      clock,
      options,
      opts.predict,
    );
  const tracker = new TrackerService(db, directory, relay, callouts, deadlines, clock);
  const scanner = (options = opts.scanner) => new DeadlineScanner(db, tracker, deadlines, clock, options);
  return {
    relay,
    repositories: { callouts, deadlines, messages },
    dispatcher: dispatcher(),
    tracker,
    scanner: scanner(),
    /** Another dispatcher or scanner on the same database (a replica, other options). */
    newDispatcher: dispatcher,
    newScanner: scanner,
    controller: new CalloutQueryController(new CalloutQueryRepository(db), tracker, clock),
  };
}

let warningSeq = 0;
/**
 * A red flash-flood warning of 新荣区 as the hazard topics carry it, sent a minute before `at` (now
 * by default; a spec on a ManualClock passes the clock's time) and expiring six hours after it, with
 * a new id each time; `over` names its areas and anything else a spec needs.
 */
export function floodWarning(over: Partial<WarningMessage> = {}, at: Date = new Date()): WarningMessage {
  const now = at.getTime();
  const n = warningSeq++;
  return {
    schemaVersion: 1,
    id: `140212000000_2026070103000${n}_1`,
    msgType: 'Alert',
    status: 'Actual',
    sender: '新荣区水务局',
    sentAt: new Date(now - 60_000 + n).toISOString(),
    hazard: 'flood',
    subtype: 'flash-flood-risk',
    level: 'red',
    headline: '新荣镇山洪灾害气象风险红色预警',
    instruction: '立即组织危险区群众转移',
    areas: [{ code: '140212100000', name: '新荣镇' }],
    effective: new Date(now - 60_000).toISOString(),
    expires: new Date(now + 6 * 3600_000).toISOString(),
    ...over,
  };
}
