import { ROLE_CODES, ROLES } from '../directory/roles';
import { deadLetterView, reasonText, TEXT_KEYS, translate } from './console-i18n';
import { ConsoleViews } from './console-views';
import { groupNotWoken } from './not-woken-groups';
import { capacityView } from './board.service';
import { firstRoundRunning } from '../../test/support/capacity';

/** Latin words of a text (two letters or more), once the allowed ids are taken out. */
const latinWords = (text: string, allowed: string[] = []) => {
  let t = text;
  for (const a of allowed) t = t.split(a).join(' ');
  return t.match(/[A-Za-z]{2,}/g) ?? [];
};

/** The text a browser shows of server HTML: no tags, no attributes, no closed <details> content. */
const visibleText = (html: string) =>
  html
    .replace(/<(script|style)[\s\S]*?<\/\1>/g, ' ')
    .replace(/<details[^>]*>\s*<summary>([\s\S]*?)<\/summary>[\s\S]*?<\/details>/g, ' $1 ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&[a-z]+;|&#\d+;/g, ' ');

/** Every reason the dispatcher and tracker write for a call-out transition (libs/callout). */
const TRACKER_REASONS = [
  'first call-out',
  'SMS delivered',
  'voice message heard',
  'voice busy',
  'voice no-answer',
  'voice failed',
  'voice canceled',
  'voice completed',
  'confirmed by sms',
  'confirmed by voice',
  'confirmed by web',
  'confirmed by duty-officer',
  '王建国 is handling it',
  'reached in person (console:duty)',
  'not confirmed within 600 s',
  'ladder step not confirmed within 300 s',
  'redial 1 of 2',
  'escalation step 1 (backup)',
  'escalation step 2 (superior)',
  'no one on the ladder confirmed (2 round(s))',
  'no backup or superior to escalate to',
  'warning expired',
  'superseded by level red',
  'cancelled by 14020041600000_20260712083000_1',
  'warning lifted for the area',
  'subject settled',
];

/** Dead-letter reasons as SafeConsumer and the handlers write them (x-dlq-reason). */
const DLQ_REASONS: Record<string, string> = {
  intake: 'rejected: CAP message rejected; info[0].expires: before effective',
  dispatcher: 'rejected: warning w-9 rejected; level: not allowed for rainstorm',
  tracker: 'schema callout-status: /status must be equal to one of the allowed values',
  notifier: 'rejected: cannot render: template sms/escalation: "name" not defined in undefined - 1:22',
  audit: 'not JSON: Unexpected token < in JSON at position 0',
  console: 'handler failed after 5 tries: connection refused',
};

describe('the zh-CN board speaks Chinese throughout', () => {
  const views = new ConsoleViews();
  const session = {
    id: 's1',
    username: 'duty',
    display_name: '值班员',
    role: 'duty-officer' as const,
    csrf: 'csrf-token',
  };
  const at = '2026-07-12T08:00:00Z';
  const board = {
    held: [],
    warnings: [
      {
        id: '14020041600000_20260712083000_1',
        seq: 1,
        level: 'red',
        drill: true,
        headline: '大同市气象台发布暴雨红色预警信号',
        counts: { persons: 3, confirmed: 1, pending: 1, escalated: 0, notWoken: 1 },
        // The first round 200 s in: 200 calls of 600 placed at 1 a second, past the 3-minute target.
        capacity: capacityView(firstRoundRunning('14020041600000_20260712083000_1')),
        counties: [
          {
            code: '140212000000',
            name: '新荣区',
            counts: { confirmed: 1, pending: 1, escalated: 0, notWoken: 1 },
            townships: [],
          },
        ],
      },
    ],
    notWoken: groupNotWoken([
      { warning_id: 'w1', area_code: '140212100201', area_name: '杏花峪村', n: 1, oldest: at },
    ]),
    seesPersons: true,
    filter: {},
    filterQs: '',
    fragmentUrl: '/console/board/fragment',
    tasks: [],
    areaOptions: [{ code: '140212000000', name: '新荣区', selected: false }],
    roleOptions: ROLE_CODES.map((code) => ({ code, ...ROLES[code], selected: false })),
    alerts: [
      {
        at,
        drill: false,
        reason: 'no-reachable-person',
        summary:
          '王官人屯镇：王官人屯镇 无可叫应的责任人（no-role-holder）/ no reachable person in 王官人屯镇 (no-role-holder)',
      },
    ],
    dlq: Object.entries(DLQ_REASONS).map(([group, reason], i) => {
      const row = {
        at,
        drill: false,
        summary: `${['warnings.cap', 'warnings.flood', 'callouts.status', 'callouts.requested', 'warnings.geologic', 'alerts.coverage'][i]}: <alert>broken`,
        reason: `${group}: ${reason}`,
        detail: { reasons: { [group]: reason } },
      };
      return { ...row, ...deadLetterView(row) };
    }),
    activity: TRACKER_REASONS.map((reason, i) => ({
      at,
      personName: '王建国',
      areaName: '杏花峪村',
      from: ['SENT', 'DELIVERED', 'HEARD', 'REDIAL_PENDING', 'ESCALATED'][i % 5],
      to: ['CONFIRMED', 'NOT_WOKEN', 'REACHED', 'CANCELLED', 'EXPIRED', 'GIVEN_UP', 'SETTLED'][i % 7],
      reason,
      drill: false,
    })),
    loadedAt: at,
    // The system-health strip (read from the services' /metrics), its provider failing.
    health: {
      consumerLag: 3,
      sendQueue: 12,
      deadlineLagSeconds: 0.4,
      outboxOldestSeconds: 1.2,
      provider: 'failing',
      openCircuits: ['twilio'],
      slow: true,
    },
  };

  it('translates every reason the tracker writes', () => {
    const left = TRACKER_REASONS.map((r) => [r, reasonText(r, 'zh-CN')]).filter(
      ([, zh]) => latinWords(zh, ['14020041600000_20260712083000_1', 'console:duty']).length > 0,
    );
    expect(left).toEqual([]);
    expect(reasonText('superseded by level red', 'zh-CN')).toBe('已被红色取代');
    expect(reasonText('voice busy', 'zh-CN')).toBe('语音呼叫未成功（占线）');
  });

  it('renders a board with reasons, states, roles, alerts and dead letters without an English word', () => {
    const html = views.page('board', { lang: 'zh-CN', session, path: '/' }, { board });
    // A provider's name (its circuit open) is a name, not a word to translate.
    const words = latinWords(visibleText(html), [
      '14020041600000_20260712083000_1',
      'console:duty',
      'twilio',
    ]);
    // The language switch is the one English word of the zh-CN page.
    expect(words).toEqual(['English']);
    // What the rows say, in Chinese; the raw texts are still there, behind "原始内容".
    expect(html).toContain('标准预警报文');
    // The first round: predicted vs actual, against the practice targets.
    expect(html).toContain('首轮叫应：预测与实际');
    expect(html).toMatch(
      /进行中 已受理 <b data-figure="accepted">200<\/b>\/600 · <b data-figure="seconds">200<\/b> 秒/,
    );
    expect(html).toMatch(
      /<td data-verdict="missed">600 · 未达标<\/td>\s*<td data-verdict="missed">— · 未达标<\/td>/,
    );
    expect(html).toMatch(/通道熔断（已转备用通道） <b data-figure="openCircuits">twilio<\/b>/);
    expect(html).toContain('预警接收 · 预警报文不合格');
    expect(html).toContain('叫应跟踪 · 不符合消息约定');
    expect(html).toContain('审计 · 内容无法解读（格式损坏）');
    expect(html).toContain('值班台 · 多次处理失败');
    expect(html).toContain('rejected: CAP message rejected');
    expect(html).toContain('&lt;alert&gt;broken');
  });

  it('speaks English with ?lang=en', () => {
    const html = views.page('board', { lang: 'en', session, path: '/' }, { board });
    const text = visibleText(html);
    expect(text).toContain('CAP messages');
    expect(text).toContain('intake · invalid CAP message');
    expect(text).toContain('voice busy');
    expect(text).not.toMatch(/已确认|预警接收/);
  });

  it('has both languages for every key of the table', () => {
    for (const k of TEXT_KEYS) {
      expect(translate(k, 'zh-CN')).not.toBe(k);
      expect(
        latinWords(translate(k, 'zh-CN')).filter((w) => !['English', 'GeoJSON', 'CSV', 'JSON'].includes(w)),
      ).toEqual([]);
    }
  });
});
