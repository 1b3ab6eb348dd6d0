import { WarningMessage } from '../../contracts/generated/warning';
import { Queryable } from '../db/db';
import { UnmappedArea } from './cap/cap-to-warning';

/** How a message reached intake. */
export type IntakeChannel = 'api' | 'cap-http' | 'cap-kafka';

export interface ReceivedRecord {
  warningId: string;
  channel: IntakeChannel;
  sourceRef?: string;
  outcome: 'published' | 'record-only';
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
}
