import type { CapacityPlanned } from '../../contracts/generated';
import { ChannelActual, CapacityComparison, compareCapacity, noSends } from '../callout/capacity-progress';
import { maskPhone } from '../common/mask';
import { LedgerEntry } from './ledger-entry';
import { FINAL_CHANNEL_STATUSES } from '../common/channel-status';

/**
 * The response chain of one warning, rebuilt from its ledger entries alone (the audit reads what the
 * other contexts published, never their tables). Call-out state names are data: only CONFIRMED,
 * NOT_WOKEN and ESCALATED mean something to the figures.
 */

export const CONFIRMED = 'CONFIRMED';
export const NOT_WOKEN = 'NOT_WOKEN';
export const ESCALATED = 'ESCALATED';

export type TimelineKind =
  | 'warning'
  | 'cap'
  | 'request'
  | 'status'
  | 'response'
  | 'state'
  | 'coverage'
  | 'plan'
  | 'closed'
  | 'dead-letter';

export interface TimelineItem {
  seq: number;
  at: string;
  topic: string;
  kind: TimelineKind;
  calloutId?: string;
  personId?: string;
  personName?: string;
  rung?: number;
  channel?: string;
  /** Delivery status, call-out state, or response kind. */
  state?: string;
  /** One line in Chinese for the report and the CSV. */
  summary: string;
}

export interface CalloutSummary {
  calloutId: string;
  personId?: string;
  personName?: string;
  role?: string;
  areaCode?: string;
  countyCode?: string;
  townshipCode?: string;
  rung?: number;
  subjectCalloutId?: string;
  channels: string[];
  requests: number;
  firstRequestedAt?: string;
  confirmedAt?: string;
  confirmedVia?: string;
  /** From the first callouts.requested to the first confirmation; null when either is missing. */
  secondsToConfirm: number | null;
  lastState?: string;
  notWoken: boolean;
  escalated: boolean;
  feedback: { at: string; action?: string; count?: number; note?: string }[];
}

export interface Figures {
  callouts: number;
  confirmed: number;
  /** confirmed / callouts, 0..1; null for no call-outs. */
  confirmationRate: number | null;
  medianSecondsToConfirm: number | null;
  p90SecondsToConfirm: number | null;
  notWoken: number;
  escalated: number;
}

export interface GroupFigures extends Figures {
  key: string;
  label: string;
}

export interface WarningInfo {
  warningId: string;
  headline?: string;
  hazard?: string;
  subtype?: string;
  level?: string | null;
  status?: string;
  sender?: string;
  sentAt?: string;
  msgTypes: string[];
  closedAt?: string;
  closedReason?: string;
  drill: boolean;
  /** verification: the roster verification campaign (always a drill). */
  purpose?: string;
}

export interface ResponseChain {
  warning: WarningInfo;
  timeline: TimelineItem[];
  callouts: CalloutSummary[];
  summary: Figures;
  persons: GroupFigures[];
  counties: GroupFigures[];
  townships: GroupFigures[];
  /**
   * Each capacity plan (callouts.plans) with what its first call-outs did: predicted vs actual per
   * channel, against the practice targets. Figures of a plan still running run to the last entry.
   */
  capacity: CapacityComparison[];
}

/** Linear-interpolation percentile (R-7, as spreadsheets' PERCENTILE computes it); null for none. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const rank = (s.length - 1) * p;
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo] + (s[hi] - s[lo]) * (rank - lo);
}

export function figuresOf(callouts: CalloutSummary[]): Figures {
  const times = callouts.map((c) => c.secondsToConfirm).filter((t): t is number => t !== null);
  const confirmed = callouts.filter((c) => c.confirmedAt).length;
  return {
    callouts: callouts.length,
    confirmed,
    confirmationRate: callouts.length ? confirmed / callouts.length : null,
    medianSecondsToConfirm: percentile(times, 0.5),
    p90SecondsToConfirm: percentile(times, 0.9),
    notWoken: callouts.filter((c) => c.notWoken).length,
    escalated: callouts.filter((c) => c.escalated).length,
  };
}

export function groupFigures(
  callouts: CalloutSummary[],
  keyOf: (c: CalloutSummary) => string | undefined,
  labelOf: (key: string, members: CalloutSummary[]) => string = (k) => k,
): GroupFigures[] {
  const groups = new Map<string, CalloutSummary[]>();
  for (const c of callouts) {
    const k = keyOf(c);
    if (k === undefined) continue;
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, members]) => ({ key, label: labelOf(key, members), ...figuresOf(members) }));
}

/** County (first 6 digits) and township (first 9) of a 12-digit division code. */
export function areaParents(code: string | undefined): { countyCode?: string; townshipCode?: string } {
  if (!code || !/^\d{12}$/.test(code)) return {};
  const countyCode = `${code.slice(0, 6)}000000`;
  // A person of a county-level (or higher) area belongs to no township.
  const townshipCode = code.slice(6, 9) === '000' ? undefined : `${code.slice(0, 9)}000`;
  return { countyCode, townshipCode };
}

