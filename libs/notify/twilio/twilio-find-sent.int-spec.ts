import { freePort } from '../../../test/support/services';
import { testSecret } from '../../../test/support/infra';
import { startTwilioSimulator, TwilioSimulator } from '../simulator/twilio-simulator';
import {
  createTwilioClient,
  TwilioCallbackUrls,
  TwilioSmsChannel,
  TwilioVoiceChannel,
} from './twilio.channels';
import { sayTwiml, VOICES } from './twiml';

jest.setTimeout(60_000);

const ACCOUNT = 'AC' + 'fe'.repeat(16);
const TOKEN = testSecret();
/** A superior escalated to for a whole county: more messages in the window than one page holds. */
const SUPERIOR = '+8613800009001';

/**
 * What the reconciler asks before it sends again (docs/notify.md, "Sending"): was this send created
 * after all? Against the Twilio simulator through the official SDK, whose lists come in pages like
 * Twilio's (50 a page unless asked otherwise), for a number that has received more than a page.
 */
describe('Twilio findSent: the send looked for among more than a page of sends to one number', () => {
  let sim: TwilioSimulator;
  let sms: TwilioSmsChannel;
  let voice: TwilioVoiceChannel;

  beforeAll(async () => {
    sim = await startTwilioSimulator({ accountSid: ACCOUNT, authToken: TOKEN, latencyMs: 0 });
    const client = createTwilioClient({ accountSid: ACCOUNT, authToken: TOKEN, apiBaseUrl: sim.url });
    // Nothing listens there: the simulator's status callbacks are refused, which changes nothing here.
    const callbacks = new TwilioCallbackUrls(`http://127.0.0.1:${await freePort()}`);
    sms = new TwilioSmsChannel(client, '+8610690000021', callbacks);
    voice = new TwilioVoiceChannel(client, '+8610690000022', callbacks, VOICES, 20);
  });

  afterAll(async () => {
    await sim?.stop();
  });

  it('finds the oldest of 130 messages to one number, and no message that was never sent', async () => {
    const before = new Date();
    const bodies = Array.from(
      { length: 130 },
      (_, i) => `【大同市应急管理局】升级叫应 ${i}：请立即联系责任人。`,
    );
    const sids: string[] = [];
    for (const body of bodies)
      sids.push((await sms.send({ requestId: `rq-${sids.length}`, to: SUPERIOR, body })).providerId);
    await sim.idle();

    const found = await sms.findSent(SUPERIOR, bodies[0], before);
    expect(found.map((f) => f.providerId)).toEqual([sids[0]]);
    expect(await sms.findSent(SUPERIOR, '【大同市应急管理局】从未发出的短信', before)).toEqual([]);
    // The SDK read every page (the first 50 newest only would have missed it).
    const pages = sim.requests().filter((q) => q.method === 'GET' && q.path.includes('/Messages.json'));
    expect(pages.length).toBeGreaterThanOrEqual(2);
  });

  it('finds every one of 70 calls to one number', async () => {
    const before = new Date();
    const sids: string[] = [];
    for (let i = 0; i < 70; i += 1)
      sids.push(
        (
          await voice.send({
            requestId: `rv-${i}`,
            to: SUPERIOR,
            content: sayTwiml(VOICES['zh-CN'], `升级叫应 ${i}`),
          })
        ).providerId,
      );
    await sim.idle();
    const found = await voice.findSent(SUPERIOR, before);
    expect(new Set(found.map((f) => f.providerId))).toEqual(new Set(sids));
  });
});
