import type { CalloutEvent, CalloutStatus } from '../../contracts/generated';
import { areaParents } from '../audit/response-chain';
import { DirectoryService } from '../directory/directory.service';
import { roleName } from '../directory/roles';
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

export interface NonResponder {
  personId: string;
  name: string;
  phone: string;
  role: string | null;
  roleName: string;
  areaCode: string | null;
  areaName: string | null;
  /** Where the call-out stands (NOT_WOKEN, REACHED by someone else, still SENT …). */
  state: string | null;
  calledAt: string;
}

/** A verification campaign's answers: who was asked, who confirmed, who did not (per township). */
export interface CampaignAnswers {
  warningId: string;
  generatedAt: string;
  called: number;
  confirmed: number;
  townships: { townshipCode: string; townshipName: string; persons: NonResponder[] }[];
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

  /**
   * The persons a verification campaign (or any drill) asked who have not confirmed themselves, per
   * township: the directory admin follows them up before the re-filing date. A late confirmation
   * counts; being reached by someone else does not (the number is still unconfirmed).
   */
  async nonResponders(warningId: string, now = new Date()): Promise<CampaignAnswers | undefined> {
    const called = await this.repo.firstCalloutsOf(warningId);
    if (called.length === 0) return undefined;
    const open = called.filter((c) => !c.confirmedAt);
    const persons = await Promise.all(
      open.map(async (c) => {
        const person = await this.directory.person(c.personId);
        return {
          areaCode: c.areaCode,
          value: {
            personId: c.personId,
            name: person?.name ?? c.personName ?? c.personId,
            phone: person?.phone ?? '',
            role: c.role,
            roleName: c.role ? roleName(c.role) : '',
            areaCode: c.areaCode,
            areaName: c.areaName,
            state: c.state,
            calledAt: c.calledAt,
          },
        };
      }),
    );
    return {
      warningId,
      generatedAt: now.toISOString(),
      called: called.length,
      confirmed: called.length - open.length,
      townships: await this.perTownship(persons),
    };
  }

  /** Groups what is said of persons by their township (its name from the directory), in code order. */
  private async perTownship<T>(items: { areaCode: string | null; value: T }[]) {
    const townships = new Map<string, { townshipCode: string; townshipName: string; persons: T[] }>();
    for (const { areaCode, value } of items) {
      const code = areaParents(areaCode ?? undefined).townshipCode ?? areaCode ?? '';
      if (!townships.has(code))
        townships.set(code, {
          townshipCode: code,
          townshipName: (code && (await this.directory.divisionName(code))) || code,
          persons: [],
        });
      townships.get(code)!.persons.push(value);
    }
    return [...townships.values()].sort((a, b) => a.townshipCode.localeCompare(b.townshipCode));
  }

  /** Persons under `area` (a division code, or everyone) whose number needs checking, per township. */
  async numbersToCheck(area: string | null, now = new Date()): Promise<NumbersToCheck> {
    const all = await this.repo.observationsUnder(area ? areaPrefix(area) : '');
    const byPerson = new Map<string, PersonObservation[]>();
    for (const o of all) byPerson.set(o.personId, [...(byPerson.get(o.personId) ?? []), o]);
    const found: { areaCode: string | null; value: NumberToCheck }[] = [];
    for (const [personId, os] of byPerson) {
      const verdict = healthOf(os, this.rules);
      if (verdict.health === 'ok') continue;
      const latest = os[os.length - 1];
      const person = await this.directory.person(personId);
      found.push({
        areaCode: latest.areaCode,
        value: {
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
        },
      });
    }
    const list: TownshipList[] = await this.perTownship(found);
    for (const t of list)
      t.persons.sort((a, b) => a.lastAt.localeCompare(b.lastAt) || a.personId.localeCompare(b.personId));
    return { area, generatedAt: now.toISOString(), townships: list };
  }
}
