import { createHash } from 'node:crypto';
import { WarningMessage } from '../../contracts/generated/warning';
import { Queryable } from '../db/db';
import { UnmappedArea } from './cap/cap-to-warning';

export type IntakeChannel = 'api' | 'http-cap' | 'kafka-cap';

export interface ReceivedRow {
  id: string;
  sender: string;
  msgType: string;
  status: string;
  hazard?: string;
  subtype?: string;
  level?: string | null;
  references: string[];
  outcome: 'published' | 'record-only';
  note?: string;
  channel: IntakeChannel;
  warning?: WarningMessage;
  raw?: Buffer;
}

export interface Rejection {
  channel: IntakeChannel;
  sourceRef?: string;
  identifier?: string;
  sender?: string;
  reasons: string[];
  raw: Buffer | string;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** SQL of the intake schema (libs/intake/migrations). Every method takes the transaction to run in. */
export class IntakeRepository {
  /** Records a received message; false when its identifier was already recorded (a duplicate). */
  async insertReceived(tx: Queryable, r: ReceivedRow): Promise<boolean> {
    const res = await tx.query(
      `INSERT INTO intake.received
         (id, sender, msg_type, status, hazard, subtype, level, reference_ids, outcome, note, channel, warning, raw_sha256)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (id) DO NOTHING`,
      [
        r.id,
        r.sender,
        r.msgType,
        r.status,
        r.hazard ?? null,
        r.subtype ?? null,
        r.level ?? null,
        r.references,
        r.outcome,
        r.note ?? null,
        r.channel,
        r.warning ? JSON.stringify(r.warning) : null,
        r.raw ? sha256(r.raw) : null,
      ],
    );
    return res.rowCount === 1;
  }

  async insertUnmapped(tx: Queryable, warningId: string, areas: UnmappedArea[]): Promise<void> {
    for (const a of areas)
      await tx.query(
        `INSERT INTO intake.unmapped_areas (warning_id, area_code, area_name, reason) VALUES ($1, $2, $3, $4)`,
        [warningId, a.code, a.name, a.reason],
      );
  }

  /** Records a rejection once per Kafka position (redelivery does not duplicate it). */
  async insertRejection(tx: Queryable, r: Rejection): Promise<void> {
    const text = Buffer.isBuffer(r.raw) ? r.raw.subarray(0, 2000).toString('utf8') : r.raw.slice(0, 2000);
    await tx.query(
      `INSERT INTO intake.rejections (channel, source_ref, identifier, sender, reasons, byte_size, raw_sha256, excerpt)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (channel, source_ref) DO NOTHING`,
      [
        r.channel,
        r.sourceRef ?? null,
        r.identifier?.slice(0, 200) ?? null,
        r.sender?.slice(0, 200) ?? null,
        r.reasons,
        Buffer.byteLength(r.raw),
        sha256(r.raw),
        text.replace(/\u0000/g, ''),
      ],
    );
  }

  async findWarning(tx: Queryable, id: string): Promise<WarningMessage | undefined> {
    const { rows } = await tx.query<{ warning: WarningMessage | null }>(
      `SELECT warning FROM intake.received WHERE id = $1`,
      [id],
    );
    return rows[0]?.warning ?? undefined;
  }
}
