/**
 * What a service still waits for before it can do its job (its consumer groups joined; in the
 * all-in-one, the demo directory seeded). /health/ready answers 503 naming these until none is left,
 * so a script that waits for readiness never races the start-up.
 */
export class Readiness {
  private readonly pending = new Set<string>();

  constructor(awaiting: string[] = []) {
    for (const a of awaiting) this.pending.add(a);
  }

  /** Registers something to wait for; the returned function marks it done. */
  expect(what: string): () => void {
    this.pending.add(what);
    return () => this.done(what);
  }

  done(what: string): void {
    this.pending.delete(what);
  }

  /** What is still awaited, in the order it was registered; empty when ready. */
  awaited(): string[] {
    return [...this.pending];
  }
}
