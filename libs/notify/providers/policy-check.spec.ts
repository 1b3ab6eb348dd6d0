import { DEFAULT_POLICY, LevelPolicy, Policy } from '../../callout/policy';
import { checkPolicyAgainstProviders, refusedByLimit, voiceCallTimes } from './policy-check';
import { TENCENT, TWILIO_TO_MAINLAND } from './provider-capabilities';

const red = DEFAULT_POLICY.hazards.flood.red;
const onlyLevel = (lp: LevelPolicy): Policy => ({
  version: 't',
  hazards: { ...DEFAULT_POLICY.hazards, flood: { ...DEFAULT_POLICY.hazards.flood, red: lp } },
});
const findingsFor = (p: Policy, route: Parameters<typeof checkPolicyAgainstProviders>[1]) =>
  checkPolicyAgainstProviders(p, route).filter((f) => f.where === 'flood.red');

describe('voice call times and per-callee limits', () => {
  it('places the call and each redial at its interval; an SMS-first level starts at the fallback', () => {
    expect(voiceCallTimes(red)).toEqual([0, 60, 120, 180]);
    const yellow = DEFAULT_POLICY.hazards.flood.yellow;
    expect(voiceCallTimes(yellow)).toEqual([900, 1200]);
    expect(voiceCallTimes(DEFAULT_POLICY.hazards.flood.blue)).toEqual([]);
  });

  it('counts refused calls the way the provider does (a refused call does not count)', () => {
    expect(refusedByLimit([0, 60, 120, 180], { windowSec: 600, max: 2 })).toEqual([3, 4]);
    expect(refusedByLimit([0, 60, 120, 180], { windowSec: 30, max: 1 })).toEqual([]);
    expect(refusedByLimit([0, 20, 40], { windowSec: 30, max: 1 })).toEqual([2]);
    expect(refusedByLimit([0, 600, 1200], { windowSec: 600, max: 1 })).toEqual([]);
  });
});

describe('the policy checked against the providers at start', () => {
  it('red through Tencent voice: redials 3 and 4 break "2 per 10 min"; with Twilio next they move there', () => {
    const f = findingsFor(DEFAULT_POLICY, { sms: [TENCENT], voice: [TENCENT, TWILIO_TO_MAINLAND] });
    const limit = f.find((x) => x.message.includes('2 per 10 min'))!;
    expect(limit.severity).toBe('warning');
    expect(limit.message).toContain('call 3 at 120 s, call 4 at 180 s will be refused');
    expect(limit.message).toContain('twilio');
    expect(f.some((x) => x.message.includes('22:00'))).toBe(true);
    expect(f.every((x) => x.severity === 'warning')).toBe(true);
  });

  it('without another voice provider the refused redials go by SMS when the level sends SMS', () => {
    const f = findingsFor(DEFAULT_POLICY, { sms: [TENCENT], voice: [TENCENT] });
    expect(f.find((x) => x.message.includes('2 per 10 min'))!.message).toContain('as an SMS instead');
  });

  it('a voice-only level with no second provider loses the refused redials: an error', () => {
    const voiceOnly = onlyLevel({ ...red, channels: ['voice'], escalationChannels: ['voice'] });
    const f = findingsFor(voiceOnly, { sms: [TENCENT], voice: [TENCENT] });
    expect(f.find((x) => x.message.includes('2 per 10 min'))).toMatchObject({
      severity: 'error',
      message: expect.stringContaining('they are lost'),
    });
  });

  it('SMS-only through Twilio to the mainland cannot be confirmed: an error', () => {
    const smsOnly = onlyLevel({
      ...red,
      channels: ['sms'],
      escalationChannels: ['sms'],
      redials: 0,
      voiceFallbackAfterSec: null,
    });
    const f = findingsFor(smsOnly, { sms: [TWILIO_TO_MAINLAND], voice: [TWILIO_TO_MAINLAND] });
    expect(f).toEqual([
      expect.objectContaining({ severity: 'error', message: expect.stringContaining('nobody can confirm') }),
    ]);
  });

  it('voice without a key press is an error', () => {
    const noKeys = { ...TENCENT, voice: { ...TENCENT.voice!, keyPress: false } };
    expect(findingsFor(DEFAULT_POLICY, { sms: [TENCENT], voice: [noKeys] })).toContainEqual(
      expect.objectContaining({ severity: 'error', message: expect.stringContaining('no key press') }),
    );
  });

  it('Twilio alone for the mainland: the SMS-only blue levels cannot be confirmed, the rest raise nothing', () => {
    const f = checkPolicyAgainstProviders(DEFAULT_POLICY, {
      sms: [TWILIO_TO_MAINLAND],
      voice: [TWILIO_TO_MAINLAND],
    });
    expect(f.map((x) => x.where).sort()).toEqual([
      'flood.blue',
      'forest-fire.blue',
      'geologic.blue',
      'meteorological.blue',
    ]);
    expect(f.every((x) => x.severity === 'error' && x.message.includes('nobody can confirm'))).toBe(true);
  });
});
