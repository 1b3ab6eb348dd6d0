import { Injectable, OnModuleDestroy } from '@nestjs/common';

/** One browser listening on /console/events. */
export interface LiveClient {
  write(chunk: string): void;
}

export interface ActivityItem {
  at: string;
  warningId: string;
  calloutId: string;
  personName?: string;
  areaCode?: string;
  areaName?: string;
  from: string | null;
  to: string;
  reason: string;
  drill: boolean;
}

/** Newest call-out transitions shown on the board (memory only: the tracker holds the truth). */
export const ACTIVITY_KEEP = 100;

/** At most one "board" event per this long, however many call-outs moved (a 10,000-person fan-out). */
export const BOARD_EVENT_INTERVAL_MS = 500;

/** What one "board" event says: how many changes, and per township how many moved into each state. */
export interface BoardUpdate {
  at: string;
  changes: number;
  areas: Record<string, Record<string, number>>;
}

/**
 * Pushes server-sent events to the browsers of this console process. Events are nudges ("the board
 * changed", "a new alert"): browsers then fetch the fresh fragment, so a missed event costs nothing
 * but a moment's staleness, and the board never depends on the event's content.
 */
@Injectable()
export class LiveHub implements OnModuleDestroy {
  private readonly clients = new Set<LiveClient>();
  private readonly activity: ActivityItem[] = [];
  private pending?: NodeJS.Timeout;
  private changes = 0;
  private areas = new Map<string, Map<string, number>>();
  private readonly heartbeat = setInterval(() => this.send(': keep-alive\n\n'), 20_000);

  constructor() {
    this.heartbeat.unref();
  }

  subscribe(client: LiveClient): () => void {
    this.clients.add(client);
    client.write('retry: 3000\nevent: hello\ndata: {}\n\n');
    return () => this.clients.delete(client);
  }

  get listeners(): number {
    return this.clients.size;
  }

  recordActivity(item: ActivityItem): void {
    this.activity.unshift(item);
    if (this.activity.length > ACTIVITY_KEEP) this.activity.length = ACTIVITY_KEEP;
  }

  recentActivity(limit = 20): ActivityItem[] {
    return this.activity.slice(0, limit);
  }

  /**
   * "board changed": aggregated into one event per BOARD_EVENT_INTERVAL_MS with counts per township
   * and state, never one event per person; browsers refetch the board once per event.
   */
  boardChanged(change?: { areaCode?: string; to?: string }): void {
    this.changes++;
    if (change?.areaCode && /^\d{12}$/.test(change.areaCode) && change.to) {
      const township = `${change.areaCode.slice(0, 9)}000`;
      const byState = this.areas.get(township) ?? new Map<string, number>();
      byState.set(change.to, (byState.get(change.to) ?? 0) + 1);
      this.areas.set(township, byState);
    }
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      const update: BoardUpdate = {
        at: new Date().toISOString(),
        changes: this.changes,
        areas: Object.fromEntries([...this.areas].map(([code, m]) => [code, Object.fromEntries(m)])),
      };
      this.changes = 0;
      this.areas = new Map();
      this.publish('board', update);
    }, BOARD_EVENT_INTERVAL_MS);
  }

  publish(event: string, data: unknown): void {
    this.send(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private send(chunk: string): void {
    for (const c of this.clients) {
      try {
        c.write(chunk);
      } catch {
        this.clients.delete(c);
      }
    }
  }

  onModuleDestroy(): void {
    clearInterval(this.heartbeat);
    if (this.pending) clearTimeout(this.pending);
  }
}
