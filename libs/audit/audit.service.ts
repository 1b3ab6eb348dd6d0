import { Injectable, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { shanxiDivisions } from '../common/divisions';
import { renderReport } from './audit-report';
import { ACCESS_CHAIN, SYSTEM_CHAIN } from './ledger-entry';
import { LedgerRepository } from './ledger.repository';
import {
  buildResponseChain,
  CalloutSummary,
  Figures,
  figuresOf,
  GroupFigures,
  groupFigures,
  ResponseChain,
  WarningInfo,
} from './response-chain';
import { ChainReport } from './verify';

export interface WarningListItem extends WarningInfo {
  entries: number;
  lastAt: string;
  summary: Figures;
}

/** Real warnings and drills side by side, never mixed. */
export interface Split<T> {
  real: T;
  drill: T;
}

let names: Map<string, string> | undefined;
function areaName(code: string): string | undefined {
  names ??= new Map(shanxiDivisions().map((d) => [d.code, d.name]));
  return names.get(code);
}

/** What the auditor views read: chains rebuilt from the ledger, and every read of personal data recorded. */
@Injectable()
export class AuditService {
  constructor(private readonly ledger: LedgerRepository) {}

  /**
   * Records that `actor` read personal data, before the data is returned: a read that cannot be
   * recorded does not happen.
   */
  async recordAccess(actor: string, what: string, warningId?: string, params: Record<string, unknown> = {}) {
    const now = new Date().toISOString();
    await this.ledger.append({
      chainId: ACCESS_CHAIN,
      eventKey: `access:${randomUUID()}`,
      topic: 'audit.access',
      occurredAt: now,
      actor,
      subject: warningId ? { warningId } : {},
      drill: false,
      content: { what, warningId, ...params },
    });
  }

  async responseChain(warningId: string): Promise<ResponseChain> {
    if (warningId === SYSTEM_CHAIN || warningId === ACCESS_CHAIN)
      throw new NotFoundException(`no warning ${warningId}`);
    const entries = await this.ledger.entries(warningId);
    if (entries.length === 0) throw new NotFoundException(`no ledger entries for warning ${warningId}`);
    return buildResponseChain(warningId, entries, areaName);
  }

  async warnings(): Promise<Split<WarningListItem[]>> {
    const out: Split<WarningListItem[]> = { real: [], drill: [] };
    for (const c of await this.ledger.warningChains()) {
      const rc = buildResponseChain(c.chainId, await this.ledger.entries(c.chainId), areaName);
      (rc.warning.drill ? out.drill : out.real).push({
        ...rc.warning,
        entries: c.entries,
        lastAt: c.lastAt,
        summary: rc.summary,
      });
    }
    return out;
  }

  /** Call-outs of every warning, split into real and drill. */
  private async allCallouts(): Promise<Split<CalloutSummary[]>> {
    const out: Split<CalloutSummary[]> = { real: [], drill: [] };
    for (const c of await this.ledger.warningChains()) {
      const rc = buildResponseChain(c.chainId, await this.ledger.entries(c.chainId), areaName);
      (rc.warning.drill ? out.drill : out.real).push(...rc.callouts);
    }
    return out;
  }

  async persons(): Promise<Split<GroupFigures[]>> {
    const all = await this.allCallouts();
    const byPerson = (cs: CalloutSummary[]) =>
      groupFigures(
        cs,
        (c) => c.personId,
        (k, m) => m.find((c) => c.personName)?.personName ?? k,
      );
    return { real: byPerson(all.real), drill: byPerson(all.drill) };
  }

  async areas(): Promise<Split<{ summary: Figures; counties: GroupFigures[]; townships: GroupFigures[] }>> {
    const all = await this.allCallouts();
    const label = (code: string) => (areaName(code) ? `${areaName(code)}（${code}）` : code);
    const view = (cs: CalloutSummary[]) => ({
      summary: figuresOf(cs),
      counties: groupFigures(cs, (c) => c.countyCode, label),
      townships: groupFigures(cs, (c) => c.townshipCode, label),
    });
    return { real: view(all.real), drill: view(all.drill) };
  }

  /** One warning's chain (404 when the ledger holds nothing of it) or every chain. */
  async verify(warningId?: string): Promise<ChainReport[]> {
    const reports = await this.ledger.verify(warningId);
    // An unknown id is an empty chain that verifies; a chain emptied behind its head does not.
    if (warningId && reports.every((r) => r.entries === 0 && r.ok))
      throw new NotFoundException(`no ledger entries for warning ${warningId}`);
    return reports;
  }

  async report(warningId: string, actor: string): Promise<string> {
    const chain = await this.responseChain(warningId);
    const [verification] = await this.ledger.verify(warningId);
    return renderReport({ chain, verification, generatedAt: new Date().toISOString(), generatedBy: actor });
  }
}