type Obj = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' ? v : undefined);

function kindOf(e: LedgerEntry): TimelineKind {
  if (e.topic.endsWith('.dlq')) return 'dead-letter';
  if (e.topic === 'warnings.cap') return 'cap';
  if (e.topic.startsWith('warnings.') && e.topic !== 'warnings.closed') return 'warning';
  return (
    (
      {
        'callouts.requested': 'request',
        'callouts.status': 'status',
        'callouts.responses': 'response',
        'callouts.events': 'state',
        'alerts.coverage': 'coverage',
        'callouts.plans': 'plan',
        'warnings.closed': 'closed',
      } as Record<string, TimelineKind>
    )[e.topic] ?? 'dead-letter'
  );
}

const FEEDBACK_ZH: Record<string, string> = {
  'patrol-done': '已巡查',
  evacuated: '已转移群众',
  'shelter-opened': '已开放避险场所',
  'need-help': '请求支援',
  'reached-in-person': '已上门叫应',
  other: '其他',
};
const CHANNEL_ZH: Record<string, string> = {
  sms: '短信',
  voice: '语音',
  web: '网页',
  'duty-officer': '值班员代确认',
};
const zhChannel = (c: string | undefined) => (c ? (CHANNEL_ZH[c] ?? c) : '');

function summaryOf(kind: TimelineKind, c: Obj): string {
  switch (kind) {
    case 'warning':
      return `预警${c.msgType === 'Alert' ? '发布' : c.msgType === 'Update' ? '更新' : '解除/取消'}：${str(c.headline) ?? ''}（${str(c.level) ?? '无级别'}）`;
    case 'cap':
      return `CAP 报文 ${str(c.identifier) ?? '（无标识）'}`;
    case 'request':
      return `请求${zhChannel(str(c.channel))}第 ${num(c.attempt) ?? '?'} 次（${str(c.purpose) ?? ''}）至 ${maskPhone(str(c.to))}`;
    case 'status':
      return `${zhChannel(str(c.channel))}状态：${str(c.status) ?? ''}${c.reason ? `（${str(c.reason)}）` : ''}`;
    case 'response': {
      const via = zhChannel(str(c.via));
      if (c.kind === 'confirm') return `确认收到（${via}）`;
      if (c.kind === 'feedback') {
        const f = (c.feedback ?? {}) as Obj;
        const action = str(f.action);
        return `反馈（${via}）：${action ? (FEEDBACK_ZH[action] ?? action) : ''}${num(f.count) !== undefined ? ` ${f.count} 人` : ''}${f.note ? ` ${str(f.note)}` : ''}`;
      }
      return `无法识别的回复（${via}）：${str(c.text) ?? ''}`;
    }
    case 'state':
      return `状态 ${str(c.from) ?? '—'} → ${str(c.to) ?? ''}（${str(c.reason) ?? ''}）${num(c.rung) ? ` 第 ${c.rung} 级升级` : ''}`;
    case 'coverage':
      return `覆盖告警 ${str(c.kind) ?? ''}：${str(c.message) ?? ''}`;
    case 'plan':
      return planSummary(c as unknown as CapacityPlanned);
    case 'closed':
      return `预警关闭（${str(c.reason) ?? ''}）`;
    case 'dead-letter':
      return `死信 ${str(c.originalTopic) ?? ''}：${str(c.reason) ?? ''}`;
  }
}

const roundSec = (s: number | null | undefined) =>
  typeof s === 'number' ? `${Math.ceil(s)} 秒` : '无法完成';

