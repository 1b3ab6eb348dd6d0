import { WarningMessage } from '../../contracts/generated/warning';
import { Queryable } from '../db/db';
import { UnmappedArea } from './cap/cap-to-warning';

/** How a message reached intake. */
export type IntakeChannel = 'api' | 'cap-http' | 'cap-kafka';

export interface ReceivedRecord {
  warningId: string;
  channel: IntakeChannel;
  sourceRef?: string;
  outcome: 'published' | 'record-only' | 'held';
  note?: string;
  sender?: string;
  msgType: string;
  status: string;
  references?: string[];
  warning?: WarningMessage;
  /** SHA-256 (hex) of the message as received. */
  digest: string;
}

/** An earlier receipt of a warning id. */
export interface PriorReceipt {
  channel: IntakeChannel;
  sourceRef: string | null;
  digest: string | null;
  receivedAt: string;
  content: WarningMessage | null;
}

export interface RejectionRecord {
  channel: IntakeChannel;
  sourceRef?: string;
  identifier?: string;
  reasons: string[];
  raw?: Buffer;
}

/** A warning waiting for the duty officer to name its divisions. */
export interface HeldWarning {
  warningId: string;
  channel: IntakeChannel;
  state: 'needs-mapping' | 'mapped';
  partial: boolean;
  content: WarningMessage;
  unmapped: UnmappedArea[];
  heldAt: string;
  mappedAt: string | null;
  mappedBy: string | null;
  mappedAreas: { code: string; name?: string }[] | null;
}

interface HeldRow {
  warning_id: string;
  channel: IntakeChannel;
  state: 'needs-mapping' | 'mapped';
  partial: boolean;
  content: WarningMessage;
  unmapped: UnmappedArea[];
  held_at: Date;
  mapped_at: Date | null;
  mapped_by: string | null;
  mapped_areas: { code: string; name?: string }[] | null;
}

const heldOf = (r: HeldRow): HeldWarning => ({
  warningId: r.warning_id,
  channel: r.channel,
  state: r.state,
  partial: r.partial,
  content: r.content,
  unmapped: r.unmapped,
  heldAt: new Date(r.held_at).toISOString(),
  mappedAt: r.mapped_at ? new Date(r.mapped_at).toISOString() : null,
  mappedBy: r.mapped_by,
  mappedAreas: r.mapped_areas,
});

/** What is kept of a rejected message: enough to show and fix it, bounded in size. */
const RAW_KEPT_BYTES = 64 * 1024;

/** SQL of the intake schema (libs/intake/migrations). */
export class IntakeRepository {
  /** Records a received message; false when its source (a Kafka position) was recorded before. */
  async insertReceived(tx: Queryable, r: ReceivedRecord): Promise<boolean> {
    const w = r.warning;
    const res = await tx.query(
      `INSERT INTO intake.received (warning_id, channel, source_ref, outcome, note, sender, msg_type, status,
         hazard, subtype, level, references_ids, content, message_sha256)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14)
       ON CONFLICT (source_ref) DO NOTHING`,
      [
        r.warningId,
        r.channel,
        r.sourceRef ?? null,
        r.outcome,
        r.note ?? null,
        w?.sender ?? r.sender ?? null,
        r.msgType,
        r.status,
        w?.hazard ?? null,
        w?.subtype ?? null,
        w?.level ?? null,
        w?.references ?? r.references ?? [],
        w ? JSON.stringify(w) : null,
        r.digest,
      ],
    );
    return res.rowCount === 1;
  }

