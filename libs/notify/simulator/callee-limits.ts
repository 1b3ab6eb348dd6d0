import { CalleeLimit } from '../providers/provider-capabilities';

/**
 * Sliding-window counts of sends per number: the provider's per-callee limits. `admit` counts a send
 * when every window still has room and otherwise says which limit refused it.
 */
export class CalleeWindows {
  private readonly sends = new Map<string, number[]>();
  private readonly longestMs: number;

  constructor(private readonly limits: CalleeLimit[]) {
    this.longestMs = Math.max(0, ...limits.map((l) => l.windowSec * 1000));
  }

  admit(key: string, nowMs: number): { ok: true } | { ok: false; limit: CalleeLimit } {
    const list = (this.sends.get(key) ?? []).filter((t) => t > nowMs - this.longestMs);
    for (const limit of this.limits) {
      const inWindow = list.filter((t) => t > nowMs - limit.windowSec * 1000).length;
      if (inWindow >= limit.max) {
        this.sends.set(key, list);
        return { ok: false, limit };
      }
    }
    list.push(nowMs);
    this.sends.set(key, list);
    return { ok: true };
  }

  clear(): void {
    this.sends.clear();
  }
}
