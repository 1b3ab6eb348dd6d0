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

  /** "board changed": coalesced to one event per 300 ms, however many call-outs moved. */
  boardChanged(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.publish('board', { at: new Date().toISOString() });
    }, 300);
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
