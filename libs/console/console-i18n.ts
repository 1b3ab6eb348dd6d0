import { levelName } from '../intake/hazards';

/** The console's two languages: Chinese by default, English on request (?lang=en, remembered in a cookie). */
export type ConsoleLang = 'zh-CN' | 'en';

export const langOf = (v: unknown): ConsoleLang | undefined =>
  v === 'en' ? 'en' : v === 'zh' || v === 'zh-CN' ? 'zh-CN' : undefined;

/** Every label of the console: [zh-CN, en]. */
const TEXT: Record<string, [string, string]> = {
  appName: ['预警叫应值班台', 'Warning call-out console'],
  board: ['值班看板', 'Duty board'],
  issue: ['发布预警', 'Issue warning'],
  audit: ['审计', 'Audit'],
  directory: ['通讯录管理', 'Directory'],
  login: ['登录', 'Sign in'],
  logout: ['退出', 'Sign out'],
  username: ['用户名', 'User name'],
  password: ['密码', 'Password'],
  badLogin: ['用户名或密码不正确', 'Wrong user name or password'],
  activeWarnings: ['生效中的预警', 'Active warnings'],
  noActive: ['当前没有生效中的预警', 'No active warnings'],
  systemHealth: ['系统状态', 'System'],
  systemOk: ['正常', 'keeping up'],
  systemSlow: ['系统滞后：看板和叫应可能延迟', 'behind: the board and the call-outs may lag'],
  consumerLag: ['待处理消息', 'Messages waiting'],
  sendQueue: ['待发送', 'Sends queued'],
  deadlineLag: ['时限延迟', 'Deadlines late'],
  outboxAge: ['事件积压', 'Events waiting'],
  provider: ['短信/语音通道', 'SMS/voice provider'],
  providerOk: ['正常', 'ok'],
  providerFailing: ['发送失败较多', 'failing'],
  providerIdle: ['空闲', 'idle'],
  providerUnknown: ['未知', 'unknown'],
  circuitOpen: ['通道熔断（已转备用通道）', 'circuit open (sends moved to the next provider)'],
  seconds: ['秒', 's'],
  drill: ['演练', 'DRILL'],
  persons: ['责任人', 'Persons'],
  confirmed: ['已确认', 'Confirmed'],
  pending: ['等待中', 'Pending'],
  escalated: ['已升级', 'Escalated'],
  notWoken: ['未叫醒', 'Not woken'],
  reached: ['已上门', 'Reached'],
  county: ['县（区）', 'County'],
  township: ['乡镇（街道）', 'Township'],
  notWokenList: ['未叫醒名单', 'Not-woken list'],
  noneNotWoken: ['没有未叫醒的责任人', 'Nobody is left not woken'],
  name: ['姓名', 'Name'],
  role: ['职责', 'Role'],
  phone: ['电话', 'Phone'],
  area: ['区域', 'Area'],
  reason: ['原因', 'Reason'],
  handledBy: ['处理人', 'Handled by'],
  note: ['备注（如：已派人上门）', 'Note (e.g. sent someone to the door)'],
  markReached: ['标记已上门叫应', 'Mark reached in person'],
  callAgain: ['立即重呼', 'Call again now'],
  // The not-woken list by area, set actions, door-to-door hand-offs, the progress chart.
  nwFilter: ['筛选', 'Filter'],
  nwAllWarnings: ['全部预警', 'All warnings'],
  nwAllAreas: ['全部区县', 'All counties'],
  nwAllRoles: ['全部职责', 'All roles'],
  nwSearch: ['姓名或号码', 'Name or number'],
  nwClear: ['清除筛选', 'Clear'],
  nwOpenList: ['查看名单', 'Open the list'],
  nwLongestWait: ['最长等待', 'longest wait'],
  nwWaited: ['已等待', 'Waited'],
  nwPersonsOf: ['人', 'persons'],
  nwPrev: ['上一页', 'Previous'],
  nwNext: ['下一页', 'Next'],
  nwPage: ['第{n}页', 'Page {n}'],
  nwSelect: ['选择', 'Select'],
  nwRecallAll: ['本区域未叫醒全部重呼', 'Call all not-woken here again'],
  nwReachedSelected: ['所选人员已上门叫应', 'Mark selected reached in person'],
  nwConfirmRecall: ['确认对以下人员重新呼叫', 'Confirm: call these persons again'],
  nwConfirmReached: ['确认以下人员已上门叫应', 'Confirm: these persons were reached in person'],
  nwConfirm: ['确认执行', 'Confirm'],
  nwNoneSelected: ['没有选择任何人员', 'Nobody selected'],
  nwDoneCount: ['已提交（人数）', 'Done (persons)'],
  handOff: ['交乡镇负责人上门叫应（发送名单）', 'Hand to the township head (send the list)'],
  handOffVillage: ['交网格员上门叫应（发送名单）', 'Hand to the grid worker (send the list)'],
  fieldTasks: ['上门叫应任务', 'Door-to-door tasks'],
  fieldTask: ['上门叫应任务', 'Door-to-door task'],
  noOpenTasks: ['没有进行中的上门任务', 'No open door-to-door tasks'],
  assignee: ['负责人', 'Assignee'],
  openedBy: ['派发人', 'Opened by'],
  openedAt: ['派发时间', 'Opened'],
  taskAge: ['已用时', 'Age'],
  taskOpen: ['进行中', 'Open'],
  taskClosed: ['已完成', 'Closed'],
  progressDone: ['已上报', 'Reported'],
  outcome: ['上门结果', 'Outcome'],
  'outcome.reached': ['已当面叫醒', 'Reached'],
  'outcome.not-found': ['未找到本人', 'Not found'],
  'outcome.moved': ['已搬离', 'Moved away'],
  reportOutcome: ['上报结果', 'Report'],
  reportedBy: ['上报人', 'Reported by'],
  printList: ['打印上门名单', 'Print the list'],
  printTitle: ['上门叫应名单', 'Door-to-door list'],
  printHint: [
    '逐户上门，当面叫醒后勾选结果并记录时间，返回后交值班室录入。',
    'Visit each door, tick the outcome and the time, hand back to the duty office.',
  ],
  progressChart: ['叫应进度图', 'Progress chart'],
  wholeWarning: ['全部区域', 'All areas'],
  coverageAlerts: ['覆盖告警', 'Coverage alerts'],
  rejectedInputs: ['被拒收的输入（死信）', 'Rejected inputs (DLQ)'],
  noneYet: ['暂无', 'None'],
  at: ['时间', 'Time'],
  live: ['实时更新中', 'Live'],
  offline: ['连接中断，正在重连…', 'Disconnected, reconnecting…'],
  warning: ['预警', 'Warning'],
  hazard: ['灾种', 'Hazard'],
  signal: ['信号 / 类别', 'Signal / kind'],
  level: ['级别', 'Level'],
  headline: ['标题', 'Headline'],
  description: ['内容', 'Description'],
  instruction: ['防御指南', 'Instruction'],
  areas: ['影响区域', 'Areas'],
  areaCodes: ['区划代码（可直接填写，逗号分隔）', 'Division codes (or type them, comma-separated)'],
  expires: ['失效时间（北京时间）', 'Expires (Beijing time)'],
  isDrill: ['演练（不是真实预警）', 'Drill (not a real warning)'],
  sender: ['发布单位', 'Issuing agency'],
  preview: ['预览短信和语音', 'Preview SMS and voice'],
  send: ['发布', 'Send'],
  update: ['更新预警', 'Update warning'],
  cancel: ['解除预警', 'Cancel warning'],
  cancelConfirm: ['确认解除', 'Confirm cancel'],
  smsPreview: ['短信预览', 'SMS preview'],
  voicePreview: ['语音预览', 'Voice preview'],
  capacityPreview: ['叫应能力预估', 'Capacity estimate'],
  capacityEstimate: [
    '按所选村数和本级别策略估算的首轮发送',
    "first-round sends estimated from the villages chosen and the level's policy",
  ],
  lastCallAt: ['最后一通电话拨出（秒）', 'Last call placed (s)'],
  allWokenAt: ['全部叫醒（秒）', 'Everyone woken (s)'],
  target: ['目标', 'target'],
  wouldMeet: ['可达标的做法', 'What would meet the targets'],
  segments: ['条', 'segments'],
  chars: ['字符', 'characters'],
  sent: ['已提交，等待派发', 'Accepted; dispatch follows'],
  errors: ['请修改以下问题', 'Please fix the following'],
  allowedLevels: ['该信号可用级别', 'Levels this signal allows'],
  timeline: ['响应链时间线', 'Response-chain timeline'],
  figuresByPerson: ['按责任人统计', 'By person'],
  figuresByArea: ['按区域统计', 'By area'],
  verification: ['链校验', 'Chain verification'],
  verified: ['完整，未被篡改', 'Intact'],
  broken: ['校验失败', 'BROKEN'],
  exportCsv: ['导出 CSV', 'Export CSV'],
  exportJson: ['导出 JSON', 'Export JSON'],
  report: ['打印报告', 'Printable report'],
  warnings: ['预警', 'Warnings'],
  realWarnings: ['真实预警', 'Real warnings'],
  drills: ['演练', 'Drills'],
  callouts: ['叫应', 'Call-outs'],
  rate: ['确认率', 'Confirmation rate'],
  median: ['确认用时中位数（秒）', 'Median seconds to confirm'],
  upload: ['上传通讯录（CSV）', 'Upload roster (CSV)'],
  dryRun: ['试导入（只检查）', 'Dry run (check only)'],
  apply: ['确认导入', 'Apply'],
  partial: ['跳过有错的行', 'Skip bad rows'],
  rowErrors: ['行级错误', 'Row errors'],
  line: ['行', 'Line'],
  total: ['总行数', 'Rows'],
  rejected: ['拒绝', 'Rejected'],
  imported: ['已导入', 'Imported'],
  applied: ['已导入通讯录', 'Roster applied'],
  notApplied: ['未导入', 'Not applied'],
  health: ['通讯录健康报告', 'Directory health'],
  staleContacts: ['联系方式超过期限未核实', 'Contacts not verified recently'],
  withoutBackup: ['没有备岗人', 'Without a backup'],
  withoutSuperior: ['没有上级', 'Without a superior'],
  sharedNumbers: ['多人共用号码', 'Shared numbers'],
  numbersToCheck: ['待核实号码（依据真实呼叫结果）', 'Numbers to check (from real call outcomes)'],
  printable: ['打印版', 'Printable'],
  numbersToCheckUnavailable: ['暂时无法读取待核实号码', 'Numbers to check are unavailable just now'],
  forbidden: ['无权执行此操作', 'You may not do this'],
  error: ['出错了', 'Something went wrong'],
  back: ['返回', 'Back'],
  actionDone: ['已提交', 'Done'],
  state: ['状态', 'State'],
  summary: ['摘要', 'Summary'],
  lang: ['English', '中文'],
  needsMapping: ['待指定区划的预警', 'Warnings waiting for mapping'],
  needsMappingHelp: [
    '以下预警的影响区域无法自动对应到行政区划，尚未叫应（或仅部分叫应）。请指定区划后派发。',
    'These warnings name areas that map to no division and have not been called out (or only in part). Name the divisions to dispatch them.',
  ],
  partlyDispatched: ['其余区域已叫应', 'The other areas were called'],
  unmappedArea: ['未能对应的区域', 'Unmapped area'],
  candidates: ['可能是', 'May be'],
  shapes: ['图形', 'Shapes'],
  heldAt: ['暂停于', 'Held at'],
  mapTo: ['指定区划代码（逗号分隔）', 'Division codes (comma-separated)'],
  mapAndDispatch: ['指定并派发', 'Map and dispatch'],
  areaMapping: ['影响区域的对应方式', 'How the areas were mapped'],
  'how.code': ['按区划代码', 'by division code'],
  'how.name': ['按名称', 'by name'],
  'how.polygon': ['按多边形/圆', 'by polygon / circle'],
  'how.officer': ['值班员指定', 'mapped by the duty officer'],
  'how.none': ['未注明', 'not stated'],
  geojson: ['粘贴 GeoJSON 多边形（可选）', 'Paste a GeoJSON polygon (optional)'],
  previewArea: ['预览覆盖的村', 'Preview the villages it covers'],
  coveredVillages: ['多边形覆盖的村', 'Villages inside the polygon'],
  noVillages: ['多边形内没有已知位置的村', 'No village with a known point lies inside'],
  'state.PLANNED': ['待发送', 'Planned'],
  'state.SENT': ['已发送', 'Sent'],
  'state.DELIVERED': ['已送达', 'Delivered'],
  'state.HEARD': ['已收听', 'Heard'],
  'state.REDIAL_PENDING': ['待重拨', 'Redial pending'],
  'state.CONFIRMED': ['已确认', 'Confirmed'],
  'state.ESCALATED': ['已升级', 'Escalated'],
  'state.NOT_WOKEN': ['未叫醒', 'Not woken'],
  'state.REACHED': ['已上门', 'Reached'],
  'state.CANCELLED': ['已取消', 'Cancelled'],
  'state.EXPIRED': ['已过期', 'Expired'],
  'state.GIVEN_UP': ['已放弃', 'Given up'],
  'state.SETTLED': ['已办结', 'Settled'],
  'consoleRole.duty-officer': ['值班员', 'duty officer'],
  'consoleRole.auditor': ['审计员', 'auditor'],
  'consoleRole.directory-admin': ['通讯录管理员', 'directory admin'],
  'alert.no-reachable-person': ['无可联系责任人', 'No reachable person'],
  'alert.unmapped-area': ['区域无法对应', 'Unmapped area'],
  'alert.needs-mapping': ['待指定区划', 'Needs mapping'],
  'alert.area-mapped': ['已指定区划', 'Area mapped'],
  'alert.need-help': ['请求支援', 'Needs help'],
  'alert.not-woken': ['未叫醒', 'Not woken'],
  'alert.rejected': ['被拒收', 'Rejected'],
  // The rejected-inputs (DLQ) panel: which stream, which service refused it, why in a word; the raw
  // reason and bytes stay one click away (what the sender needs to fix it).
  rawMessage: ['原始内容', 'Raw message'],
  refusedBy: ['拒收方', 'Refused by'],
  'topic.warnings.meteorological': ['气象预警消息', 'meteorological warnings'],
  'topic.warnings.flood': ['水旱灾害预警消息', 'flood warnings'],
  'topic.warnings.geologic': ['地质灾害预警消息', 'geologic hazard warnings'],
  'topic.warnings.forest-fire': ['森林火险预警消息', 'forest fire warnings'],
  'topic.warnings.cap': ['标准预警报文', 'CAP messages'],
  'topic.callouts.requested': ['叫应发送请求', 'call-out requests'],
  'topic.callouts.status': ['短信语音回执', 'delivery statuses'],
  'topic.callouts.responses': ['责任人回复', 'responses'],
  'topic.callouts.events': ['叫应状态变化', 'call-out events'],
  'topic.alerts.coverage': ['覆盖告警', 'coverage alerts'],
  'topic.warnings.closed': ['预警结束', 'closed warnings'],
  'topic.fieldtasks.events': ['上门任务变化', 'door-to-door task events'],
  'topic.unknown': ['其他消息', 'other messages'],
  'service.intake': ['预警接收', 'intake'],
  'service.dispatcher': ['派发', 'dispatcher'],
  'service.tracker': ['叫应跟踪', 'tracker'],
  'service.notifier': ['通知发送', 'notifier'],
  'service.audit': ['审计', 'audit'],
  'service.console': ['值班台', 'console'],
  'service.unknown': ['未知服务', 'unknown service'],
  'dlqWhy.empty': ['空消息', 'empty message'],
  'dlqWhy.not-json': ['内容无法解读（格式损坏）', 'unreadable (not JSON)'],
  'dlqWhy.version': ['消息版本不受支持', 'unsupported message version'],
  'dlqWhy.schema': ['不符合消息约定', 'does not match its contract'],
  'dlqWhy.cap': ['预警报文不合格', 'invalid CAP message'],
  'dlqWhy.id-conflict': ['编号与已收到的另一条消息冲突', 'its id names another message'],
  'dlqWhy.warning': ['预警内容不合格', 'invalid warning'],
  'dlqWhy.template': ['通知内容无法生成', 'the notice cannot be rendered'],
  'dlqWhy.retries': ['多次处理失败', 'failed after retries'],
  'dlqWhy.other': ['无法处理', 'cannot be handled'],
};

