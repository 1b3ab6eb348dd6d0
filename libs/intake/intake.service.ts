import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { CoverageAlert } from '../../contracts/generated/coverage-alert';
import { WarningMessage } from '../../contracts/generated/warning';
import { hazardTopic, TOPICS } from '../../contracts/topics';
import { Clock, systemClock } from '../common/clock';
import { Db, Queryable } from '../db/db';
import { Outbox } from '../kafka/outbox';
import { shapesFromGeoJson, VillagePoint, villagesIn } from './cap/area-shapes';
import { capToWarning, UnmappedArea as UnmappedAreaRecord } from './cap/cap-to-warning';
import { HeldWarning, IntakeChannel, IntakeRepository, PriorReceipt } from './intake.repository';
import { divisionName, isKnownDivision } from './known-divisions';
import { DraftContext, draftWarning, FieldError } from './warning-request';
import { formatWarningId } from './warning-id';
import { checkWarning, expiryErrors } from './warning-rules';

export type OfficerResult =
  | { ok: true; warning: WarningMessage; unmappedAreas: UnmappedAreaRecord[]; duplicate?: boolean }
  | { ok: false; status: 400 | 404 | 409; errors: FieldError[] };

export type CapIntakeResult =
  | { kind: 'published'; warning: WarningMessage; unmappedAreas: UnmappedAreaRecord[] }
  | { kind: 'record-only'; reason: string; identifier: string; warning?: WarningMessage }
  | { kind: 'held'; warning: WarningMessage; unmappedAreas: UnmappedAreaRecord[] }
  | { kind: 'rejected'; reasons: string[] }
  /** The id names a different message received before; refused and recorded. */
  | { kind: 'conflict'; reasons: string[] }
  | { kind: 'duplicate'; sourceRef?: string };

export type MappingResult =
  | { ok: true; warning: WarningMessage; held: HeldWarning }
  | { ok: false; status: 400 | 404 | 409; errors: FieldError[] };

export interface IntakeOptions {
  /** DDDUUU or DDDUUUXX, the middle of generated national ids. */
  issuerCode: string;
  /** Sender of officer-issued warnings that name none. */
  sender: string;
  /** Called after a transaction that added to the outbox commits (the relay publishes soon). */
  nudge: () => void;
  clock?: Clock;
  /** This centre's own area (a division code): settles a division name several places share. */
  homeArea?: string;
  /** Villages with a point (the directory's): a CAP polygon or circle maps to those inside. */
  villages?: () => Promise<VillagePoint[]>;
}

