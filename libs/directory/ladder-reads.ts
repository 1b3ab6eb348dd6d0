import { DirectoryRepository, DivisionRow, PeriodRow, PersonRow } from './directory.repository';
import { DivisionLevel } from '../common/divisions';
import { RoleCode } from './roles';

/**
 * The directory as escalation ladders read it, kept for a moment. When thousands of ack deadlines
 * fall due together, their ladders climb the same townships and counties: one read of each holder
 * list, division, person and the leave periods serves all the ladders built within `ttlMs`, instead
 * of a dozen queries per ladder. A directory change reaches ladders at most `ttlMs` later (an import
 * through this service clears the memo at once).
 */
export class LadderReads {
  private since = 0;
  private readonly memo = new Map<string, Promise<unknown>>();

  constructor(
    private readonly repo: DirectoryRepository,
    readonly ttlMs = 2_000,
  ) {}

  clear(): void {
    this.memo.clear();
  }

  /** Starts a new memo once the current one is ttlMs old. */
  private expire(): void {
    const now = Date.now();
    if (now - this.since >= this.ttlMs) {
      this.memo.clear();
      this.since = now;
    }
  }

  private remember<T>(key: string, p: Promise<T>): Promise<T> {
    this.memo.set(key, p);
    // A failed read is not remembered.
    p.catch(() => this.memo.get(key) === p && this.memo.delete(key));
    return p;
  }

  private once<T>(key: string, load: () => Promise<T>): Promise<T> {
    this.expire();
    return (this.memo.get(key) as Promise<T> | undefined) ?? this.remember(key, load());
  }

  /** Leave and on-duty periods as they were when the memo was filled (within ttlMs of `at`). */
  periodsAt(at: Date): Promise<PeriodRow[]> {
    return this.once('periods', () => this.repo.periodsAt(at));
  }

  async persons(ids: string[]): Promise<PersonRow[]> {
    this.expire();
    const key = (id: string) => `person:${id}`;
    const missing = ids.filter((id) => !this.memo.has(key(id)));
    if (missing.length > 0) {
      const rows = this.repo.persons(missing);
      for (const id of missing)
        this.remember(
          key(id),
          rows.then((rs) => rs.find((r) => r.id === id) ?? null),
        );
    }
    // Every id is in the memo now (nothing above awaited, so it cannot have expired meanwhile).
    const found = await Promise.all(ids.map((id) => this.memo.get(key(id)) as Promise<PersonRow | null>));
    return found.filter((p): p is PersonRow => p !== null);
  }

  async divisionsByCode(codes: string[]): Promise<DivisionRow[]> {
    const found = await Promise.all(
      codes.map((c) =>
        this.once(`division:${c}`, async () => (await this.repo.divisionsByCode([c]))[0] ?? null),
      ),
    );
    return found.filter((d): d is DivisionRow => d !== null);
  }

  holders(role: RoleCode, areaCode: string): Promise<PersonRow[]> {
    return this.once(`holders:${role}:${areaCode}`, () => this.repo.holders(role, areaCode));
  }

  assignmentsOf(personId: string): Promise<{ role: RoleCode; area_code: string; level: DivisionLevel }[]> {
    return this.once(`assignments:${personId}`, () => this.repo.assignmentsOf(personId));
  }
}
