import { Injectable } from '@nestjs/common';
import type { WarningMessage } from '../../contracts/generated';
import { Queryable } from '../db/db';

/** How a message ended (DispatchOutcome), or 'pending' while its plan is being carried out. */
export type MessageOutcome = string;

/**
 * SQL of callout.warning_messages: each warning message applied, once, by its key (id, type, sentAt),
 * with the outcome of applying it. A message stays 'pending' until its plan's last chunk is written.
 */
@Injectable()
export class WarningMessageRepository {
  /**
   * The messages applied before under one message id (normally none, or this very message once),
   * after taking a transaction lock on the id so two messages with one id are decided in turn.
   */
  async messagesWithId(
    tx: Queryable,
    messageId: string,
  ): Promise<{ messageKey: string; digest: string | null; receivedAt: string }[]> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('callout.warning_messages'), hashtext($1))`, [
      messageId,
    ]);
    const r = await tx.query<{
      message_key: string;
      message_sha256: string | null;
      received_at: Date | string;
    }>(
      `SELECT message_key, message_sha256, received_at FROM callout.warning_messages WHERE message_id = $1 ORDER BY received_at`,
      [messageId],
    );
    return r.rows.map((x) => ({
      messageKey: x.message_key,
      digest: x.message_sha256,
      receivedAt: new Date(x.received_at).toISOString(),
    }));
  }

  /** Records a message as pending; false when its key was recorded before (a redelivery). */
  async recordPending(
    tx: Queryable,
    m: { key: string; warningId: string; message: WarningMessage; digest: string },
  ): Promise<boolean> {
    const r = await tx.query(
      `INSERT INTO callout.warning_messages (message_key, warning_id, msg_type, sent_at, outcome, message_id, message_sha256)
       VALUES ($1, $2, $3, $4, 'pending', $5, $6)
       ON CONFLICT DO NOTHING`,
      [m.key, m.warningId, m.message.msgType, m.message.sentAt, m.message.id, m.digest],
    );
    return r.rowCount === 1;
  }

  async outcome(tx: Queryable, key: string): Promise<MessageOutcome | undefined> {
    const r = await tx.query<{ outcome: string }>(
      `SELECT outcome FROM callout.warning_messages WHERE message_key = $1`,
      [key],
    );
    return r.rows[0]?.outcome;
  }

  /** Sets a message's outcome; `onlyIfPending` leaves one that another delivery has finished. */
  async setOutcome(
    tx: Queryable,
    key: string,
    outcome: MessageOutcome,
    onlyIfPending = false,
  ): Promise<void> {
    await tx.query(
      `UPDATE callout.warning_messages SET outcome = $2 WHERE message_key = $1 AND (NOT $3 OR outcome = 'pending')`,
      [key, outcome, onlyIfPending],
    );
  }
}