/** The kind of a dead letter's reason (x-dlq-reason as SafeConsumer and the handlers write it). */
const DLQ_WHY: [RegExp, string][] = [
  [/^empty message/, 'empty'],
  [/^not JSON|not valid JSON/, 'not-json'],
  [/^unsupported schemaVersion/, 'version'],
  [/^schema /, 'schema'],
  [/names another message/, 'id-conflict'],
  [/^rejected: CAP /, 'cap'],
  [/^rejected: warning /, 'warning'],
  [/^rejected: (template data invalid|cannot render)/, 'template'],
  [/^handler failed after/, 'retries'],
];

export function deadLetterWhy(reason: unknown): string {
  const r = String(reason ?? '');
  return `dlqWhy.${DLQ_WHY.find(([re]) => re.test(r))?.[1] ?? 'other'}`;
}

/**
 * A rejected input as the board shows it: the stream it came on and, per service that refused it,
 * why in a word (keys of the i18n table); `reason` and `summary` are the raw texts.
 */
export function deadLetterView(row: { summary: string; detail?: unknown }) {
  const topic = /^([\w.-]+): /.exec(row.summary)?.[1];
  const reasons = (row.detail as { reasons?: unknown } | null | undefined)?.reasons;
  const byGroup = Object.entries(reasons && typeof reasons === 'object' ? reasons : {});
  return {
    topicKey: topic && TEXT[`topic.${topic}`] ? `topic.${topic}` : 'topic.unknown',
    refusals: byGroup.map(([group, why]) => ({
      serviceKey: TEXT[`service.${group}`] ? `service.${group}` : 'service.unknown',
      whyKey: deadLetterWhy(why),
    })),
  };
}

