import { Logger } from '@nestjs/common';
import { z } from 'zod';
import type { AppConfig } from '../config/config';
import { Db } from '../db/db';
import type { IntakeService } from '../intake/intake.service';
import {
  campaignId,
  campaignRequest,
  outsideWindow,
  VerificationSettings,
  verificationWindow,
  VerificationWindow,
} from './verification-window';

export interface VerificationCampaign {
  warningId: string;
  year: number;
  areaCodes: string[];
  startedBy: string;
  startedAt: string;
}

export type StartResult =
  | { ok: true; campaign: VerificationCampaign; repeat: boolean }
  | { ok: false; status: 400 | 409; errors: string[] };

export interface VerificationOverview {
  settings: VerificationSettings;
  window: VerificationWindow;
  /** The areas a campaign covers when the request names none (VERIFY_AREAS, else INTAKE_HOME_AREA). */
  defaultAreas: string[];
  campaigns: VerificationCampaign[];
}

const startSchema = z
  .object({
    areaCodes: z
      .array(z.string().regex(/^\d{12}$/, 'must be a 12-digit division code'))
      .min(1)
      .max(200)
      .optional(),
  })
  .strict();

interface CampaignRow {
  warning_id: string;
  year: number;
  area_codes: string[];
  started_by: string;
  started_at: Date;
}

const toCampaign = (r: CampaignRow): VerificationCampaign => ({
  warningId: r.warning_id,
  year: r.year,
  areaCodes: r.area_codes,
  startedBy: r.started_by,
  startedAt: new Date(r.started_at).toISOString(),
});

/** The campaigns' SQL (schema drills). */
export class VerificationRepository {
  constructor(private readonly db: Db) {}

  /** Records a campaign intake accepted; a repeat keeps the first start. */
  async record(c: Omit<VerificationCampaign, 'startedAt'>): Promise<VerificationCampaign> {
    await this.db.query(
      `INSERT INTO drills.verification_campaigns (warning_id, year, area_codes, started_by)
       VALUES ($1, $2, $3, $4) ON CONFLICT (warning_id) DO NOTHING`,
      [c.warningId, c.year, c.areaCodes, c.startedBy],
    );
    return (await this.get(c.warningId))!;
  }

  async get(warningId: string): Promise<VerificationCampaign | undefined> {
    const r = await this.db.query<CampaignRow>(
      `SELECT * FROM drills.verification_campaigns WHERE warning_id = $1`,
      [warningId],
    );
    return r.rows[0] ? toCampaign(r.rows[0]) : undefined;
  }

  async list(): Promise<VerificationCampaign[]> {
    const r = await this.db.query<CampaignRow>(
      `SELECT * FROM drills.verification_campaigns ORDER BY started_at DESC, warning_id LIMIT 100`,
    );
    return r.rows.map(toCampaign);
  }
}

/** A 6-digit home area names a county: its 12-digit code. */
export const homeAreaCode = (home?: string) => (home ? home.padEnd(12, '0') : undefined);

/**
 * Starts the yearly roster verification campaign (from `npm run verify-roster` or the directory
 * admin's console): inside the window before the re-filing date only, as an Exercise warning with
 * purpose verification issued through intake like any warning, so it is dispatched, sent, tracked,
 * redialled and audited by the normal pipeline and kept out of the real figures as every drill is.
 */
export class VerificationService {
  private readonly logger = new Logger(VerificationService.name);

  constructor(
    private readonly repo: VerificationRepository,
    private readonly intake: Pick<IntakeService, 'issueVerification'>,
    private readonly settings: VerificationSettings,
    private readonly defaultAreas: string[],
    private readonly now: () => Date = () => new Date(),
  ) {}

  async overview(): Promise<VerificationOverview> {
    return {
      settings: this.settings,
      window: verificationWindow(this.settings, this.now()),
      defaultAreas: this.defaultAreas,
      campaigns: await this.repo.list(),
    };
  }

  get(warningId: string): Promise<VerificationCampaign | undefined> {
    return this.repo.get(warningId);
  }

  async start(body: unknown, actor: string): Promise<StartResult> {
    const parsed = startSchema.safeParse(body ?? {});
    if (!parsed.success)
      return {
        ok: false,
        status: 400,
        errors: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`),
      };
    const window = verificationWindow(this.settings, this.now());
    const closed = outsideWindow(window, this.settings);
    if (closed) return { ok: false, status: 409, errors: [closed] };
    const areas = [...new Set(parsed.data.areaCodes ?? this.defaultAreas)].sort();
    if (areas.length === 0)
      return {
        ok: false,
        status: 400,
        errors: ['areaCodes: name the areas (or set VERIFY_AREAS or INTAKE_HOME_AREA)'],
      };
    const r = await this.intake.issueVerification(campaignRequest(window, areas));
    if (!r.ok)
      return {
        ok: false,
        status: r.status === 409 ? 409 : 400,
        errors: r.errors.map((e) => `${e.field}: ${e.message}`),
      };
    const campaign = await this.repo.record({
      warningId: campaignId(window.year, areas),
      year: window.year,
      areaCodes: areas,
      startedBy: actor,
    });
    this.logger.log(
      `verification campaign ${campaign.warningId} ${r.duplicate ? 'already started' : 'started'} by ${actor}`,
    );
    return { ok: true, campaign, repeat: r.duplicate === true };
  }
}

/** The verification campaign as configured (the module and `npm run verify-roster` build it alike). */
export function verificationService(
  db: Db,
  intake: Pick<IntakeService, 'issueVerification'>,
  cfg: AppConfig,
) {
  const home = homeAreaCode(cfg.INTAKE_HOME_AREA);
  return new VerificationService(
    new VerificationRepository(db),
    intake,
    { refilingDate: cfg.VERIFY_REFILING_DATE, leadDays: cfg.VERIFY_LEAD_DAYS },
    cfg.VERIFY_AREAS ?? (home ? [home] : []),
  );
}