function planSummary(p: CapacityPlanned): string {
  const channels = (p.channels ?? [])
    .map(
      (ch) =>
        `${zhChannel(ch.channel)} ${ch.sends} 条，每秒 ${ch.perSecond}，预计 ${roundSec(ch.lastSentSec)}发完`,
    )
    .join('；');
  const voice =
    p.voiceAllPlacedSec === null
      ? ''
      : `；语音预计 ${roundSec(p.voiceAllPlacedSec)}拨完（目标 ${p.targets?.voiceWithinSec} 秒）`;
  return `容量预测：首轮 ${p.persons} 人；${channels}${voice}；全部叫醒预计 ${roundSec(p.allWokenSec)}（目标 ${p.targets?.allWokenWithinSec} 秒）`;
}

/** Statuses after which nothing more happens to a send. */
const FINAL_STATUSES = new Set<string>(FINAL_CHANNEL_STATUSES);

interface SendSeen {
  channel: string;
  purpose?: string;
  calloutId?: string;
  requestedAt: string;
  acceptedAt?: string;
  reachedAt?: string;
  ended: boolean;
}

/**
 * Predicted vs actual from the ledger: each plan's first-round sends are the rung-0 call-outs'
 * 'callout' requests from the plan until the next plan; a send is accepted at its first status other
 * than failed, reached at its first delivered or heard.
 */
function capacityOf(
  plans: CapacityPlanned[],
  sends: Map<string, SendSeen>,
  rungOf: (calloutId: string | undefined) => number,
  lastAt: string,
): CapacityComparison[] {
  const ordered = [...plans].sort((a, b) => a.at.localeCompare(b.at));
  return ordered.map((plan, i) => {
    const until = ordered[i + 1]?.at;
    const byChannel = new Map<string, ChannelActual>();
    const later = (a: string | null, b: string | undefined) => (b && (!a || b > a) ? b : a);
    for (const s of sends.values()) {
      if (s.purpose !== 'callout' || rungOf(s.calloutId) !== 0) continue;
      if (s.requestedAt < plan.at || (until && s.requestedAt >= until)) continue;
      const a = byChannel.get(s.channel) ?? noSends(s.channel);
      a.requested += 1;
      if (s.acceptedAt) a.accepted += 1;
      a.lastAcceptedAt = later(a.lastAcceptedAt, s.acceptedAt);
      if (s.reachedAt) a.reached += 1;
      a.lastReachedAt = later(a.lastReachedAt, s.reachedAt);
      if (s.ended) a.ended += 1;
      if (s.ended && !s.acceptedAt) a.refused += 1;
      byChannel.set(s.channel, a);
    }
    return compareCapacity(plan, [...byChannel.values()], new Date(until ?? lastAt));
  });
}

