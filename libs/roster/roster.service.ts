import type { CalloutEvent, CalloutStatus } from '../../contracts/generated';
import { areaParents } from '../audit/response-chain';
import { DirectoryService } from '../directory/directory.service';
import {
  DEFAULT_HEALTH_RULES,
  HEALTH_ZH,
  healthOf,
  HealthRules,
  NumberHealth,
  observationFromEvent,
  observationFromStatus,
} from './number-health';
import { PersonObservation, RosterRepository } from './roster.repository';

export interface NumberToCheck {
  personId: string;
  name: string;
  phone: string;
  role: string | null;
  areaCode: string | null;
  areaName: string | null;
  health: Exclude<NumberHealth, 'ok'>;
  healthZh: string;
  since: string;
  lastAt: string;
  evidence: { at: string; detail: string; warningId: string; drill: boolean }[];
}

export interface TownshipList {
  townshipCode: string;
  townshipName: string;
  persons: NumberToCheck[];
}

export interface NumbersToCheck {
  area: string | null;
  generatedAt: string;
  townships: TownshipList[];
}

/** Digits of a division code that name it: province 2, city 4, county 6, township 9, village 12. */
export function areaPrefix(code: string): string {
  for (const len of [2, 4, 6, 9]) if (/^0+$/.test(code.slice(len))) return code.slice(0, len);
  return code;
}

/** Records outcomes as they come and answers the directory admin's "numbers to check" list. */
export class RosterService {
  constructor(
    private readonly repo: RosterRepository,
    private readonly directory: Pick<DirectoryService, 'person' | 'divisionName'>,
    private readonly rules: HealthRules = DEFAULT_HEALTH_RULES,
  ) {}

  async onCalloutEvent(e: CalloutEvent): Promise<void> {
    await this.repo.recordCallout(e);
    const o = observationFromEvent(e);
    if (o) await this.repo.recordObservation(o);
  }

  async onStatus(s: CalloutStatus): Promise<void> {
    const o = observationFromStatus(s);
    if (o) await this.repo.recordObservation(o);
  }

  /** Persons under `area` (a division code, or everyone) whose number needs checking, per township. */
  async numbersToCheck(area: string | null, now = new Date()): Promise<NumbersToCheck> {
    const all = await this.repo.observationsUnder(area ? areaPrefix(area) : '');
    const byPerson = new Map<string, PersonObservation[]>();
    for (const o of all) byPerson.set(o.personId, [...(byPerson.get(o.personId) ?? []), o]);
    const townships = new Map<string, TownshipList>();
    for (const [personId, os] of byPerson) {
      const verdict = healthOf(os, this.rules);
      if (verdict.health === 'ok') continue;
      const latest = os[os.length - 1];
      const person = await this.directory.person(personId);
      const code = areaParents(latest.areaCode ?? undefined).townshipCode ?? latest.areaCode ?? '';
      if (!townships.has(code))
        townships.set(code, {
          townshipCode: code,
          townshipName: (code && (await this.directory.divisionName(code))) || code,
          persons: [],
        });
      townships.get(code)!.persons.push({
        personId,
        name: person?.name ?? latest.personName ?? personId,
        phone: person?.phone ?? '',
        role: latest.role,
        areaCode: latest.areaCode,
        areaName: latest.areaName,
        health: verdict.health,
        healthZh: HEALTH_ZH[verdict.health],
        since: verdict.since!,
        lastAt: verdict.lastAt!,
        evidence: verdict.evidence.map((o) => ({
          at: o.at,
          detail: o.detail,
          warningId: o.warningId,
          drill: o.drill,
        })),
      });
    }
    const list = [...townships.values()].sort((a, b) => a.townshipCode.localeCompare(b.townshipCode));
    for (const t of list)
      t.persons.sort((a, b) => a.lastAt.localeCompare(b.lastAt) || a.personId.localeCompare(b.personId));
    return { area, generatedAt: now.toISOString(), townships: list };
  }
}