  /**
   * Every earlier receipt of a warning id, oldest first. Holds a transaction lock on the id first,
   * so two messages with one id are decided one after the other.
   */
  async receiptsOf(tx: Queryable, warningId: string): Promise<PriorReceipt[]> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('intake.received'), hashtext($1))`, [warningId]);
    const { rows } = await tx.query<{
      channel: IntakeChannel;
      source_ref: string | null;
      message_sha256: string | null;
      received_at: Date | string;
      content: WarningMessage | null;
    }>(
      `SELECT channel, source_ref, message_sha256, received_at, content FROM intake.received
       WHERE warning_id = $1 ORDER BY id`,
      [warningId],
    );
    return rows.map((r) => ({
      channel: r.channel,
      sourceRef: r.source_ref,
      digest: r.message_sha256,
      receivedAt: new Date(r.received_at).toISOString(),
      content: r.content,
    }));
  }

  async insertUnmapped(tx: Queryable, warningId: string, areas: UnmappedArea[]): Promise<void> {
    for (const a of areas)
      await tx.query(
        `INSERT INTO intake.unmapped_areas (warning_id, area_code, area_name, reason) VALUES ($1, $2, $3, $4)`,
        [warningId, a.code, a.name, a.reason],
      );
  }

  /** Records a rejection; a redelivered Kafka message (same source) is recorded once. */
  async insertRejection(db: Queryable, r: RejectionRecord): Promise<void> {
    await db.query(
      `INSERT INTO intake.rejections (channel, source_ref, identifier, reason, reasons, raw_size, raw)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)
       ON CONFLICT (source_ref) DO NOTHING`,
      [
        r.channel,
        r.sourceRef ?? null,
        r.identifier ?? null,
        r.reasons.join('; ').slice(0, 8000),
        JSON.stringify(r.reasons),
        r.raw?.length ?? null,
        r.raw ? r.raw.subarray(0, RAW_KEPT_BYTES) : null,
      ],
    );
  }

  /** The latest canonical content intake holds for a warning id (from any channel). */
  async latest(db: Queryable, warningId: string): Promise<WarningMessage | undefined> {
    const { rows } = await db.query<{ content: WarningMessage }>(
      `SELECT content FROM intake.received WHERE warning_id = $1 AND content IS NOT NULL ORDER BY id DESC LIMIT 1`,
      [warningId],
    );
    return rows[0]?.content;
  }

  /** Claims a generated identifier; false when it was taken (the caller tries the next sequence). */
  async claimId(tx: Queryable, warningId: string): Promise<boolean> {
    const r = await tx.query(
      `INSERT INTO intake.issued_ids (warning_id) VALUES ($1) ON CONFLICT DO NOTHING`,
      [warningId],
    );
    return r.rowCount === 1;
  }

  /** Holds a warning for mapping; false when it is held already (a resend). */
  async insertHeld(
    tx: Queryable,
    h: { warning: WarningMessage; channel: IntakeChannel; partial: boolean; unmapped: UnmappedArea[] },
  ): Promise<boolean> {
    const r = await tx.query(
      `INSERT INTO intake.held_warnings (warning_id, channel, state, partial, content, unmapped)
       VALUES ($1, $2, 'needs-mapping', $3, $4::jsonb, $5::jsonb) ON CONFLICT (warning_id) DO NOTHING`,
      [h.warning.id, h.channel, h.partial, JSON.stringify(h.warning), JSON.stringify(h.unmapped)],
    );
    return r.rowCount === 1;
  }

  /** Warnings waiting for mapping, oldest first, then those mapped lately (for the record). */
  async held(db: Queryable, opts: { includeMapped?: boolean } = {}): Promise<HeldWarning[]> {
    const { rows } = await db.query<HeldRow>(
      `SELECT * FROM intake.held_warnings
        WHERE state = 'needs-mapping' OR ($1 AND mapped_at > now() - interval '1 day')
        ORDER BY state DESC, held_at LIMIT 200`,
      [opts.includeMapped === true],
    );
    return rows.map(heldOf);
  }

  /** One held warning, locked when `tx` is a transaction (the officer's mapping applies once). */
  async heldForUpdate(tx: Queryable, warningId: string): Promise<HeldWarning | undefined> {
    const { rows } = await tx.query<HeldRow>(
      `SELECT * FROM intake.held_warnings WHERE warning_id = $1 FOR UPDATE`,
      [warningId],
    );
    return rows[0] ? heldOf(rows[0]) : undefined;
  }

  async markMapped(
    tx: Queryable,
    warningId: string,
    by: string,
    areas: { code: string; name?: string }[],
  ): Promise<void> {
    await tx.query(
      `UPDATE intake.held_warnings SET state = 'mapped', mapped_at = now(), mapped_by = $2, mapped_areas = $3::jsonb
        WHERE warning_id = $1`,
      [warningId, by, JSON.stringify(areas)],
    );
  }
}