/** Rebuilds the response chain of one warning from its ledger entries. */
export function buildResponseChain(
  warningId: string,
  entries: LedgerEntry[],
  areaName: (code: string) => string | undefined = () => undefined,
): ResponseChain {
  const ordered = [...entries].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.seq - b.seq);
  const callouts = new Map<string, CalloutSummary>();
  const calloutOf = (id: string | undefined) => {
    if (!id) return undefined;
    let c = callouts.get(id);
    if (!c) {
      c = {
        calloutId: id,
        channels: [],
        requests: 0,
        secondsToConfirm: null,
        notWoken: false,
        escalated: false,
        feedback: [],
      };
      callouts.set(id, c);
    }
    return c;
  };
  const confirm = (c: CalloutSummary, at: string, via: string) => {
    if (!c.confirmedAt || at < c.confirmedAt) {
      c.confirmedAt = at;
      c.confirmedVia = via;
    }
  };
  const warning: WarningInfo = { warningId, msgTypes: [], drill: entries.some((e) => e.drill) };
  const timeline: TimelineItem[] = [];
  const plans: CapacityPlanned[] = [];
  const sends = new Map<string, SendSeen>();

  for (const e of ordered) {
    const kind = kindOf(e);
    const c = (e.content ?? {}) as Obj;
    const callout = kind === 'dead-letter' ? undefined : calloutOf(str(c.calloutId));
    const item: TimelineItem = {
      seq: e.seq,
      at: e.occurredAt,
      topic: e.topic,
      kind,
      summary: summaryOf(kind, c),
    };
    if (callout) item.calloutId = callout.calloutId;
    switch (kind) {
      case 'warning':
        Object.assign(warning, {
          headline: str(c.headline) ?? warning.headline,
          hazard: str(c.hazard) ?? warning.hazard,
          subtype: str(c.subtype) ?? warning.subtype,
          level: (c.level as string | null | undefined) ?? warning.level,
          status: str(c.status) ?? warning.status,
          sender: str(c.sender) ?? warning.sender,
          sentAt: warning.sentAt ?? str(c.sentAt),
          purpose: str(c.purpose) ?? warning.purpose,
        });
        warning.msgTypes.push(String(c.msgType));
        item.state = str(c.msgType);
        break;
      case 'request':
        if (callout) {
          callout.requests += 1;
          callout.personId ??= str(c.personId);
          const ch = str(c.channel);
          if (ch && !callout.channels.includes(ch)) callout.channels.push(ch);
          if (!callout.firstRequestedAt || e.occurredAt < callout.firstRequestedAt)
            callout.firstRequestedAt = e.occurredAt;
        }
        item.channel = str(c.channel);
        item.state = str(c.purpose);
        if (str(c.requestId) && !sends.has(str(c.requestId)!))
          sends.set(str(c.requestId)!, {
            channel: str(c.channel) ?? '',
            purpose: str(c.purpose),
            calloutId: str(c.calloutId),
            requestedAt: e.occurredAt,
            ended: false,
          });
        break;
      case 'status': {
        item.channel = str(c.channel);
        item.state = str(c.status);
        const s = sends.get(str(c.requestId) ?? '');
        const st = str(c.status) ?? '';
        if (s) {
          if (st !== 'failed') s.acceptedAt ??= e.occurredAt;
          if (st === 'delivered' || st === 'heard') s.reachedAt ??= e.occurredAt;
          if (FINAL_STATUSES.has(st)) s.ended = true;
        }
        break;
      }
      case 'plan':
        plans.push(c as unknown as CapacityPlanned);
        break;
      case 'response':
        item.channel = str(c.via);
        item.state = str(c.kind);
        if (callout && c.kind === 'confirm') confirm(callout, e.occurredAt, str(c.via) ?? '');
        if (callout && c.kind === 'feedback') {
          const f = (c.feedback ?? {}) as Obj;
          callout.feedback.push({
            at: e.occurredAt,
            action: str(f.action),
            count: num(f.count),
            note: str(f.note),
          });
        }
        break;
      case 'state':
        if (callout) {
          callout.personId ??= str(c.personId);
          callout.personName = str(c.personName) ?? callout.personName;
          callout.role = str(c.role) ?? callout.role;
          callout.areaCode = str(c.areaCode) ?? callout.areaCode;
          callout.rung = num(c.rung) ?? callout.rung;
          callout.subjectCalloutId = str(c.subjectCalloutId) ?? callout.subjectCalloutId;
          callout.lastState = str(c.to);
          if (c.to === CONFIRMED) confirm(callout, e.occurredAt, 'state');
          if (c.to === ESCALATED) callout.escalated = true;
          item.rung = num(c.rung);
        }
        item.state = str(c.to);
        break;
      case 'closed':
        warning.closedAt = e.occurredAt;
        warning.closedReason = str(c.reason);
        break;
      default:
        break;
    }
    timeline.push(item);
  }

  const list = [...callouts.values()];
  for (const c of list) {
    c.notWoken = c.lastState === NOT_WOKEN;
    Object.assign(c, areaParents(c.areaCode));
    if (c.firstRequestedAt && c.confirmedAt)
      c.secondsToConfirm = Math.max(0, (Date.parse(c.confirmedAt) - Date.parse(c.firstRequestedAt)) / 1000);
  }
  const names = new Map(list.map((c) => [c.calloutId, c]));
  for (const item of timeline) {
    const c = item.calloutId ? names.get(item.calloutId) : undefined;
    if (c) {
      item.personId = c.personId;
      item.personName = c.personName;
      item.rung ??= c.rung;
    }
  }
  const withName = (code: string) => {
    const n = areaName(code);
    return n ? `${n}（${code}）` : code;
  };
  return {
    warning,
    timeline,
    callouts: list,
    summary: figuresOf(list),
    persons: groupFigures(
      list,
      (c) => c.personId,
      (k, m) => m.find((c) => c.personName)?.personName ?? k,
    ),
    counties: groupFigures(list, (c) => c.countyCode, withName),
    townships: groupFigures(list, (c) => c.townshipCode, withName),
    capacity: capacityOf(
      plans,
      sends,
      (id) => (id ? (callouts.get(id)?.rung ?? 0) : 0),
      ordered.at(-1)?.occurredAt ?? new Date(0).toISOString(),
    ),
  };
}
