import type { Lang } from '../../templates/message-templates';
import type { SpokenReply, VoiceScript } from '../provider';

export const xmlEscape = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');

export interface SayVoice {
  /** Twilio <Say> language: cmn-CN for Mandarin. */
  language: string;
  voice: string;
}

export const VOICES: Record<Lang, SayVoice> = {
  'zh-CN': { language: 'cmn-CN', voice: 'Polly.Zhiyu' },
  en: { language: 'en-US', voice: 'Polly.Joanna' },
};

const say = (v: SayVoice, text: string) =>
  `<Say language="${v.language}" voice="${xmlEscape(v.voice)}">${xmlEscape(text)}</Say>`;

/** The <Say> voices: Twilio's defaults, the Mandarin one configurable (NOTIFY_VOICE_ZH). */
export function voicesWith(voiceZh: string): Record<Lang, SayVoice> {
  return { 'zh-CN': { ...VOICES['zh-CN'], voice: voiceZh }, en: VOICES.en };
}

/**
 * The call: the message spoken, repeated once, then "press 1 to confirm" inside <Gather numDigits=1>
 * (so a press during the prompt counts), then a closing line when nothing was pressed.
 */
export function callTwiml(v: SayVoice, c: VoiceScript, gatherAction: string): string {
  const body = [say(v, c.script), '<Pause length="1"/>', say(v, c.repeatPhrase), say(v, c.script)];
  if (c.confirmable) {
    body.push(
      `<Gather numDigits="1" timeout="8" method="POST" action="${xmlEscape(gatherAction)}">${say(v, c.gatherPhrase)}</Gather>`,
      say(v, c.noInputPhrase),
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?><Response>${body.join('')}</Response>`;
}

export function sayTwiml(v: SayVoice, text: string, hangup = true): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Response>${say(v, text)}${hangup ? '<Hangup/>' : ''}</Response>`;
}

/** A spoken reply in the voice of its language, then the call hangs up. */
export const replyTwiml = (voices: Record<Lang, SayVoice>, r: SpokenReply): string =>
  sayTwiml(voices[r.lang], r.text);

export function messageTwiml(text?: string): string {
  return text
    ? `<?xml version="1.0" encoding="UTF-8"?><Response><Message>${xmlEscape(text)}</Message></Response>`
    : '<?xml version="1.0" encoding="UTF-8"?><Response/>';
}

export const EMPTY_TWIML = messageTwiml();
