import { loadConfig } from '../config/config';
import { estimateSends, previewCapacity } from './capacity-preview';

const cfg = loadConfig({ DEMO: '1' }, []);
const villages = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ code: `3301000000${i}`, name: `村${i}` }));

describe('capacity preview of the warning form', () => {
  it('estimates one holder of each village role of the level per village', () => {
    // flood red calls flood-control, flash-flood-warner and inspector in each village, by voice and SMS.
    expect(estimateSends(cfg, { hazard: 'flood', level: 'red', areas: villages(10) } as never)).toEqual({
      sms: 30,
      voice: 30,
    });
    expect(estimateSends(cfg, { hazard: 'flood', level: 'blue', areas: villages(10) } as never)).toEqual({
      sms: 30,
      voice: 0,
    });
  });

  it('200 villages of a red flood warning at the default 1 call/s miss the 3-minute target and say what would meet it', () => {
    const p = previewCapacity(cfg, { hazard: 'flood', level: 'red', areas: villages(200) } as never);
    expect(p.sends.voice).toBe(600);
    expect(p.voiceSec).toBe(600);
    expect(p.plan.meetsVoiceTarget).toBe(false);
    // Twilio places 1 call per second by default: the rate has to come from Twilio or a second provider.
    expect(p.plan.suggestions[0]).toBe(
      'add a voice provider or raise its rate: 3.4 calls/s are needed, twilio allows 1',
    );
  });
});
