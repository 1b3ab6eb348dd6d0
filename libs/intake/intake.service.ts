import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { CoverageAlert } from '../../contracts/generated/coverage-alert';
import { WarningMessage } from '../../contracts/generated/warning';
import { hazardTopic, TOPICS } from '../../contracts/topics';
import { Db, Queryable } from '../db/db';
import { Outbox } from '../kafka/outbox';
import { capToWarning, UnmappedArea as UnmappedAreaRecord } from './cap/cap-to-warning';
import { IntakeChannel, IntakeRepository, PriorReceipt } from './intake.repository';
import { draftWarning, FieldError } from './warning-request';
import { formatWarningId } from './warning-id';
import { checkWarning, expiryErrors } from './warning-rules';

export type OfficerResult =
  | { ok: true; warning: WarningMessage; unmappedAreas: UnmappedAreaRecord[]; duplicate?: boolean }
  | { ok: false; status: 400 | 404 | 409; errors: FieldError[] };

export type CapIntakeResult =
  | { kind: 'published'; warning: WarningMessage; unmappedAreas: UnmappedAreaRecord[] }
  | { kind: 'record-only'; reason: string; identifier: string; warning?: WarningMessage }
  | { kind: 'rejected'; reasons: string[] }
  /** The id names a different message received before; refused and recorded. */
  | { kind: 'conflict'; reasons: string[] }
  | { kind: 'duplicate'; sourceRef?: string };

export interface IntakeOptions {
  /** DDDUUU or DDDUUUXX, the middle of generated national ids. */
  issuerCode: string;
  /** Sender of officer-issued warnings that name none. */
  sender: string;
  /** Called after a transaction that added to the outbox commits (the relay publishes soon). */
  nudge: () => void;
  clock?: () => Date;
}

const PLACEHOLDER_ID = 'pending-id';

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

type Receipt =
  { kind: 'new' } | { kind: 'duplicate'; prior: PriorReceipt } | { kind: 'conflict'; reason: string };

/**
 * A warning id names one message: the same bytes again (or the same Kafka position) are a
 * redelivery; anything else under that id would overwrite a warning people were called for, and
 * changes come only as an Update or Cancel with an id of its own that references it.
 */
function receiptOf(id: string, prior: PriorReceipt[], digest: string, sourceRef?: string): Receipt {
  const same = prior.find((p) => (sourceRef && p.sourceRef === sourceRef) || p.digest === digest);
  if (same) return { kind: 'duplicate', prior: same };
  if (prior.length === 0) return { kind: 'new' };
  const first = prior[0];
  return {
    kind: 'conflict',
    reason: `warning id ${id} was received before (${first.channel}, ${first.receivedAt}) with other content; a change to it is an Update or Cancel with an id of its own that references ${id}`,
  };
}

/**
 * The intake use cases, free of HTTP and Kafka: a duty officer's issue / update / cancel, and a CAP
 * message from the HTTP endpoint or the warnings.cap topic. An accepted warning is recorded and put
 * in the outbox for its hazard topic in one transaction (it never bypasses Kafka); unknown areas are
 * recorded and raised on alerts.coverage; a rejection is recorded with its reasons.
 */
export class IntakeService {
  private readonly logger = new Logger(IntakeService.name);
  private readonly repo = new IntakeRepository();
  private readonly outbox = new Outbox('intake');
  private readonly clock: () => Date;

  constructor(
    private readonly db: Db,
    private readonly opts: IntakeOptions,
  ) {
    this.clock = opts.clock ?? (() => new Date());
  }

  issue(body: unknown): Promise<OfficerResult> {
    return this.fromOfficer(body, 'Alert');
  }

  async update(id: string, body: unknown): Promise<OfficerResult> {
    return this.fromOfficer(body, 'Update', id, await this.repo.latest(this.db, id));
  }

