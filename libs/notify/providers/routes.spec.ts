import { carrierOf, mainlandRoute, parseRoutes, providersFor } from './routes';

describe('routes per number', () => {
  const routes = parseRoutes('+86=tencent>twilio,*=twilio');

  it('+86 goes through Tencent with Twilio next; other numbers through Twilio', () => {
    expect(providersFor(routes, '+8613800001234')).toEqual(['tencent', 'twilio']);
    expect(providersFor(routes, '+447700900123')).toEqual(['twilio']);
  });

  it('the longest prefix wins', () => {
    const r = parseRoutes('*=twilio,+8=twilio,+86=tencent');
    expect(providersFor(r, '+8613800001234')).toEqual(['tencent']);
    expect(providersFor(r, '+81312345678')).toEqual(['twilio']);
  });

  it('the carrier decides the confirmation options: Twilio to +86 cannot take replies, elsewhere it can', () => {
    const twilioOnly = parseRoutes('*=twilio');
    expect(carrierOf(twilioOnly, '+8613800001234', 'sms')).toMatchObject({
      twoWaySms: false,
      linksAllowed: false,
    });
    expect(carrierOf(twilioOnly, '+447700900123', 'sms')).toMatchObject({
      twoWaySms: true,
      linksAllowed: true,
    });
    expect(carrierOf(routes, '+8613800001234', 'sms')).toMatchObject({ twoWaySms: true });
  });

  it('the mainland route lists every provider in order per channel', () => {
    const m = mainlandRoute(routes);
    expect(m.voice.map((p) => p.name)).toEqual(['tencent', 'twilio']);
    expect(m.sms.map((p) => p.name)).toEqual(['tencent', 'twilio']);
  });

  it('refuses an unknown provider, a malformed entry and a missing default', () => {
    expect(() => parseRoutes('+86=aliyun,*=twilio')).toThrow('unknown provider "aliyun"');
    expect(() => parseRoutes('86=tencent,*=twilio')).toThrow('is not prefix=provider');
    expect(() => parseRoutes('+86=tencent')).toThrow('needs a "*=provider"');
  });
});
