import { ConfigError, loadConfig, WeakSecretError } from '../../config/config';
import { notifyRequired } from '../notify.module';
import { ChannelError, SmsChannel, VoiceChannel } from '../provider';
import { CalleeLimitRefused } from './callee-limit-refused';
import { ProviderName } from './provider-capabilities';
import { ProviderChannels, ProviderRouter, ProviderUnavailable } from './provider-router';
import { parseRoutes } from './routes';

/** The router only hands the channels out; these are never called here. */
const channels = (name: ProviderName): ProviderChannels => ({
  name,
  sms: { from: `${name}-sms` } as SmsChannel,
  voice: { from: `${name}-voice` } as VoiceChannel,
});

const router = (spec: string | undefined, states: [string, number][] = [], halfOpenAfterMs = 60_000) =>
  new ProviderRouter([channels('twilio'), channels('tencent')], spec ? parseRoutes(spec) : undefined, {
    failures: 3,
    halfOpenAfterMs,
    onState: (p, s) => states.push([p, s]),
  });

const outage = () => Promise.reject(new ChannelError('network: ECONNRESET', false));

describe('provider router', () => {
  it('routes per number and channel; without routes the one provider carries everything', () => {
    const r = router('+86=tencent>twilio,*=twilio');
    expect(r.chain('+8613800001234', 'voice')).toEqual(['tencent', 'twilio']);
    expect(r.chain('+447700900123', 'sms')).toEqual(['twilio']);
    expect(r.carrier('+8613800001234', 'sms')).toBe('tencent');
    expect(r.next('+8613800001234', 'sms', 'tencent')).toBe('twilio');
    expect(r.next('+8613800001234', 'sms', 'twilio')).toBeUndefined();
    expect(r.capabilities('twilio', '+8613800001234', 'sms')).toMatchObject({ linksAllowed: false });
    const single = new ProviderRouter([channels('twilio')], undefined, { failures: 3, halfOpenAfterMs: 1 });
    expect(single.chain('+8613800001234', 'voice')).toEqual(['twilio']);
    expect(single.capabilities('twilio', '+8613800001234', 'sms')).toBeUndefined();
  });

  it('refuses routes that name a provider that is not configured', () => {
    expect(
      () =>
        new ProviderRouter([channels('twilio')], parseRoutes('+86=tencent,*=twilio'), {
          failures: 1,
          halfOpenAfterMs: 1,
        }),
    ).toThrow('NOTIFY_ROUTES names tencent for +86, but tencent is not configured');
  });

  it('outage errors in a row open the circuit: the next send is ProviderUnavailable and the carrier is the next provider', async () => {
    const states: [string, number][] = [];
    const r = router('+86=twilio>tencent,*=twilio', states);
    for (let i = 0; i < 3; i++) await expect(r.call('twilio', outage)).rejects.toThrow('ECONNRESET');
    expect(r.isOpen('twilio')).toBe(true);
    const never = jest.fn();
    await expect(r.call('twilio', never)).rejects.toBeInstanceOf(ProviderUnavailable);
    expect(never).not.toHaveBeenCalled();
    expect(r.carrier('+8613800001234', 'voice')).toBe('tencent');
    // cockatiel's states: 0 closed, then 1 open (reported to the gauge).
    expect(states.filter(([p]) => p === 'twilio').map(([, s]) => s)).toEqual([0, 1]);
  });

  it('with nowhere else to go, a send is made even while the circuit is open', async () => {
    const r = router('*=twilio');
    for (let i = 0; i < 3; i++) await expect(r.call('twilio', outage)).rejects.toThrow();
    expect(r.isOpen('twilio')).toBe(true);
    await expect(r.call('twilio', async () => 'sent', false)).resolves.toBe('sent');
    await expect(r.call('twilio', async () => 'sent')).rejects.toBeInstanceOf(ProviderUnavailable);
  });

  it('refused numbers, per-callee limits and 429s do not open it', async () => {
    const r = router('*=twilio');
    const errors = [
      new ChannelError('Twilio error 21211: invalid To', true, 21211, 400),
      new CalleeLimitRefused(
        'Tencent LimitExceeded.DeliveryFrequencyLimit',
        'LimitExceeded.DeliveryFrequencyLimit',
      ),
      new ChannelError('Twilio error 20429', false, 20429, 429),
    ];
    for (let i = 0; i < 6; i++)
      await expect(r.call('twilio', () => Promise.reject(errors[i % 3]))).rejects.toBeInstanceOf(
        ChannelError,
      );
    expect(r.isOpen('twilio')).toBe(false);
  });

  it('after the half-open pause one send tries again, and its success closes the circuit', async () => {
    const r = router('*=twilio', [], 50);
    for (let i = 0; i < 3; i++) await expect(r.call('twilio', outage)).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 80));
    await expect(r.call('twilio', async () => 'ok')).resolves.toBe('ok');
    expect(r.isOpen('twilio')).toBe(false);
  });
});

