import { Inject, Injectable } from '@nestjs/common';
import { Db, Queryable } from '../db/db';
import { DB } from '../infra/tokens';
import {
  ACCESS_CHAIN,
  chainEntry,
  EntryDraft,
  GENESIS_HASH,
  LedgerEntry,
  SYSTEM_CHAIN,
} from './ledger-entry';
import { ChainHead, ChainReport, verifyChain } from './verify';

interface EntryRow {
  chain_id: string;
  seq: string | number;
  event_key: string;
  topic: string;
  occurred_at: Date | string;
  recorded_at: Date | string;
  actor: string | null;
  subject: LedgerEntry['subject'];
  drill: boolean;
  content: unknown;
  prev_hash: string;
  hash: string;
}

const iso = (v: Date | string) => (v instanceof Date ? v : new Date(v)).toISOString();

function toEntry(r: EntryRow): LedgerEntry {
  return {
    chainId: r.chain_id,
    seq: Number(r.seq),
    eventKey: r.event_key,
    topic: r.topic,
    occurredAt: iso(r.occurred_at),
    recordedAt: iso(r.recorded_at),
    actor: r.actor,
    subject: r.subject ?? {},
    drill: r.drill,
    content: r.content,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

const COLUMNS = `chain_id, seq, event_key, topic, occurred_at, recorded_at, actor, subject, drill, content, prev_hash, hash`;

/** The ledger's SQL: append under the chain's lock, read chains back, verify them. */
@Injectable()
export class LedgerRepository {
  constructor(@Inject(DB) private readonly db: Db) {}

  /**
   * Appends one entry; returns it, or null when an entry with its event key already exists (a
   * redelivered or re-published event). The chain head row is locked for the whole append, so
   * appends to one chain are serialised: seq has no gaps and each entry links to the one before.
   */
  async append(draft: EntryDraft, now: Date = new Date()): Promise<LedgerEntry | null> {
    return this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO audit.chains (chain_id, last_seq, last_hash) VALUES ($1, 0, $2)
         ON CONFLICT (chain_id) DO NOTHING`,
        [draft.chainId, GENESIS_HASH],
      );
      const head = await tx.query<{ last_seq: string | number; last_hash: string }>(
        `SELECT last_seq, last_hash FROM audit.chains WHERE chain_id = $1 FOR UPDATE`,
        [draft.chainId],
      );
      const seen = await tx.query(`SELECT 1 FROM audit.entries WHERE event_key = $1`, [draft.eventKey]);
      if (seen.rowCount > 0) return null;
      const e = chainEntry(
        draft,
        { lastSeq: Number(head.rows[0].last_seq), lastHash: head.rows[0].last_hash },
        now.toISOString(),
      );
      const ins = await tx.query(
        `INSERT INTO audit.entries (${COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10::jsonb, $11, $12)
         ON CONFLICT (event_key) DO NOTHING RETURNING id`,
        [
          e.chainId,
          e.seq,
          e.eventKey,
          e.topic,
          e.occurredAt,
          e.recordedAt,
          e.actor,
          JSON.stringify(e.subject),
          e.drill,
          JSON.stringify(e.content),
          e.prevHash,
          e.hash,
        ],
      );
      if (ins.rowCount === 0) return null;
      await tx.query(
        `UPDATE audit.chains SET last_seq = $2, last_hash = $3, updated_at = now() WHERE chain_id = $1`,
        [e.chainId, e.seq, e.hash],
      );
      return e;
    });
  }

  /** Every entry of a chain, in seq order. */
  async entries(chainId: string, q: Queryable = this.db): Promise<LedgerEntry[]> {
    const r = await q.query<EntryRow>(
      `SELECT ${COLUMNS} FROM audit.entries WHERE chain_id = $1 ORDER BY seq, id`,
      [chainId],
    );
    return r.rows.map(toEntry);
  }

  async head(chainId: string, q: Queryable = this.db): Promise<ChainHead | undefined> {
    const r = await q.query<{ last_seq: string | number; last_hash: string }>(
      `SELECT last_seq, last_hash FROM audit.chains WHERE chain_id = $1`,
      [chainId],
    );
    return r.rows[0] ? { lastSeq: Number(r.rows[0].last_seq), lastHash: r.rows[0].last_hash } : undefined;
  }

  /** Every chain id, from both the heads and the entries (a chain whose head row went missing still counts). */
  async chainIds(): Promise<string[]> {
    const r = await this.db.query<{ chain_id: string }>(
      `SELECT chain_id FROM audit.chains UNION SELECT DISTINCT chain_id FROM audit.entries ORDER BY 1`,
    );
    return r.rows.map((x) => x.chain_id);
  }

  /** Recomputes one chain, or all of them. */
  async verify(chainId?: string): Promise<ChainReport[]> {
    const ids = chainId ? [chainId] : await this.chainIds();
    const reports: ChainReport[] = [];
    for (const id of ids) {
      // One snapshot per chain: the entries and the head as of the same moment.
      const report = await this.db.transaction(async (tx) => {
        await tx.query(`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`);
        return verifyChain(id, await this.entries(id, tx), await this.head(id, tx));
      });
      reports.push(report);
    }
    return reports;
  }

  /** The warning chains (not 'system' or 'access'), newest activity first. */
  async warningChains(): Promise<{ chainId: string; entries: number; lastAt: string }[]> {
    const r = await this.db.query<{ chain_id: string; n: string | number; last_at: Date | string }>(
      `SELECT chain_id, count(*) AS n, max(occurred_at) AS last_at FROM audit.entries
       WHERE chain_id NOT IN ($1, $2) GROUP BY chain_id ORDER BY max(occurred_at) DESC`,
      [SYSTEM_CHAIN, ACCESS_CHAIN],
    );
    return r.rows.map((x) => ({ chainId: x.chain_id, entries: Number(x.n), lastAt: iso(x.last_at) }));
  }
}
