import { z } from 'zod';
import { CalloutResponse } from '../../contracts/generated/callout-response';
import { validateContract } from '../../contracts/validate';
import { bodyErrors, optionalText } from '../common/valid-body';
import { Feedback } from './reply-classifier';

export const FEEDBACK_ACTIONS = [
  'patrol-done',
  'evacuated',
  'shelter-opened',
  'need-help',
  'reached-in-person',
  'other',
] as const;

/** The ack page's feedback form (templates/web/confirmed.hbs): one value per field, as the page sends. */
const FEEDBACK_FORM = z.object({
  action: z.enum(FEEDBACK_ACTIONS, { error: 'is not one of the choices' }).optional(),
  count: z
    .string({ error: 'must be a whole number' })
    .regex(/^\s*\d{0,6}\s*$/, { error: 'must be a whole number (at most 6 digits)' })
    .optional(),
  note: optionalText(2000),
});

const LABELS: Record<string, string> = { action: '处置情况 action', count: '人数 count', note: '说明 note' };

export type FeedbackFormResult = { ok: true; feedback: Feedback } | { ok: false; problems: string[] };

/**
 * The form as sent → the feedback the tracker will accept, or what is wrong with it in words the
 * person can act on. The feedback is also checked against the callout-response contract here, so
 * nothing the page calls "received" is refused downstream.
 */
export function parseFeedbackForm(body: unknown): FeedbackFormResult {
  const r = FEEDBACK_FORM.safeParse(body ?? {});
  if (!r.success)
    return {
      ok: false,
      problems: bodyErrors(r.error).map((e) => `${LABELS[e.field] ?? e.field}: ${e.message}`),
    };
  const count = r.data.count?.trim();
  const feedback: Feedback = {
    action: r.data.action ?? 'other',
    ...(count ? { count: Number(count) } : {}),
    ...(r.data.note ? { note: r.data.note } : {}),
  };
  const probe: CalloutResponse = {
    schemaVersion: 1,
    responseId: 'web:form-check',
    calloutId: 'form-check',
    warningId: 'form-check',
    via: 'web',
    kind: 'feedback',
    feedback,
    at: new Date(0).toISOString(),
  };
  const v = validateContract('callout-response', probe);
  return v.ok ? { ok: true, feedback } : { ok: false, problems: v.errors };
}
