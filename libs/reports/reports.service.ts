import { Inject, Injectable } from '@nestjs/common';
import { buildResponseChain } from '../audit/response-chain';
import { LedgerRepository } from '../audit/ledger.repository';
import { levelPolicy, loadPolicy, Policy, verificationPolicy } from '../callout/policy';
import { shanxiDivisions } from '../common/divisions';
import { AppConfig } from '../config/config';
import { Db } from '../db/db';
import { CONFIG, DB } from '../infra/tokens';
import { AfterActionReport, buildAfterActionReport } from './after-action-report';
import { buildMonthlyReport, ChainSnapshot, MonthlyReport, warningAreas } from './monthly-report';

let names: Map<string, string> | undefined;
const areaName = (code: string) =>
  (names ??= new Map(shanxiDivisions().map((d) => [d.code, d.name]))).get(code);

/**
 * The upward reports, computed from the audit ledger alone: each warning's chain read with its head in
 * one snapshot, so the head printed is exactly what the figures were computed from.
 */
@Injectable()
export class ReportsService {
  private readonly policy: Policy;

  constructor(
    private readonly ledger: LedgerRepository,
    @Inject(DB) private readonly db: Db,
    @Inject(CONFIG) cfg: AppConfig,
  ) {
    this.policy = loadPolicy(cfg.POLICY_FILE);
  }

  /** The policy's confirmation deadline of a hazard × level: the target of "confirmed in time". */
  targetOf = (hazard: string, level: string, purpose?: string): number | undefined =>
    purpose === 'verification'
      ? verificationPolicy(this.policy).ackDeadlineSec
      : hazard && level
        ? levelPolicy(this.policy, hazard, level)?.ackDeadlineSec
        : undefined;

  async snapshots(): Promise<ChainSnapshot[]> {
    const out: ChainSnapshot[] = [];
    for (const { chainId } of await this.ledger.warningChains()) {
      const [entries, head] = await this.db.transaction(
        async (tx) => [await this.ledger.entries(chainId, tx), await this.ledger.head(chainId, tx)] as const,
      );
      if (entries.length === 0 || !head) continue;
      out.push({
        chain: buildResponseChain(chainId, entries, areaName),
        head: { chainId, ...head },
        areas: warningAreas(entries),
      });
    }
    return out;
  }

  async afterAction(warningId: string, actor: string): Promise<AfterActionReport> {
    return buildAfterActionReport({
      warningId,
      snapshots: await this.snapshots(),
      targetOf: this.targetOf,
      areaName,
      generatedAt: new Date().toISOString(),
      generatedBy: actor,
    });
  }

  async monthly(month: string, actor: string): Promise<MonthlyReport> {
    return buildMonthlyReport({
      month,
      snapshots: await this.snapshots(),
      targetOf: this.targetOf,
      areaName,
      generatedAt: new Date().toISOString(),
      generatedBy: actor,
    });
  }
}