/** How long the village points read for polygons are reused. */
const VILLAGES_TTL_MS = 60_000;

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
  private readonly outbox = new Outbox('intake');
  private readonly clock: Clock;
  private villageCache: { at: number; points: Promise<VillagePoint[]> } | undefined;

  constructor(
    private readonly db: Db,
    private readonly opts: IntakeOptions,
    private readonly repo: IntakeRepository = new IntakeRepository(),
  ) {
    this.clock = opts.clock ?? systemClock;
  }

  issue(body: unknown): Promise<OfficerResult> {
    return this.fromOfficer(body, { msgType: 'Alert' });
  }

  /**
   * The verification campaign's warning (libs/drills/verification.service.ts, which checks the
   * window and the caller first): the one request that may carry `purpose: verification`.
   */
  issueVerification(body: unknown): Promise<OfficerResult> {
    return this.fromOfficer(body, { msgType: 'Alert', campaign: true });
  }

  async update(id: string, body: unknown): Promise<OfficerResult> {
    return this.fromOfficer(body, {
      msgType: 'Update',
      refersTo: id,
      base: await this.repo.latest(this.db, id),
    });
  }

  async cancel(id: string, body: unknown): Promise<OfficerResult> {
    const base = await this.repo.latest(this.db, id);
    if (!base)
      return {
        ok: false,
        status: 404,
        errors: [{ field: 'id', message: `warning ${id} is not known to intake; nothing to cancel` }],
      };
    return this.fromOfficer(body ?? {}, { msgType: 'Cancel', refersTo: id, base });
  }

  /** A request of the duty officer's API (or the verification campaign's): drafted, checked, queued. */
  private async fromOfficer(
    body: unknown,
    kind: Pick<DraftContext, 'msgType' | 'refersTo' | 'base' | 'campaign'>,
  ): Promise<OfficerResult> {
    const now = this.clock.now();
    const { msgType, refersTo } = kind;
    const draft = draftWarning(body, {
      ...kind,
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
    const r = capToWarning(bytes, { homeArea: this.opts.homeArea, villages: await this.villagePoints() });
    if (r.kind === 'rejected')
      return this.refuseCap('rejected', r.reasons, bytes, channel, sourceRef, r.identifier);
    const expired = r.kind === 'record-only' ? [] : expiryErrors(r.warning, this.clock.now());
    if (expired.length)
      return this.refuseCap('rejected', expired, bytes, channel, sourceRef, r.cap.identifier);
    let held = false;
    if (r.kind === 'needs-mapping') {
      // A cancel lifts what it cancels: its areas need no mapping of their own.
      const cancelled =
        r.warning.msgType === 'Cancel' && r.warning.references?.length
          ? await this.repo.latest(this.db, r.warning.references[0])
          : undefined;
      if (cancelled?.areas.length) r.warning.areas = cancelled.areas;
      else held = true;
    }
    const digest = sha256(bytes);
    const identifier = r.kind === 'record-only' ? r.cap.identifier : r.warning.id;
    const unmapped = r.unmappedAreas;
    const outcome = await this.db.transaction(async (tx): Promise<Receipt | { kind: 'fresh' }> => {
      const seen = receiptOf(identifier, await this.repo.receiptsOf(tx, identifier), digest, sourceRef);
      if (seen.kind !== 'new') return seen;
      if (r.kind === 'record-only')
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
      else if (held) await this.hold(tx, r.warning, unmapped, channel, digest, sourceRef);
      else {
        await this.accept(tx, r.warning, unmapped, channel, digest, sourceRef);
        // The areas that mapped are called now; the rest wait for the duty officer.
        if (unmapped.length > 0 && ['Actual', 'Exercise'].includes(r.warning.status))
          await this.holdIn(tx, r.warning, unmapped, channel, true);
      }
      return { kind: 'fresh' };
    });
    if (outcome.kind === 'conflict')
      return this.refuseCap('conflict', [outcome.reason], bytes, channel, sourceRef, identifier);
    if (outcome.kind === 'duplicate') return { kind: 'duplicate', sourceRef };
    if (r.kind === 'record-only')
      return { kind: 'record-only', reason: r.reason, identifier: r.cap.identifier, warning: r.warning };
    this.opts.nudge();
    if (held) {
      this.logger.warn(
        `CAP ${r.warning.id} held for mapping: ${unmapped.map((u) => u.name ?? u.code).join(', ')}`,
      );
      return { kind: 'held', warning: r.warning, unmappedAreas: unmapped };
    }
    return { kind: 'published', warning: r.warning, unmappedAreas: unmapped };
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

  /** Warnings waiting for the duty officer to name their divisions (and, optionally, those mapped today). */
  held(includeMapped = false): Promise<HeldWarning[]> {
    return this.repo.held(this.db, { includeMapped });
  }

  /**
   * The duty officer names the divisions of a held warning, in one step: a wholly held warning is
   * published with them; a warning whose other areas were dispatched gets an Update adding them.
   * The ledger records who mapped what (alerts.coverage, kind area-mapped, with the actor).
   */
  async mapHeld(warningId: string, body: unknown, actor: string): Promise<MappingResult> {
    const codes = parseMappingBody(body);
    if ('errors' in codes) return { ok: false, status: 400, errors: codes.errors };
    const unknown = codes.codes.filter((c) => !isKnownDivision(c));
    if (unknown.length)
      return {
        ok: false,
        status: 400,
        errors: unknown.map((c) => ({ field: 'areas', message: `${c} is not a known division code` })),
      };
    const areas = codes.codes.map((code) => {
      const name = divisionName(code);
      return { code, ...(name ? { name } : {}), how: 'officer' as const, via: actor.slice(0, 200) };
    });
    const now = this.clock.now();
    const outcome = await this.db.transaction(async (tx): Promise<MappingResult> => {
      const held = await this.repo.heldForUpdate(tx, warningId);
      if (!held)
        return {
          ok: false,
          status: 404,
          errors: [{ field: 'id', message: `no warning ${warningId} is held` }],
        };
      if (held.state !== 'needs-mapping')
        return {
          ok: false,
          status: 409,
          errors: [
            {
              field: 'id',
              message: `warning ${warningId} was mapped by ${held.mappedBy} at ${held.mappedAt}`,
            },
          ],
        };
      let w: WarningMessage;
      if (held.partial) {
        const base = (await this.repo.latest(tx, warningId)) ?? held.content;
        const known = new Set(base.areas.map((a) => a.code));
        const draft = draftWarning(
          { areas: [...base.areas, ...areas.filter((a) => !known.has(a.code))] },
          {
            msgType: 'Update',
            refersTo: warningId,
            base,
            placeholderId: PLACEHOLDER_ID,
            now,
            defaultSender: this.opts.sender,
          },
        );
        if (!draft.ok) return { ok: false, status: 400, errors: draft.errors };
        w = draft.warning;
        w.id = await this.generateId(tx, w.areas[0].code, now);
      } else {
        w = { ...held.content, areas: areas as WarningMessage['areas'] };
        const check = checkWarning(w);
        if (check.errors.length)
          return {
            ok: false,
            status: 400,
            errors: check.errors.map((message) => ({ field: 'areas', message })),
          };
      }
      await this.repo.markMapped(tx, warningId, actor, areas);
      await this.accept(tx, w, [], 'api', sha256(JSON.stringify(w)));
      await this.outbox.add(tx, TOPICS.coverageAlerts.name, [
        { key: warningId, value: this.mappedAlert(held, w, areas, actor, now) },
      ]);
      return {
        ok: true,
        warning: w,
        held: { ...held, state: 'mapped', mappedBy: actor, mappedAreas: areas },
      };
    });
    if (outcome.ok) {
      this.opts.nudge();
      this.logger.log(
        `held warning ${warningId} mapped by ${actor} to ${codes.codes.join(', ')}; ${outcome.warning.msgType} ${outcome.warning.id} queued`,
      );
    }
    return outcome;
  }

  /** The villages a pasted GeoJSON polygon covers (for the warning form's preview). */
  async previewShapes(
    geojson: unknown,
  ): Promise<
    { shapes: WarningMessage['geometry']; villages: { code: string; name: string }[] } | { error: string }
  > {
    const parsed = shapesFromGeoJson(typeof geojson === 'string' ? safeJson(geojson) : geojson);
    if ('error' in parsed) return parsed;
    const villages = villagesIn(parsed.shapes, await this.villagePoints()).map((v) => ({
      code: v.code,
      name: v.name,
    }));
    return { shapes: parsed.shapes, villages };
  }

  /** Records a wholly unmappable warning as held: received, waiting for the duty officer. */
  private async hold(
    tx: Queryable,
    w: WarningMessage,
    unmapped: UnmappedAreaRecord[],
    channel: IntakeChannel,
    digest: string,
    sourceRef: string | undefined,
  ): Promise<void> {
    await this.repo.insertReceived(tx, {
      warningId: w.id,
      channel,
      sourceRef,
      outcome: 'held',
      note: 'held: no affected area maps to a known division; waiting for the duty officer',
      msgType: w.msgType,
      status: w.status,
      warning: w,
      digest,
    });
    await this.holdIn(tx, w, unmapped, channel, false);
  }

  private async holdIn(
    tx: Queryable,
    w: WarningMessage,
    unmapped: UnmappedAreaRecord[],
    channel: IntakeChannel,
    partial: boolean,
  ): Promise<void> {
    if (!(await this.repo.insertHeld(tx, { warning: w, channel, partial, unmapped }))) return;
    if (!partial) await this.repo.insertUnmapped(tx, w.id, unmapped);
    const what = unmapped.map((u) => u.name ?? u.code ?? '?').join('、');
    const alert: CoverageAlert = {
      schemaVersion: 1,
      alertId: `${w.id}:needs-mapping`,
      warningId: w.id,
      kind: 'needs-mapping',
      message: partial
        ? `预警 ${w.id} 的部分影响区域（${what}）无法对应到行政区划，已对其余区域叫应；请值班员指定区划 / part of warning ${w.id} (${what}) maps to no division; the rest was dispatched`
        : `预警 ${w.id} 的影响区域（${what}）无法对应到行政区划，已暂停叫应，请值班员指定区划 / warning ${w.id} is held: its areas (${what}) map to no division`,
      details: { partial, unmapped, geometry: w.geometry ?? [] },
      at: this.clock.now().toISOString(),
    };
    await this.outbox.add(tx, TOPICS.coverageAlerts.name, [{ key: w.id, value: alert }]);
  }

  private mappedAlert(
    held: HeldWarning,
    w: WarningMessage,
    areas: { code: string; name?: string }[],
    actor: string,
    at: Date,
  ): CoverageAlert {
    const names = areas.map((a) => a.name ?? a.code).join('、');
    return {
      schemaVersion: 1,
      alertId: `${held.warningId}:area-mapped`,
      warningId: held.warningId,
      kind: 'area-mapped',
      actor,
      message: `值班员 ${actor} 将预警 ${held.warningId} 的影响区域指定为 ${names} / ${actor} mapped warning ${held.warningId} to ${areas.map((a) => a.code).join(', ')}`,
      details: {
        areas,
        unmapped: held.unmapped,
        published: { id: w.id, msgType: w.msgType },
      },
      at: at.toISOString(),
    };
  }

  /** The directory's village points, reused for a minute; none (polygons then map nowhere) when unreadable. */
  private async villagePoints(): Promise<VillagePoint[]> {
    if (!this.opts.villages) return [];
    const now = Date.now();
    if (!this.villageCache || now - this.villageCache.at > VILLAGES_TTL_MS) {
      const points = this.opts.villages().catch((e: Error) => {
        this.logger.warn(`village points unreadable, polygons map to no village for now: ${e.message}`);
        this.villageCache = undefined;
        return [];
      });
      this.villageCache = { at: now, points };
    }
    return this.villageCache.points;
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
      at: this.clock.now().toISOString(),
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

/** `{ "areas": ["140224000000", …] }` or `[{ "code": … }]`: the divisions an officer names (6, 9 or 12 digits). */
function parseMappingBody(body: unknown): { codes: string[] } | { errors: FieldError[] } {
  const list = (body as { areas?: unknown } | null)?.areas;
  if (!Array.isArray(list) || list.length === 0)
    return { errors: [{ field: 'areas', message: 'name at least one division code' }] };
  const codes: string[] = [];
  const errors: FieldError[] = [];
  list.forEach((x, i) => {
    const raw = typeof x === 'string' ? x : (x as { code?: unknown } | null)?.code;
    const code = typeof raw === 'string' ? raw.trim() : '';
    if (!/^(\d{6}|\d{9}|\d{12})$/.test(code))
      errors.push({ field: `areas[${i}]`, message: 'must be a 6-, 9- or 12-digit division code' });
    else codes.push(code.padEnd(12, '0'));
  });
  return errors.length ? { errors } : { codes: [...new Set(codes)] };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
