import { loadConfig } from '../config/config';
import { TENCENT_ADAPTER, tencentSettings } from './tencent/tencent.adapter';
import { createTencentClients, TencentSmsChannel, TencentVoiceChannel } from './tencent/tencent.channels';
import { createTwilioClient, TwilioSmsChannel } from './twilio/twilio.channels';
import { sayTwiml, VOICES } from './twilio/twiml';

/**
 * Operators' check of a provider's setup: sends one test SMS or places one test call through what is
 * configured for it (TWILIO_* / TENCENT_*, and their *_API_BASE_URL), prints the provider's answer,
 * exits 1 on failure and 2 on a wrong command line.
 *   npm run notify:test -- [--provider twilio|tencent] --to +8613800001234 --channel sms|voice
 */
const USAGE =
  'usage: npm run notify:test -- [--provider twilio|tencent] --to +8613800001234 --channel sms|voice';
const SMS_TEXT = '【测试】叫应系统短信通道测试，无需回复。';
const VOICE_TEXT = '这是叫应系统语音通道测试，无需操作。';

type Check = (to: string, channel: 'sms' | 'voice') => Promise<unknown>;

/** Twilio: the test call carries its TwiML inline, so no public webhook is needed. */
const twilioCheck: Check = async (to, channel) => {
  const cfg = loadConfig(process.env, [
    'TWILIO_ACCOUNT_SID',
    'TWILIO_AUTH_TOKEN',
    channel === 'sms' ? 'TWILIO_SMS_FROM' : 'TWILIO_VOICE_FROM',
  ]);
  const client = createTwilioClient({
    accountSid: cfg.TWILIO_ACCOUNT_SID!,
    authToken: cfg.TWILIO_AUTH_TOKEN!,
    apiBaseUrl: cfg.TWILIO_API_BASE_URL,
  });
  if (channel === 'sms')
    return (
      await new TwilioSmsChannel(client, cfg.TWILIO_SMS_FROM!).send({
        requestId: 'notify-test',
        to,
        body: SMS_TEXT,
      })
    ).raw;
  const call = await client.calls.create({
    to,
    from: cfg.TWILIO_VOICE_FROM!,
    twiml: sayTwiml(VOICES['zh-CN'], VOICE_TEXT),
  });
  return call.toJSON();
};

/** Tencent: the SMS through the approved template, the call through the notice template (no key press). */
const tencentCheck: Check = async (to, channel) => {
  const cfg = loadConfig(
    process.env,
    TENCENT_ADAPTER.required.filter((k) => k !== 'TENCENT_CALLBACK_SECRET'),
  );
  const settings = tencentSettings(cfg);
  const clients = createTencentClients(settings);
  if (channel === 'sms')
    return (
      await new TencentSmsChannel(clients, settings).send({ requestId: 'notify-test', to, body: SMS_TEXT })
    ).raw;
  const voice = new TencentVoiceChannel(clients, settings);
  const content = voice.callContent('notify-test', {
    lang: 'zh-CN',
    script: VOICE_TEXT,
    repeatPhrase: '',
    gatherPhrase: '',
    noInputPhrase: '',
    confirmable: false,
  });
  return (await voice.send({ requestId: 'notify-test', to, content })).raw;
};

const CHECKS: Record<string, Check> = { twilio: twilioCheck, tencent: tencentCheck };

async function main(argv: string[]): Promise<number> {
  const arg = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const to = arg('to');
  const channel = arg('channel') ?? 'sms';
  const provider = arg('provider') ?? 'twilio';
  if (!to || !/^\+\d{6,15}$/.test(to) || (channel !== 'sms' && channel !== 'voice') || !CHECKS[provider]) {
    console.error(USAGE);
    return 2;
  }
  try {
    console.log(JSON.stringify(await CHECKS[provider](to, channel), null, 2));
    return 0;
  } catch (e) {
    const err = e as { status?: number; code?: number | string; message?: string; exitCode?: number };
    if (typeof err.exitCode === 'number') {
      console.error(err.message);
      return err.exitCode;
    }
    console.error(
      `failed: ${err.status ? `HTTP ${err.status} ` : ''}${err.code ? `code ${err.code} ` : ''}${err.message ?? String(e)}`,
    );
    return 1;
  }
}

void main(process.argv.slice(2)).then((code) => process.exit(code));
