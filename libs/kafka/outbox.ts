import { Logger } from '@nestjs/common';
import { Db, Queryable } from '../db/db';
import { PassOutcome, Poller } from '../infra/poller';
import { boundedStep } from '../infra/shutdown';
import { traceHeaders } from '../observability/tracing';
import { EventPublisher, OutgoingMessage } from './kafka-client';

/**
 * Transactional outbox (invariant 2): a state change and the events announcing it are written in
 * one database transaction; the relay publishes them to Kafka afterwards and deletes what it
 * published. A crash between publish and delete publishes again (at-least-once), which the
 * idempotent consumers absorb. Each context keeps its own `<schema>.outbox` table.
 */
export const outboxTableSql = (schema: string) => `
CREATE TABLE IF NOT EXISTS ${schema}.outbox (
  id bigserial PRIMARY KEY,
  topic text NOT NULL,
  key text NOT NULL,
  value jsonb NOT NULL,
  headers jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);`;

export class Outbox {
  constructor(private readonly schema: string) {}

  async add(tx: Queryable, topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await tx.query(
      `INSERT INTO ${this.schema}.outbox (topic, key, value, headers)
       SELECT $1, k, v::jsonb, h::jsonb FROM unnest($2::text[], $3::text[], $4::text[]) AS t(k, v, h)`,
      [
        topic,
        messages.map((m) => m.key),
        messages.map((m) => JSON.stringify(m.value)),
        // The trace of the work that wrote the row travels with it to the relay.
        messages.map((m) => traceHeaders(m.headers)).map((h) => (h ? JSON.stringify(h) : null)),
      ],
    );
  }
}

interface OutboxRow {
  id: string;
  topic: string;
  key: string;
  value: unknown;
  headers: Record<string, string> | null;
}

export class OutboxRelay {
  private readonly logger: Logger;
  private readonly loop: Poller;
  /** Between start and stop: a pass keeps publishing full batches only while the relay runs. */
  private started = false;
  /** A nudge came since the last pass began: something was added, no need to look first. */
  private nudged = false;

  constructor(
    private readonly db: Db,
    private readonly publisher: EventPublisher,
    private readonly schema: string,
    intervalMs = 250,
    private readonly batchSize = 1000,
  ) {
    this.logger = new Logger(`OutboxRelay:${schema}`);
    // A nudge during a pass, or another relay holding the outbox, looks again in 20 ms.
    this.loop = new Poller(() => this.publishPending(), {
      name: `OutboxRelay:${schema}`,
      intervalMs,
      againMs: 20,
      logger: this.logger,
    });
  }

  start(): void {
    this.started = true;
    this.loop.start();
  }

  /** Publish soon: called after a transaction that added to the outbox commits. */
  nudge(): void {
    this.nudged = true;
    this.loop.nudge();
  }

  /** Publishes batches until the outbox is empty; 'again' when another relay holds it. A failure is
   * logged by the loop and retried at the next interval. */
  private async publishPending(): Promise<PassOutcome> {
    // An empty outbox (most timed passes) costs one statement, not a transaction of four; after a
    // nudge there is something to publish (unless another relay took it), so it goes straight on.
    const nudged = this.nudged;
    this.nudged = false;
    if (!nudged) {
      const { rows } = await this.db.query<{ any: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM ${this.schema}.outbox) AS any`,
      );
      if (!rows[0].any) return 'idle';
    }
    let n: number;
    do n = await this.publishBatch();
    while (n === this.batchSize && this.started);
    // Another relay holds the outbox: look again soon, it may finish before our next pass.
    return n === OutboxRelay.BUSY ? 'again' : 'idle';
  }

  /** publishBatch's answer when another relay is publishing this outbox. */
  static readonly BUSY = -1;

  /** Takes one batch out, publishes it and commits; returns how many it published (or BUSY). */
  async publishBatch(): Promise<number> {
    return this.db.transaction(async (tx) => {
      // One publisher per outbox at a time (replicas and services sharing a schema each run a
      // relay): publishing in id order from a single place keeps the events of one key in order.
      const turn = await tx.query<{ ok: boolean }>(`SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok`, [
        `outbox:${this.schema}`,
      ]);
      if (!turn.rows[0].ok) return OutboxRelay.BUSY;
      // Taken out in the statement that reads them: the transaction commits only once Kafka has
      // them, so a failed publish (or a crash) rolls the delete back and they stay for the next pass.
      // RETURNING has no order of its own: read back in id order, the order they were written in.
      const { rows } = await tx.query<OutboxRow>(
        `WITH taken AS (
           DELETE FROM ${this.schema}.outbox WHERE id IN (
             SELECT id FROM ${this.schema}.outbox ORDER BY id LIMIT $1)
           RETURNING id, topic, key, value, headers)
         SELECT * FROM taken ORDER BY id`,
        [this.batchSize],
      );
      if (rows.length === 0) return 0;
      const byTopic = new Map<string, OutgoingMessage[]>();
      for (const r of rows) {
        const list = byTopic.get(r.topic) ?? [];
        list.push({ key: r.key, value: r.value, headers: r.headers ?? undefined });
        byTopic.set(r.topic, list);
      }
      await this.publisher.publishMany([...byTopic].map(([topic, messages]) => ({ topic, messages })));
      return rows.length;
    });
  }

  /**
   * Stops the loop after publishing what is pending, for 2 s at most: with the broker gone the rows
   * stay in the outbox and are published after the next start.
   */
  async stop(): Promise<void> {
    this.started = false;
    const flush = (async () => {
      await this.loop.stop();
      await this.publishBatch();
    })();
    await boundedStep(`outbox ${this.schema}: last publish`, flush, 2_000);
  }
}
