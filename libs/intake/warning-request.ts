/**
 * Turns a duty officer's request body (issue / update / cancel) into a canonical warning, or into
 * field-level errors. Pure logic: the contract (JSON Schema) and checkWarning() decide validity,
 * so the API accepts exactly what the dispatcher will accept.
 */
import { WarningMessage } from '../../contracts/generated/warning';
import { validateContract } from '../../contracts/validate';
import { levelName, subtypeName } from '../common/hazards';
import { checkWarning, expiryErrors } from './warning-rules';

export interface FieldError {
  /** Dotted path of the field in the request body, e.g. "areas[0].code"; "(body)" for the whole body. */
  field: string;
  message: string;
}

/** Fields a duty officer may send when issuing or updating a warning. */
export const INPUT_FIELDS = [
  'id',
  'hazard',
  'subtype',
  'level',
  'sourceLevel',
  'headline',
  'description',
  'instruction',
  'language',
  'areas',
  'geometry',
  'onset',
  'effective',
  'expires',
  'status',
  'sender',
] as const;
/**
 * `purpose: verification` (the yearly roster check, which calls every person at any level) is set
 * only by the verification campaign (libs/drills), which holds it to its window and to the directory
 * admin; a duty officer's request that names a purpose is refused with this message.
 */
export const PURPOSE_REFUSED =
  'is set only by the verification campaign (POST /api/drills/verification or npm run verify-roster), which keeps it to its window';
/** Fields a cancel (解除) may carry; everything else comes from the warning being cancelled. */
export const CANCEL_FIELDS = ['id', 'headline', 'description', 'instruction', 'sender', 'status'] as const;

/** Statuses a duty officer may issue: real, or a drill (演练). Test/Draft/System come only from feeds. */
const OFFICER_STATUSES = ['Actual', 'Exercise'];

export type Draft = { ok: true; warning: WarningMessage } | { ok: false; errors: FieldError[] };

export interface DraftContext {
  msgType: WarningMessage['msgType'];
  /** The warning this one updates or cancels (as intake last saw it), when known. */
  base?: WarningMessage;
  /** The id being updated / cancelled. */
  refersTo?: string;
  /** Used as id when the body gives none; replaced by a generated national id after validation. */
  placeholderId: string;
  now: Date;
  /** Issuing agency recorded when the body names none (INTAKE_SENDER). */
  defaultSender: string;
  /** The verification campaign's own request (libs/drills): the only one that may carry `purpose`. */
  campaign?: boolean;
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

/** "/areas/0/code" → "areas[0].code". */
export function fieldOfPath(path: string): string {
  if (!path || path === '(root)') return '(body)';
  return path
    .split('/')
    .filter(Boolean)
    .map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`))
    .join('');
}

/** Contract error strings ("/areas/0/code: must match …") → field errors. */
function contractFieldErrors(errors: string[]): FieldError[] {
  return errors.map((e) => {
    const m = /^(\S+): (.*)$/.exec(e);
    if (!m) return { field: '(body)', message: e };
    const [, path, message] = m;
    const missing = /must have required property '([^']+)'/.exec(message);
    const unknown = /unknown property "([^"]+)"/.exec(message);
    if (path === '(root)' && missing) return { field: missing[1], message: 'is required' };
    if (path === '(root)' && unknown) return { field: unknown[1], message: 'is not a known field' };
    return { field: fieldOfPath(path), message };
  });
}

/** Which field a business-rule reason is about (for the 400 response). */
function ruleField(reason: string): string {
  if (/^purpose/.test(reason)) return 'purpose';
  if (/^unknown subtype/.test(reason)) return 'subtype';
  if (/source level/.test(reason)) return 'sourceLevel';
  if (/level/.test(reason)) return 'level';
  if (/^expires/.test(reason)) return 'expires';
  if (/references/.test(reason)) return 'references';
  if (/area/.test(reason)) return 'areas';
  if (/hazard/.test(reason)) return 'hazard';
  return '(body)';
}

export function draftWarning(body: unknown, ctx: DraftContext): Draft {
  if (!isObject(body)) return { ok: false, errors: [{ field: '(body)', message: 'must be a JSON object' }] };
  const allowed: readonly string[] =
    ctx.msgType === 'Cancel' ? CANCEL_FIELDS : ctx.campaign ? [...INPUT_FIELDS, 'purpose'] : INPUT_FIELDS;
  const errors: FieldError[] = Object.keys(body)
    .filter((k) => !allowed.includes(k))
    .map((k) => ({
      field: k,
      message:
        ctx.msgType === 'Cancel'
          ? 'cannot be changed when cancelling'
          : k === 'purpose'
            ? PURPOSE_REFUSED
            : 'is not a known field',
    }));
  if (body.status !== undefined && !OFFICER_STATUSES.includes(body.status as string))
    errors.push({ field: 'status', message: `must be one of ${OFFICER_STATUSES.join(', ')}` });
  if (errors.length) return { ok: false, errors };

  const now = ctx.now.toISOString();
  const base = ctx.base;
  const carried: Partial<WarningMessage> = base
    ? {
        hazard: base.hazard,
        subtype: base.subtype,
        level: base.level,
        ...(base.sourceLevel !== undefined ? { sourceLevel: base.sourceLevel } : {}),
        headline: base.headline,
        ...(base.description !== undefined ? { description: base.description } : {}),
        ...(base.instruction !== undefined ? { instruction: base.instruction } : {}),
        ...(base.language !== undefined ? { language: base.language } : {}),
        areas: base.areas,
        ...(base.geometry !== undefined ? { geometry: base.geometry } : {}),
        expires: base.expires,
        status: base.status,
        sender: base.sender,
        // A campaign's Update or Cancel stays the campaign (the window and Exercise rules hold).
        ...(base.purpose !== undefined ? { purpose: base.purpose } : {}),
      }
    : {};
  if (ctx.msgType === 'Cancel' && base) {
    // 解除: the lift notice names what is lifted; it stays valid at least an hour so late readers see it.
    carried.headline = `解除${subtypeName(base.hazard, base.subtype)}${levelName(base.level ?? null)}预警 / ${subtypeName(base.hazard, base.subtype, 'en')} warning lifted`;
    const hour = new Date(ctx.now.getTime() + 3600_000).toISOString();
    carried.expires = Date.parse(base.expires) > ctx.now.getTime() + 60_000 ? base.expires : hour;
    delete carried.description;
    delete carried.instruction;
  }
  const references = ctx.refersTo ? [...new Set([...(base?.references ?? []), ctx.refersTo])] : undefined;
  const { id, ...fields } = body as Partial<WarningMessage>;
  const warning = {
    schemaVersion: 1,
    id: id ?? ctx.placeholderId,
    msgType: ctx.msgType,
    status: 'Actual',
    sender: ctx.defaultSender,
    sentAt: now,
    effective: now,
    ...carried,
    ...fields,
    ...(references ? { references } : {}),
    source: 'duty-officer',
  } as WarningMessage;
  if (ctx.msgType !== 'Alert') {
    // An update or a cancel takes effect when sent.
    warning.sentAt = now;
    if (!('effective' in fields)) warning.effective = now;
  }

  const v = validateContract<WarningMessage>('warning', warning);
  if (!v.ok) return { ok: false, errors: contractFieldErrors(v.errors) };
  const ruleErrors = [...checkWarning(warning).errors, ...expiryErrors(warning, ctx.now)];
  if (ruleErrors.length)
    return { ok: false, errors: ruleErrors.map((message) => ({ field: ruleField(message), message })) };
  return { ok: true, warning };
}
