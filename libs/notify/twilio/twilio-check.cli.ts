import { loadConfig } from '../../config/config';
import { createTwilioClient, TwilioSmsChannel } from './twilio.channels';
import { sayTwiml, VOICES } from './twiml';

/**
 * Operators' check of the Twilio setup: sends one test SMS or places one test call through whatever
 * is configured (TWILIO_* and TWILIO_API_BASE_URL), prints Twilio's answer, exits non-zero on failure.
 *   npm run notify:test -- --to +8613800001234 --channel sms|voice
 */
async function main(argv: string[]): Promise<number> {
  const arg = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const to = arg('to');
  const channel = arg('channel') ?? 'sms';
  if (!to || !['sms', 'voice'].includes(channel)) {
    console.error('usage: npm run notify:test -- --to +8613800001234 --channel sms|voice');
    return 2;
  }
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
  try {
    if (channel === 'sms') {
      const r = await new TwilioSmsChannel(client, cfg.TWILIO_SMS_FROM!).send({
        requestId: 'notify-test',
        to,
        body: '【测试】叫应系统短信通道测试，无需回复。',
      });
      console.log(JSON.stringify(r.raw, null, 2));
    } else {
      // A test call carries its TwiML inline: no public webhook is needed for the check.
      const call = await client.calls.create({
        to,
        from: cfg.TWILIO_VOICE_FROM!,
        twiml: sayTwiml(VOICES['zh-CN'], '这是叫应系统语音通道测试，无需操作。'),
      });
      console.log(JSON.stringify(call.toJSON(), null, 2));
    }
    return 0;
  } catch (e) {
    const err = e as { status?: number; code?: number; message?: string };
    console.error(
      `failed: ${err.status ? `HTTP ${err.status} ` : ''}${err.code ? `code ${err.code} ` : ''}${err.message ?? String(e)}`,
    );
    return 1;
  }
}

void main(process.argv.slice(2)).then((code) => process.exit(code));
