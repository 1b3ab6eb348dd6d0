import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob, CronTime } from 'cron';
import { randomUUID } from 'node:crypto';
import { IntakeService } from '../intake/intake.service';
import {
  DrillSchedule,
  drillWarningId,
  drillWarningRequest,
  firesAt,
  nextFires,
  parseDrillSchedule,
  ParsedSchedule,
} from './drill-schedule';
import { DrillRun, DrillsRepository, StoredSchedule } from './drills.repository';

/** How often every replica re-reads the schedules (an edit made through another replica). */
export const DRILL_SYNC_MS = 5_000;
const jobName = (id: string) => `drill:${id}`;

export type ScheduleResult = { ok: true; schedule: StoredSchedule } | { ok: false; errors: string[] };

/**
 * Scheduled drills: the schedules are rows; each replica keeps one @nestjs/schedule cron job per
 * enabled schedule (re-read every few seconds), and a tick issues the drill only when it claims the
 * fire's run row, so replicas never issue one fire twice. The drill goes through intake like the duty
 * officer's own warning (the same validation, id, outbox and hazard topic), as an Exercise.
 */
@Injectable()
export class DrillsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DrillsService.name);
  private readonly versions = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly repo: DrillsRepository,
    private readonly intake: Pick<IntakeService, 'issue'>,
    private readonly registry: SchedulerRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.sync();
    await this.issueUnissued();
    this.timer = setInterval(() => {
      this.sync().catch((e: Error) => this.logger.warn(`drill schedules not re-read: ${e.message}`));
    }, DRILL_SYNC_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    for (const id of [...this.versions.keys()]) this.unregister(id);
  }

  async create(raw: unknown, actor: string): Promise<ScheduleResult> {
    const p = parseDrillSchedule(raw);
    if (!p.ok) return p;
    const s = await this.repo.create(randomUUID().slice(0, 8), p.schedule, actor);
    await this.sync();
    return { ok: true, schedule: s };
  }

  async update(id: string, raw: unknown, actor: string): Promise<ScheduleResult | undefined> {
    const p: ParsedSchedule = parseDrillSchedule(raw);
    if (!p.ok) return p;
    const s = await this.repo.update(id, p.schedule, actor);
    await this.sync();
    return s ? { ok: true, schedule: s } : undefined;
  }

  async remove(id: string, actor: string): Promise<boolean> {
    const removed = await this.repo.remove(id, actor);
    await this.sync();
    return removed;
  }

  async list(): Promise<(StoredSchedule & { nextFires: string[] })[]> {
    return (await this.repo.list()).map((s) => ({
      ...s,
      nextFires: s.enabled ? nextFires(s.spec, 3).map((d) => d.toISOString()) : [],
    }));
  }

  get(id: string): Promise<StoredSchedule | undefined> {
    return this.repo.get(id);
  }

  runs(scheduleId?: string): Promise<DrillRun[]> {
    return this.repo.runs(scheduleId);
  }

  /** Registers, replaces or drops cron jobs so they match the stored schedules. */
  async sync(): Promise<void> {
    const stored = await this.repo.list();
    const wanted = new Map(stored.filter((s) => s.enabled).map((s) => [s.id, s]));
    for (const id of [...this.versions.keys()])
      if (wanted.get(id)?.version !== this.versions.get(id)) this.unregister(id);
    for (const s of wanted.values()) if (!this.versions.has(s.id)) this.register(s);
  }

  private register(s: StoredSchedule): void {
    const job = CronJob.from({
      cronTime: s.spec.cron,
      timeZone: s.spec.timeZone,
      start: true,
      onTick: () => {
        this.fire(s.id, s.spec, scheduledTick(s.spec, new Date())).catch((e: Error) =>
          this.logger.error(`drill ${s.id} not issued: ${e.message}`),
        );
      },
    });
    this.registry.addCronJob(jobName(s.id), job as never);
    this.versions.set(s.id, s.version);
  }

  private unregister(id: string): void {
    if (this.registry.doesExist('cron', jobName(id))) this.registry.deleteCronJob(jobName(id));
    this.versions.delete(id);
  }

  /** One fire: claimed by one replica, then issued through intake. */
  async fire(scheduleId: string, spec: DrillSchedule, at: Date): Promise<'issued' | 'skipped' | 'taken'> {
    if (!firesAt(spec, at)) return 'skipped';
    if (!(await this.repo.claimRun(scheduleId, at, drillWarningId(scheduleId, at)))) return 'taken';
    await this.issue(scheduleId, spec, at);
    return 'issued';
  }

  private async issue(scheduleId: string, spec: DrillSchedule, at: Date): Promise<void> {
    const r = await this.intake.issue(drillWarningRequest(scheduleId, spec, at));
    const outcome = r.ok
      ? r.duplicate
        ? 'issued (repeat)'
        : 'issued'
      : `refused: ${r.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`;
    await this.repo.runIssued(scheduleId, at, outcome);
    this.logger.log(`drill ${scheduleId} at ${at.toISOString()}: ${outcome}`);
  }

  /** Fires claimed before a crash and never issued: issued now (intake takes a repeat as one). */
  private async issueUnissued(): Promise<void> {
    for (const run of await this.repo.unissuedRuns()) {
      const s = await this.repo.get(run.scheduleId);
      if (s) await this.issue(s.id, s.spec, new Date(run.fireAt));
    }
  }
}

/**
 * The cron instant a tick stands for: the latest one not after now (plus a little for a timer that
 * fired early), so every replica names the same fire even when its timer ran late.
 */
export function scheduledTick(spec: DrillSchedule, now: Date): Date {
  const time = new CronTime(spec.cron, spec.timeZone);
  let cursor = new Date(now.getTime() - 3600_000);
  let last = now;
  for (let guard = 0; guard < 100_000; guard++) {
    const next = time.getNextDateFrom(cursor, spec.timeZone).toJSDate();
    if (next.getTime() > now.getTime() + 500) break;
    last = next;
    cursor = next;
  }
  return last;
}
