import { CalloutResponse } from '../../contracts/generated/callout-response';

export type Feedback = NonNullable<CalloutResponse['feedback']>;

export type ReplyClass =
  | { kind: 'confirm'; shortCode?: number }
  | { kind: 'feedback'; feedback: Feedback; shortCode?: number }
  | { kind: 'unrecognised'; shortCode?: number };

export interface ClassifierOptions {
  /** Whole replies that confirm (case-insensitive). */
  confirmKeywords: string[];
}

export const DEFAULT_CONFIRM_KEYWORDS = ['1', '收到', '确认', '好', 'OK', 'YES', '是', 'Y'];

/** Full-width digits, letters and spaces (common on Chinese phones) become their ASCII forms. */
function normalise(text: string): string {
  return text
    .replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\u3000/g, ' ')
    .trim();
}

const NEGATION = /(不|未|没有?|别|无法|不能)\s*(收到|确认|好|是|同意|知道)/;
const PUNCT = /[\s,.!?;:，。！？；：、~～…"'“”‘’()（）【】[\]#＃]+/g;

/**
 * Reads a person's SMS reply. Feedback words come first (they may contain a number that is not a
 * short code), then confirmation; a negated reply ("不收到", "未确认") never confirms. A trailing
 * number after a keyword ("1 37", "收到#37") names the warning by its short code.
 */
export function classifyReply(
  text: string,
  opts: ClassifierOptions = { confirmKeywords: DEFAULT_CONFIRM_KEYWORDS },
): ReplyClass {
  const t = normalise(text);
  const note = t.slice(0, 2000);

  const evac = /(?:已)?转移(?:了)?\s*(\d{1,6})\s*(?:人|名|户)/.exec(t);
  if (evac) return { kind: 'feedback', feedback: { action: 'evacuated', count: Number(evac[1]), note } };
  if (/巡查完毕|巡查完成|已巡查/.test(t))
    return { kind: 'feedback', feedback: { action: 'patrol-done', note } };
  if (/开放安置点|安置点已开放|已开放安置/.test(t))
    return { kind: 'feedback', feedback: { action: 'shelter-opened', note } };
  if (/求助|需要支援|请求支援|救命/.test(t))
    return { kind: 'feedback', feedback: { action: 'need-help', note } };
  if (/已上门|已到现场|已当面叫应/.test(t))
    return { kind: 'feedback', feedback: { action: 'reached-in-person', note } };

  // "<keyword> <short code>": the keyword and the warning's number.
  const coded = /^(.+?)[\s#＃]+(\d{1,6})$/.exec(t);
  const word = (coded ? coded[1] : t).replace(PUNCT, '');
  const shortCode = coded ? Number(coded[2]) : undefined;
  const withCode = <T extends ReplyClass>(r: T): T => (shortCode !== undefined ? { ...r, shortCode } : r);

  if (word === '2') return withCode({ kind: 'feedback', feedback: { action: 'patrol-done', note } });
  if (word === '9') return withCode({ kind: 'feedback', feedback: { action: 'need-help', note } });
  if (NEGATION.test(t)) return withCode({ kind: 'unrecognised' });

  const keywords = opts.confirmKeywords.map((k) => k.toUpperCase());
  if (keywords.includes(word.toUpperCase())) return withCode({ kind: 'confirm' });
  // Longer replies that still clearly confirm: "收到，马上去", "已收到", "确认收到".
  if (/收到|确认|明白|知道了/.test(word)) return withCode({ kind: 'confirm' });
  return withCode({ kind: 'unrecognised' });
}
