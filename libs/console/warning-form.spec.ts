import { MessageTemplates } from '../templates/message-templates';
import { beijingLocalToIso, formToIntakeBody, previewMessages, signalChoices } from './warning-form';

describe('warning form', () => {
  it('offers each signal only its allowed levels', () => {
    const met = signalChoices('zh-CN').find((h) => h.hazard === 'meteorological')!;
    expect(met.subtypes.find((s) => s.value === 'meteorological/drought')!.levels).toBe('orange red');
    expect(met.subtypes.find((s) => s.value === 'meteorological/heat')!.levels).toBe('yellow orange red');
    expect(met.subtypes.find((s) => s.value === 'meteorological/rainstorm')!.name).toBe('暴雨');
  });

  it('turns the form into the intake body: picked and typed areas, Beijing time, drill status', () => {
    const body = formToIntakeBody({
      signal: 'flood/river',
      level: 'red',
      headline: ' 洪水红色预警 ',
      areas: ['140221000000|阳高县', '140222000000|天镇县'],
      areaCodes: '140222000000，140223000000',
      expires: '2030-07-12T18:00',
      drill: 'on',
    });
    expect(body).toEqual({
      hazard: 'flood',
      subtype: 'river',
      level: 'red',
      headline: '洪水红色预警',
      areas: [
        { code: '140221000000', name: '阳高县' },
        { code: '140222000000', name: '天镇县' },
        { code: '140223000000' },
      ],
      expires: '2030-07-12T18:00:00+08:00',
      status: 'Exercise',
    });
    expect(beijingLocalToIso('garbage')).toBeUndefined();
  });

  it('previews the SMS with its segment count and the drill mark', () => {
    const body = formToIntakeBody({
      signal: 'meteorological/rainstorm',
      level: 'orange',
      headline: '大同市气象台发布暴雨橙色预警',
      areas: '140221000000|阳高县',
      expires: '2030-07-12T18:00',
      drill: 'on',
    });
    const p = previewMessages(new MessageTemplates(), body, { lang: 'zh-CN', sender: '值班室' });
    expect(p.sms.text).toContain('大同市气象台发布暴雨橙色预警');
    expect(p.sms.text).toContain('演练');
    expect(p.sms.encoding).toBe('UCS-2');
    expect(p.sms.segments).toBe(Math.ceil(p.sms.units / 67));
    expect(p.voice.text).toContain('阳高县');
  });
});
