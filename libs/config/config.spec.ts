import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('parses a full environment into typed values', () => {
    const cfg = loadConfig({
      KAFKA_BROKERS: '127.0.0.1:9092, kafka:29092',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      HTTP_PORT: '8080',
      TWILIO_ACCOUNT_SID: 'AC' + 'a'.repeat(32),
    });
    expect(cfg.KAFKA_BROKERS).toEqual(['127.0.0.1:9092', 'kafka:29092']);
    expect(cfg.HTTP_PORT).toBe(8080);
    expect(cfg.KAFKA_TOPIC_PREFIX).toBe('');
  });

  it('names the variable that is malformed', () => {
    expect(() => loadConfig({ KAFKA_BROKERS: 'not a broker' })).toThrow(
      /KAFKA_BROKERS: each broker must be host:port/,
    );
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL: must be a postgres/);
    expect(() => loadConfig({ HTTP_PORT: '70000' })).toThrow(/HTTP_PORT/);
  });

  it('names a variable the service requires but did not get', () => {
    try {
      loadConfig({}, ['KAFKA_BROKERS', 'TWILIO_AUTH_TOKEN']);
      throw new Error('expected a ConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).problems).toEqual([
        'KAFKA_BROKERS: required by this service but not set',
        'TWILIO_AUTH_TOKEN: required by this service but not set',
      ]);
    }
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
  });

  it('allows the movable clock (CLOCK_OFFSET_FILE) in demo mode only', () => {
    expect(() => loadConfig({ CLOCK_OFFSET_FILE: '/tmp/clock.json' })).toThrow(
      /CLOCK_OFFSET_FILE: .*allowed only in demo mode \(DEMO=1\)/,
    );
    expect(loadConfig({ CLOCK_OFFSET_FILE: '/tmp/clock.json', DEMO: '1' }).CLOCK_OFFSET_FILE).toBe(
      '/tmp/clock.json',
    );
  });
});