  async cancel(id: string, body: unknown): Promise<OfficerResult> {
    const base = await this.repo.latest(this.db, id);
    if (!base)
      return {
        ok: false,
        status: 404,
        errors: [{ field: 'id', message: `warning ${id} is not known to intake; nothing to cancel` }],
      };
    return this.fromOfficer(body ?? {}, 'Cancel', id, base);
  }

  private async fromOfficer(
    body: unknown,
    msgType: WarningMessage['msgType'],
    refersTo?: string,
    base?: WarningMessage,
  ): Promise<OfficerResult> {
    const now = this.clock();
    const draft = draftWarning(body, {
      msgType,
      refersTo,
      base,
      placeholderId: PLACEHOLDER_ID,
      now,
      defaultSender: this.opts.sender,
    });
    if (!draft.ok) {
      await this.repo.insertRejection(this.db, {
        channel: 'api',
        identifier: refersTo,
        reasons: draft.errors.map((e) => `${e.field}: ${e.message}`),
        raw: Buffer.from(JSON.stringify(body ?? null)),
      });
      return { ok: false, status: 400, errors: draft.errors };
    }
    const w = draft.warning;
    const unmapped = this.unmappedOf(w);
    // The request as sent, and what it asks (an update or cancel of :id is another request than an issue).
    const digest = sha256(`${msgType} ${refersTo ?? ''} ${JSON.stringify(body ?? null)}`);
    const receipt = await this.db.transaction(async (tx): Promise<Receipt> => {
      if (w.id === PLACEHOLDER_ID) w.id = await this.generateId(tx, w.areas[0].code, now);
      const seen = receiptOf(w.id, await this.repo.receiptsOf(tx, w.id), digest);
      if (seen.kind === 'new') await this.accept(tx, w, unmapped, 'api', digest);
      return seen;
    });
    if (receipt.kind === 'conflict') {
      await this.repo.insertRejection(this.db, {
        channel: 'api',
        identifier: w.id,
        reasons: [receipt.reason],
        raw: Buffer.from(JSON.stringify(body ?? null)),
      });
      this.logger.warn(`${msgType} ${w.id} refused: ${receipt.reason}`);
      return { ok: false, status: 409, errors: [{ field: 'id', message: receipt.reason }] };
    }
    if (receipt.kind === 'duplicate')
      return { ok: true, warning: receipt.prior.content ?? w, unmappedAreas: unmapped, duplicate: true };
    this.opts.nudge();
    this.logger.log(
      `${msgType} ${w.id} (${w.hazard}/${w.subtype}/${w.level ?? 'no level'}) queued for publishing`,
    );
    return { ok: true, warning: w, unmappedAreas: unmapped };
  }

  /** Records a message refused before it could be read (e.g. a body over the size limit). */
  async recordRefused(channel: IntakeChannel, reasons: string[]): Promise<void> {
    await this.repo.insertRejection(this.db, { channel, reasons });
    this.logger.warn(`${channel} refused: ${reasons.join('; ')}`);
  }

  /** A CAP message (bytes as received). `sourceRef` identifies a Kafka message so redelivery is absorbed. */
  async acceptCap(bytes: Buffer, channel: IntakeChannel, sourceRef?: string): Promise<CapIntakeResult> {
    const r = capToWarning(bytes);
    if (r.kind === 'rejected')
      return this.refuseCap('rejected', r.reasons, bytes, channel, sourceRef, r.identifier);
    const expired = r.kind === 'warning' ? expiryErrors(r.warning, this.clock()) : [];
    if (expired.length)
      return this.refuseCap('rejected', expired, bytes, channel, sourceRef, r.cap.identifier);
    const digest = sha256(bytes);
    const identifier = r.kind === 'warning' ? r.warning.id : r.cap.identifier;
    const outcome = await this.db.transaction(async (tx): Promise<Receipt | { kind: 'fresh' }> => {
      const seen = receiptOf(identifier, await this.repo.receiptsOf(tx, identifier), digest, sourceRef);
      if (seen.kind !== 'new') return seen;
      if (r.kind === 'warning') await this.accept(tx, r.warning, r.unmappedAreas, channel, digest, sourceRef);
      else
        await this.repo.insertReceived(tx, {
          warningId: r.cap.identifier,
          channel,
          sourceRef,
          outcome: 'record-only',
          note: r.reason,
          sender: r.cap.sender,
          msgType: r.cap.msgType,
          status: r.cap.status,
          references: r.cap.references,
          warning: r.warning,
          digest,
        });
      return { kind: 'fresh' };
    });
    if (outcome.kind === 'conflict')
      return this.refuseCap('conflict', [outcome.reason], bytes, channel, sourceRef, identifier);
    if (outcome.kind === 'duplicate') return { kind: 'duplicate', sourceRef };
    if (r.kind === 'record-only')
      return { kind: 'record-only', reason: r.reason, identifier: r.cap.identifier, warning: r.warning };
    this.opts.nudge();
    return { kind: 'published', warning: r.warning, unmappedAreas: r.unmappedAreas };
  }

