import { z } from 'zod';

/**
 * The render context of every message a person receives: `data` of callouts.requested, supplied by
 * the call-out engine (libs/callout/template-data.ts builds it). Validated here, at the edge, before
 * anything is rendered or sent: a request whose data does not fit is rejected to the DLQ with the
 * reason, never sent half-filled.
 *
 *   warning.seq        short number of the warning; people may quote it in a reply ("1 37")
 *   warning.level      blue | yellow | orange | red; levelName "红色", levelColour a CSS colour
 *   warning.expires    ISO date-time ('' when the warning has no expiry); the ack link expires then
 *   person             who receives this message
 *   subject            escalation only: the person who did not answer
 *   note               free text the engine adds (e.g. who confirmed, for a "settled" notice)
 */
export const templateDataSchema = z.object({
  warning: z.object({
    id: z.string().min(1),
    seq: z.number().int().nonnegative().optional(),
    hazard: z.string(),
    hazardName: z.string(),
    subtype: z.string(),
    subtypeName: z.string(),
    level: z.string(),
    levelName: z.string(),
    levelColour: z.string(),
    headline: z.string(),
    instruction: z.string().optional(),
    areaNames: z.array(z.string()),
    expires: z.string(),
    sender: z.string(),
    drill: z.boolean(),
    /** The roster verification campaign (号码核查): confirm the number and role are still yours. */
    verification: z.boolean().default(false),
  }),
  person: z.object({ name: z.string(), roleName: z.string(), areaName: z.string() }),
  subject: z.object({ name: z.string(), roleName: z.string(), areaName: z.string() }).optional(),
  note: z.string().optional(),
});

export type TemplateData = z.infer<typeof templateDataSchema>;

/** What the renderer adds to the engine's data before rendering. */
export interface RenderContext extends TemplateData {
  drill: boolean;
  purpose: string;
  attempt: number;
  /** Signed confirmation link (SMS and web); absent when no public URL is configured. */
  ackUrl: string;
  /** How the person is asked to confirm ("回复1或收到确认"; "接听来电按1键确认" where replies cannot come back). */
  confirmHint: string;
  /** A reply comes back through the carrying provider (the English partial asks for "reply 1" only then). */
  replyConfirms: boolean;
}

export type DataCheck = { ok: true; data: TemplateData } | { ok: false; errors: string[] };

export function checkTemplateData(value: unknown): DataCheck {
  const r = templateDataSchema.safeParse(value);
  if (r.success) return { ok: true, data: r.data };
  return { ok: false, errors: r.error.issues.map((i) => `data.${i.path.join('.')}: ${i.message}`) };
}

/** A realistic context used to compile-check every template at start and for golden files. */
export const SAMPLE_DATA: TemplateData = {
  warning: {
    id: '140200000000000_20240712153000_1',
    seq: 37,
    hazard: 'meteorological',
    hazardName: '气象',
    subtype: 'rainstorm',
    subtypeName: '暴雨',
    level: 'red',
    levelName: '红色',
    levelColour: '#d9001b',
    headline: '大同市气象台发布暴雨红色预警信号',
    instruction: '停止集会、停课、停业，做好山洪、滑坡防御和人员转移。',
    areaNames: ['浑源县', '广灵县'],
    expires: '2024-07-13T10:00:00.000Z',
    sender: '大同市气象台',
    drill: false,
    verification: false,
  },
  person: { name: '张伟', roleName: '防汛责任人', areaName: '浑源县永安镇' },
  subject: { name: '李强', roleName: '山洪预警员', areaName: '东坊城村' },
  note: '王芳已确认',
};
