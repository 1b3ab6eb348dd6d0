import { PeriodRow } from './directory.repository';

export type Presence =
  { present: true } | { present: false; substitute: string | null; why: 'leave' | 'off-duty' };

/**
 * Who is reachable at one instant: a person on leave is replaced by the leave's substitute; a person
 * who keeps an on-duty roster is reachable only inside one of its periods (no substitute then).
 */
export class Availability {
  private readonly leave = new Map<string, PeriodRow>();
  private readonly roster = new Map<string, boolean>();

  constructor(periods: PeriodRow[], at: Date) {
    const t = at.getTime();
    const inside = (p: PeriodRow) => new Date(p.from_at).getTime() <= t && t < new Date(p.to_at).getTime();
    // Deterministic when leave periods overlap: the one that started last wins.
    const sorted = [...periods].sort((a, b) => new Date(a.from_at).getTime() - new Date(b.from_at).getTime());
    for (const p of sorted) {
      if (p.kind === 'leave' && inside(p)) this.leave.set(p.person_id, p);
      if (p.kind === 'on-duty')
        this.roster.set(p.person_id, (this.roster.get(p.person_id) ?? false) || inside(p));
    }
  }

  presence(personId: string): Presence {
    const l = this.leave.get(personId);
    if (l) return { present: false, substitute: l.substitute_person_id, why: 'leave' };
    if (this.roster.get(personId) === false) return { present: false, substitute: null, why: 'off-duty' };
    return { present: true };
  }

  /** Substitutes that may be needed, so their details can be fetched in one query. */
  substitutes(): string[] {
    return [
      ...new Set([...this.leave.values()].map((p) => p.substitute_person_id).filter((x): x is string => !!x)),
    ];
  }
}

export interface Contact {
  id: string;
  name: string;
  mobile: string | null;
  alt_phone: string | null;
  active: boolean;
}

export type Reach =
  | { ok: true; person: Contact; substituteFor: string | null }
  | { ok: false; reason: 'no-number' | 'all-on-leave' | 'inactive' };

/** Follows substitutes (a substitute may be away too) without looping; at most a few hops. */
export function reach(
  personId: string,
  persons: ReadonlyMap<string, Contact>,
  availability: Availability,
): Reach {
  const seen = new Set<string>();
  let id: string | null = personId;
  while (id && !seen.has(id) && seen.size < 5) {
    seen.add(id);
    const p = persons.get(id);
    if (!p || !p.active)
      return id === personId ? { ok: false, reason: 'inactive' } : { ok: false, reason: 'all-on-leave' };
    const presence = availability.presence(id);
    if (presence.present) {
      if (!p.mobile) return { ok: false, reason: 'no-number' };
      return { ok: true, person: p, substituteFor: id === personId ? null : personId };
    }
    id = presence.substitute;
  }
  return { ok: false, reason: 'all-on-leave' };
}
