import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ROLE_CODES } from '../directory/roles';

/**
 * Call-out policy per hazard × level (invariant 6): who is called, by which channels, how long
 * they have to confirm, how often a missed call is redialled, how far the call-out escalates.
 * Validated at start; snapshotted onto each warning when its dispatch starts, so later edits never
 * change a running escalation. Defaults follow practice (DOMAIN.md); every number is configurable
 * with POLICY_FILE.
 */
const channel = z.enum(['sms', 'voice']);
const divisionLevel = z.enum(['province', 'city', 'county', 'township', 'village']);

export const levelPolicySchema = z
  .object({
    /** Roles called, optionally limited to holders at some division levels. */
    targets: z
      .array(
        z.object({
          role: z.enum(ROLE_CODES as [string, ...string[]]),
          levels: z.array(divisionLevel).optional(),
        }),
      )
      .min(1),
    /** Channels used at once for the first call-out. */
    channels: z.array(channel).min(1),
    /** SMS-first levels: place a voice call when still unconfirmed this long after the SMS. */
    voiceFallbackAfterSec: z.number().int().positive().nullable(),
    /** Time the person has to confirm before the call-out escalates. */
    ackDeadlineSec: z.number().int().positive(),
    /** Voice redials after busy / no answer / failed / hung up before the message was heard. */
    redials: z.number().int().min(0).max(10),
    redialIntervalSec: z.number().int().positive(),
    /** Ladder steps tried after the person (backup, superior, superior's superior …); 0 = no escalation. */
    escalationSteps: z.number().int().min(0).max(6),
    /** Time each person on the ladder has to confirm before the next step is called. */
    escalationAckDeadlineSec: z.number().int().positive(),
    /** Channels used for escalation call-outs. */
    escalationChannels: z.array(channel).min(1),
    /** How many times the whole ladder is walked before the person goes on the not-woken list. */
    repeatLimit: z.number().int().min(1).max(5),
  })
  .refine((p) => p.redials === 0 || p.channels.includes('voice') || p.voiceFallbackAfterSec !== null, {
    message: 'redials need a voice channel (channels or voiceFallbackAfterSec)',
  });

export type LevelPolicy = z.infer<typeof levelPolicySchema>;
export const LEVELS = ['blue', 'yellow', 'orange', 'red'] as const;
export type Level = (typeof LEVELS)[number];
const levels = z.object({
  blue: levelPolicySchema,
  yellow: levelPolicySchema,
  orange: levelPolicySchema,
  red: levelPolicySchema,
});

/**
 * The yearly roster verification campaign (号码核查, a warning with purpose verification): who is
 * asked (every role by default, at every division level), by which channels, how long they have to
 * confirm and how often a missed call is redialled. Not urgent, so nobody else is called in their
 * place by default (escalationSteps 0); a late confirmation still counts for the roster.
 */
export const DEFAULT_VERIFICATION_POLICY: LevelPolicy = {
  targets: ROLE_CODES.map((role) => ({ role })),
  channels: ['voice', 'sms'],
  voiceFallbackAfterSec: null,
  ackDeadlineSec: 24 * 3600,
  redials: 2,
  redialIntervalSec: 3600,
  escalationSteps: 0,
  escalationAckDeadlineSec: 24 * 3600,
  escalationChannels: ['sms'],
  repeatLimit: 1,
};

/**
 * One rule of the send order (a policy setting, `sendOrder`): the call-outs whose role, area level
 * and area match it (every field given must match; an empty rule matches everyone). A send's place
 * is the first rule it matches, those matching none come last; see send-priority.ts.
 */
export const sendOrderRuleSchema = z
  .object({
    role: z.enum(ROLE_CODES as [string, ...string[]]).optional(),
    levels: z.array(divisionLevel).min(1).optional(),
    /** Division codes (12 digits): the call-outs of these areas and the areas below them. */
    areas: z
      .array(z.string().regex(/^\d{12}$/, 'a 12-digit division code'))
      .min(1)
      .optional(),
  })
  .strict();
export type SendOrderRule = z.infer<typeof sendOrderRuleSchema>;

/**
 * Within one warning (and between warnings of the same level), whose sends go first when the
 * provider's rate holds them back: the county and township party-government heads, then the county
 * and township flood-control persons, then everyone else at county and township level, then the
 * villages (docs/callout.md, "Send order").
 */
export const DEFAULT_SEND_ORDER: SendOrderRule[] = [
  { role: 'party-gov-head', levels: ['county'] },
  { role: 'party-gov-head', levels: ['township'] },
  { role: 'flood-control', levels: ['county', 'township'] },
  { levels: ['province', 'city', 'county'] },
  { levels: ['township'] },
];