describe("the notifier's required variables follow its routes", () => {
  const TWILIO = {
    TWILIO_ACCOUNT_SID: 'AC' + 'a'.repeat(32),
    TWILIO_AUTH_TOKEN: 'x'.repeat(40),
    TWILIO_SMS_FROM: '+15005550006',
    TWILIO_VOICE_FROM: '+15005550006',
    PUBLIC_BASE_URL: 'https://notify.example.cn',
    SIGNING_SECRET: 's'.repeat(40),
  };
  const TENCENT = {
    TENCENT_SECRET_ID: 'AKIDtest',
    TENCENT_SMS_SDK_APP_ID: '1400000001',
    TENCENT_SMS_SIGN_NAME: '防汛叫应',
    TENCENT_SMS_TEMPLATE_ID: '2001',
    TENCENT_VOICE_SDK_APP_ID: '1400000002',
    TENCENT_VOICE_CONFIRM_TEMPLATE_ID: '3001',
    TENCENT_VOICE_NOTICE_TEMPLATE_ID: '3002',
  };
  const routes = '+86=tencent>twilio,*=twilio';

  it('Tencent variables only when a route names Tencent; Twilio only when one names Twilio', () => {
    expect(notifyRequired(undefined)).not.toContain('TENCENT_SECRET_KEY');
    expect(notifyRequired(undefined)).toContain('TWILIO_AUTH_TOKEN');
    expect(notifyRequired(routes)).toEqual(
      expect.arrayContaining(['TENCENT_SECRET_KEY', 'TENCENT_CALLBACK_SECRET', 'TWILIO_AUTH_TOKEN']),
    );
    expect(notifyRequired('*=tencent')).not.toContain('TWILIO_AUTH_TOKEN');
  });

  it('routed to Tencent, a missing or weak secret key or callback secret stops the start (79)', () => {
    const load = (env: Record<string, string>) => () =>
      loadConfig({ ...TWILIO, ...TENCENT, NOTIFY_ROUTES: routes, ...env }, notifyRequired(routes));
    expect(load({ TENCENT_CALLBACK_SECRET: 'c'.repeat(40) })).toThrow(WeakSecretError);
    expect(load({ TENCENT_CALLBACK_SECRET: 'c'.repeat(40) })).toThrow(/TENCENT_SECRET_KEY: required/);
    expect(load({ TENCENT_SECRET_KEY: 'k'.repeat(40), TENCENT_CALLBACK_SECRET: 'short' })).toThrow(
      /TENCENT_CALLBACK_SECRET: must be at least 32 bytes/,
    );
    expect(
      load({ TENCENT_SECRET_KEY: 'simulator-secret-key-0000', TENCENT_CALLBACK_SECRET: 'c'.repeat(40) }),
    ).toThrow(/TENCENT_SECRET_KEY: is a value that ships/);
    expect(
      load({ TENCENT_SECRET_KEY: 'k'.repeat(40), TENCENT_CALLBACK_SECRET: 'c'.repeat(40) }),
    ).not.toThrow();
  });

  it('a missing Tencent application id is a configuration error (78) naming it', () => {
    const { TENCENT_SMS_SDK_APP_ID: _omitted, ...rest } = TENCENT;
    const load = () =>
      loadConfig(
        { ...TWILIO, ...rest, TENCENT_SECRET_KEY: 'k'.repeat(40), TENCENT_CALLBACK_SECRET: 'c'.repeat(40) },
        notifyRequired(routes),
      );
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/TENCENT_SMS_SDK_APP_ID: required/);
  });
});
