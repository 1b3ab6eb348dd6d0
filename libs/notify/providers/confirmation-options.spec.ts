import { CalloutRequested } from '../../../contracts/generated/callout-requested';
import { MessageTemplates } from '../message-templates';
import { RequestRenderer } from '../request-renderer';
import { SAMPLE_DATA } from '../template-data';
import { confirmationFor } from './confirmation-options';
import { ChannelCapabilities, TENCENT, TWILIO_ELSEWHERE, TWILIO_TO_MAINLAND } from './provider-capabilities';

const templates = new MessageTemplates();
const renderer = new RequestRenderer(templates, {
  publicBaseUrl: 'https://notify.example.cn',
  signingSecret: 'x'.repeat(32),
});
const rendererFor = (carrier: ChannelCapabilities | undefined) => ({
  render: (req: CalloutRequested) => renderer.render(req, carrier),
});

function request(over: Partial<CalloutRequested> = {}): CalloutRequested {
  return {
    requestId: 'rq-1',
    calloutId: 'co-1',
    warningId: 'w-1',
    personId: 'p-1',
    to: '+8613800001234',
    channel: 'sms',
    purpose: 'callout',
    attempt: 1,
    drill: false,
    language: 'zh-CN',
    data: SAMPLE_DATA,
    ...over,
  } as CalloutRequested;
}

describe('confirmation options follow the provider that carries the message', () => {
  it('Twilio to a mainland number: no "reply 1", no link; the SMS asks for the key press of the call', () => {
    const { body } = rendererFor(TWILIO_TO_MAINLAND.sms).render(request());
    expect(body).not.toContain('回复1');
    expect(body).not.toMatch(/https?:\/\//);
    expect(body).toContain('接听来电按1键确认');
  });

  it('the English SMS through Twilio to the mainland does not ask for a reply either', () => {
    const { body } = rendererFor(TWILIO_TO_MAINLAND.sms).render(request({ language: 'en' }));
    expect(body).not.toMatch(/reply 1/i);
    expect(body).not.toMatch(/https?:\/\//);
    expect(body).toContain('answer our call and press 1');
  });

  it('Tencent SMS (two-way, links in an approved template): "reply 1" and the signed link', () => {
    const { body } = rendererFor(TENCENT.sms).render(request());
    expect(body).toContain('回复1或收到确认');
    expect(body).toContain('https://notify.example.cn/ack/');
  });

  it('Twilio to numbers elsewhere keeps reply and link, in English too', () => {
    const { body } = rendererFor(TWILIO_ELSEWHERE.sms).render(
      request({ to: '+447700900123', language: 'en' }),
    );
    expect(body).toMatch(/confirm: reply 1 or https:\/\/notify\.example\.cn\/ack\//);
  });

  it('a reply-capable provider that forbids URLs gets "reply 1" without the link', () => {
    const carrier = { ...TENCENT.sms!, linksAllowed: false };
    expect(confirmationFor(carrier, 'zh-CN')).toEqual({
      confirmHint: '回复1或收到确认',
      replyConfirms: true,
      withLink: false,
    });
    expect(rendererFor(carrier).render(request()).body).not.toMatch(/https?:\/\//);
  });

  it('a call always asks for the key press, whichever provider carries it', () => {
    for (const carrier of [TWILIO_TO_MAINLAND.voice, TENCENT.voice]) {
      const { voiceScript } = rendererFor(carrier).render(request({ channel: 'voice' }));
      expect(voiceScript).toMatchObject({ confirmable: true, gatherPhrase: expect.stringContaining('1') });
      expect(carrier!.keyPress).toBe(true);
    }
  });
});