  /** Records a refused CAP message with its reasons (and its first bytes). */
  private async refuseCap(
    kind: 'rejected' | 'conflict',
    reasons: string[],
    bytes: Buffer,
    channel: IntakeChannel,
    sourceRef?: string,
    identifier?: string,
  ): Promise<CapIntakeResult> {
    await this.repo.insertRejection(this.db, { channel, sourceRef, identifier, reasons, raw: bytes });
    this.logger.warn(`CAP ${kind} (${channel}${sourceRef ? ` ${sourceRef}` : ''}): ${reasons.join('; ')}`);
    return { kind, reasons };
  }

  /** Records the warning, its unknown areas, and queues it (and the alerts) for Kafka. */
  private async accept(
    tx: Queryable,
    w: WarningMessage,
    unmapped: UnmappedAreaRecord[],
    channel: IntakeChannel,
    digest: string,
    sourceRef?: string,
  ): Promise<void> {
    await this.repo.insertReceived(tx, {
      warningId: w.id,
      channel,
      sourceRef,
      outcome: 'published',
      msgType: w.msgType,
      status: w.status,
      warning: w,
      digest,
    });
    await this.repo.insertUnmapped(tx, w.id, unmapped);
    await this.outbox.add(tx, hazardTopic(w.hazard).name, [{ key: w.id, value: w }]);
    if (unmapped.length)
      await this.outbox.add(
        tx,
        TOPICS.coverageAlerts.name,
        unmapped.map((a) => ({ key: w.id, value: this.unmappedAlert(w, a) })),
      );
  }

  private unmappedAlert(w: WarningMessage, a: UnmappedAreaRecord): CoverageAlert {
    const what = a.code ?? a.name ?? '?';
    return {
      schemaVersion: 1,
      alertId: `${w.id}:unmapped:${what}`,
      warningId: w.id,
      kind: 'unmapped-area',
      ...(a.code ? { areaCode: a.code } : {}),
      ...(a.name ? { areaName: a.name } : {}),
      message: `预警 ${w.id} 的影响区域 ${what} 无法对应到已知行政区划，请值班员核实 / area ${what} of warning ${w.id} maps to no known division: ${a.reason}`,
      details: { reason: a.reason, source: w.source ?? 'upstream' },
      at: this.clock().toISOString(),
    };
  }

  /** Unknown area codes of an officer's warning (checkWarning lets them through when one area is known). */
  private unmappedOf(w: WarningMessage): UnmappedAreaRecord[] {
    return checkWarning(w).unmappedAreas.map((code) => ({
      code,
      name: w.areas.find((a) => a.code === code)?.name ?? null,
      reason: `area code ${code} is not a known division`,
    }));
  }

  /** ZZZZZZ + issuer + Beijing time + the first free sequence digit of that second. */
  private async generateId(tx: Queryable, areaCode: string, at: Date): Promise<string> {
    for (let seq = 1; ; seq++) {
      const id = formatWarningId(areaCode, this.opts.issuerCode, at, seq);
      if (await this.repo.claimId(tx, id)) return id;
    }
  }
}