/** A call-out state (CONFIRMED, REDIAL_PENDING …) as people read it. */
export function stateName(state: unknown, lang: ConsoleLang): string {
  return state ? translate(`state.${String(state)}`, lang) : '';
}

const VOICE_STATUS_ZH: Record<string, string> = {
  busy: '占线',
  'no-answer': '无人接听',
  failed: '呼叫失败',
  canceled: '呼叫被取消',
  completed: '已接通但未收听完',
};
const VIA_ZH: Record<string, string> = {
  sms: '短信',
  voice: '语音',
  web: '网页',
  link: '链接',
  'duty-officer': '值班员',
};

/** What the tracker writes as a transition's reason (English, fixed phrases), in the reader's language. */
const REASONS: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^first call-out$/, () => '首次叫应'],
  [/^SMS delivered$/, () => '短信已送达'],
  [/^voice message heard$/, () => '语音已收听'],
  [/^voice (\S+)$/, (m) => `语音呼叫未成功（${VOICE_STATUS_ZH[m[1]] ?? '其他原因'}）`],
  [/^confirmed by (\S+)$/, (m) => `已确认（${VIA_ZH[m[1]] ?? '其他方式'}）`],
  [/^(.+) is handling it$/, (m) => `${m[1]} 正在处理`],
  [/^reached in person \((.+)\)$/, (m) => `已上门叫应（${m[1]}）`],
  [/^not confirmed within (\d+) s$/, (m) => `${m[1]} 秒内未确认`],
  [/^ladder step not confirmed within (\d+) s$/, (m) => `升级对象 ${m[1]} 秒内未确认`],
  [/^redial (\d+) of (\d+)$/, (m) => `第 ${m[1]} 次重拨（共 ${m[2]} 次）`],
  [
    /^escalation step (\d+) \((\w+)\)$/,
    (m) => `第 ${m[1]} 级升级（${m[2] === 'backup' ? '备岗人' : '上级'}）`,
  ],
  [/^no one on the ladder confirmed \((\d+) round\(s\)\)$/, (m) => `升级链无人确认（${m[1]} 轮）`],
  [/^no backup or superior to escalate to$/, () => '没有可升级的备岗人或上级'],
  [/^warning expired$/, () => '预警已过期'],
  [/^superseded by level (\w+)$/, (m) => `已被${levelName(m[1])}取代`],
  [/^warning lifted for the area$/, () => '该区域预警已解除'],
  [/^subject settled$/, () => '被升级的责任人已办结'],
  [/^area no longer affected$/, () => '该区域不再受影响'],
  [/^cancelled by (\S+)$/, (m) => `已由 ${m[1]} 解除`],
  [/^no answer after (\d+) calls?$/, (m) => `呼叫 ${m[1]} 次无人接听`],
];

export function reasonText(reason: unknown, lang: ConsoleLang): string {
  const r = String(reason ?? '');
  if (lang === 'en' || !r) return r;
  for (const [re, zh] of REASONS) {
    const m = re.exec(r);
    if (m) return zh(m);
  }
  return r;
}

/** One side of a bilingual system message written "中文 / English". */
export function bilingual(text: unknown, lang: ConsoleLang): string {
  const t = String(text ?? '');
  const m = /\s?\/ (?=[A-Za-z])/.exec(t);
  if (!m) return t;
  if (lang === 'en') return t.slice(m.index + m[0].length);
  return t.slice(0, m.index).replace(/no-role-holder|no-number|all-on-leave|no-targets/g, (c) => GAP_ZH[c]);
}

const GAP_ZH: Record<string, string> = {
  'no-role-holder': '无人担任',
  'no-number': '无电话号码',
  'all-on-leave': '均在休假',
  'no-targets': '无责任人',
};

export function translate(key: string, lang: ConsoleLang): string {
  const t = TEXT[key];
  if (!t) return key;
  return lang === 'en' ? t[1] : t[0];
}

export const TEXT_KEYS = Object.keys(TEXT);