export const policySchema = z.object({
  version: z.string().min(1),
  /** Unset: DEFAULT_SEND_ORDER (sendOrderOf). */
  sendOrder: z.array(sendOrderRuleSchema).max(100).optional(),
  hazards: z.object({
    meteorological: levels,
    flood: levels,
    geologic: levels,
    'forest-fire': levels,
  }),
  /** Unset: DEFAULT_VERIFICATION_POLICY (verificationPolicy). */
  verification: levelPolicySchema.optional(),
});
export type Policy = z.infer<typeof policySchema>;
export type HazardName = keyof Policy['hazards'];

const village = ['village'] as const;
const localLevels: ('county' | 'township')[] = ['county', 'township'];

function byLevel(villageRoles: string[]): Record<Level, LevelPolicy> {
  const villageTargets = villageRoles.map((role) => ({ role, levels: [...village] }));
  return {
    red: {
      // Red reaches county and township heads, the flood command and the village persons.
      targets: [
        { role: 'party-gov-head', levels: localLevels },
        { role: 'flood-control', levels: localLevels },
        ...villageTargets,
      ],
      channels: ['voice', 'sms'],
      voiceFallbackAfterSec: null,
      ackDeadlineSec: 300,
      redials: 3,
      redialIntervalSec: 60,
      escalationSteps: 3,
      escalationAckDeadlineSec: 300,
      escalationChannels: ['voice', 'sms'],
      repeatLimit: 1,
    },
    orange: {
      targets: [{ role: 'flood-control', levels: localLevels }, ...villageTargets],
      channels: ['voice', 'sms'],
      voiceFallbackAfterSec: null,
      ackDeadlineSec: 600,
      redials: 2,
      redialIntervalSec: 120,
      escalationSteps: 2,
      escalationAckDeadlineSec: 600,
      escalationChannels: ['voice', 'sms'],
      repeatLimit: 1,
    },
    yellow: {
      targets: [{ role: 'flood-control', levels: ['township'] }, ...villageTargets],
      channels: ['sms'],
      voiceFallbackAfterSec: 900,
      ackDeadlineSec: 1800,
      redials: 1,
      redialIntervalSec: 300,
      escalationSteps: 1,
      escalationAckDeadlineSec: 1800,
      escalationChannels: ['sms', 'voice'],
      repeatLimit: 1,
    },
    blue: {
      targets: villageTargets,
      channels: ['sms'],
      voiceFallbackAfterSec: null,
      ackDeadlineSec: 7200,
      redials: 0,
      redialIntervalSec: 600,
      escalationSteps: 1,
      escalationAckDeadlineSec: 7200,
      escalationChannels: ['sms'],
      repeatLimit: 1,
    },
  } as Record<Level, LevelPolicy>;
}

export const DEFAULT_POLICY: Policy = {
  version: 'default-2026.1',
  hazards: {
    meteorological: byLevel(['grid-worker', 'info-officer', 'flood-control']),
    flood: byLevel(['flood-control', 'flash-flood-warner', 'inspector']),
    geologic: byLevel(['geo-monitor', 'grid-worker']),
    'forest-fire': byLevel(['forest-ranger', 'grid-worker']),
  },
  verification: DEFAULT_VERIFICATION_POLICY,
  sendOrder: DEFAULT_SEND_ORDER,
};

export class PolicyError extends Error {}

/** Validates a policy; throws PolicyError naming each bad field (so a service refuses to start). */
export function parsePolicy(raw: unknown): Policy {
  const r = policySchema.safeParse(raw);
  if (!r.success) {
    throw new PolicyError(
      `invalid call-out policy:\n  ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n  ')}`,
    );
  }
  return r.data;
}

/** The policy in force: POLICY_FILE when given, else the defaults (validated either way). */
export function loadPolicy(file?: string): Policy {
  if (!file) return parsePolicy(DEFAULT_POLICY);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new PolicyError(`POLICY_FILE ${file}: ${(e as Error).message}`);
  }
  return parsePolicy(raw);
}

export const sendOrderOf = (policy: Pick<Policy, 'sendOrder'>): SendOrderRule[] =>
  policy.sendOrder ?? DEFAULT_SEND_ORDER;

export const verificationPolicy = (policy: Policy): LevelPolicy =>
  policy.verification ?? DEFAULT_VERIFICATION_POLICY;

export function levelPolicy(policy: Policy, hazard: string, level: string): LevelPolicy | undefined {
  return (policy.hazards as Record<string, Record<string, LevelPolicy>>)[hazard]?.[level];
}

export const levelRank = (level: string | null | undefined): number =>
  level ? LEVELS.indexOf(level as Level) + 1 : 0;
