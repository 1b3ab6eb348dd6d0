import { ignoredIncoming, otlpConfigured } from './tracing';

describe('which incoming requests get a span', () => {
  it('never scrapes and health checks', () => {
    for (const exported of [true, false]) {
      expect(ignoredIncoming('/metrics', exported)).toBe(true);
      expect(ignoredIncoming('/health/ready', exported)).toBe(true);
    }
  });

  it("skips the providers' webhooks only when no span is exported", () => {
    for (const url of [
      '/twilio/sms/status?rid=c1%231%3Asms',
      '/twilio/voice/gather',
      '/tencent/sms/status',
    ]) {
      expect(ignoredIncoming(url, false)).toBe(true);
      expect(ignoredIncoming(url, true)).toBe(false);
    }
  });

  it("keeps the duty officers' and the console's requests, which may continue an upstream trace", () => {
    for (const url of ['/api/warnings', '/cap', '/board', '/twilio-not-a-webhook'])
      expect(ignoredIncoming(url, false)).toBe(false);
  });

  it('exports when an OTLP endpoint is configured', () => {
    expect(otlpConfigured({})).toBe(false);
    expect(otlpConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(otlpConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(
      true,
    );
  });
});
