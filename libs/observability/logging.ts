import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { context, createContextKey } from '@opentelemetry/api';
import type { Params } from 'nestjs-pino';
import type { LoggerOptions } from 'pino';
import { AppConfig } from '../config/config';
import { maskPhone } from '../common/mask';
import { activeTraceIds } from './tracing';

/**
 * Structured logs (pino through nestjs-pino): one JSON object a line with the service, the level
 * from LOG_LEVEL, the request id of an HTTP request, the trace and span ids, and the ids of the
 * warning, call-out and send a line is about: set once per Kafka message or send (withCallIds) and
 * added to every line logged while it is handled, so no call site has to repeat them. Phone numbers
 * are masked as everywhere else (maskPhone), in the message text and in fields.
 */

export interface CallIds {
  warningId?: string;
  calloutId?: string;
  requestId?: string;
}

const CALL_IDS = createContextKey('jiaoying call ids');

/** The ids a message value or a row names (camelCase contracts or snake_case rows). */
export function callIdsOf(v: unknown): CallIds {
  if (!v || typeof v !== 'object') return {};
  const o = v as Record<string, unknown>;
  const text = (x: unknown) => (typeof x === 'string' && x ? x : undefined);
  const ids: CallIds = {
    warningId: text(o.warningId) ?? text(o.warning_id) ?? (text(o.msgType) ? text(o.id) : undefined),
    calloutId: text(o.calloutId) ?? text(o.callout_id),
    requestId: text(o.requestId) ?? text(o.request_id),
  };
  for (const k of Object.keys(ids) as (keyof CallIds)[]) if (ids[k] === undefined) delete ids[k];
  return ids;
}

/** Runs `work` with these ids on every log line it writes (nested ids add to the outer ones). */
export function withCallIds<T>(ids: CallIds, work: () => T): T {
  const outer = (context.active().getValue(CALL_IDS) as CallIds | undefined) ?? {};
  return context.with(context.active().setValue(CALL_IDS, { ...outer, ...ids }), work);
}

/** What every line gets besides its message: call ids and trace ids of the moment. */
export function logMixin(): Record<string, string> {
  const ids = (context.active().getValue(CALL_IDS) as CallIds | undefined) ?? {};
  const trace = activeTraceIds();
  return { ...ids, ...(trace ?? {}) };
}

/** E.164 numbers in free text (log messages): masked like every number shown to whoever need not see it. */
const E164 = /\+\d{7,15}/g;
export function maskNumbers(text: string): string {
  return text.replace(E164, (n) => maskPhone(n));
}

/** Fields that hold a phone number wherever they appear in a logged object. */
const PHONE_FIELDS = ['to', 'from', 'phone', 'mobile', 'To', 'From', 'Called', 'Caller'];

export function pinoOptions(service: string, cfg: Pick<AppConfig, 'LOG_LEVEL' | 'LOG_FORMAT' | 'DEMO'>) {
  const pretty = (cfg.LOG_FORMAT ?? (cfg.DEMO ? 'pretty' : 'json')) === 'pretty';
  const options: LoggerOptions = {
    level: cfg.LOG_LEVEL,
    base: { service },
    mixin: logMixin,
    // Level names ("info"), not pino's numbers: what a person reading a line or a query expects.
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: [...PHONE_FIELDS, ...PHONE_FIELDS.map((f) => `*.${f}`)],
      censor: (v: unknown) => (typeof v === 'string' ? maskPhone(v) : v),
    },
    hooks: {
      logMethod(args, method) {
        method.apply(
          this,
          args.map((a) => (typeof a === 'string' ? maskNumbers(a) : a)) as Parameters<typeof method>,
        );
      },
    },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss' } } }
      : {}),
  };
  return options;
}

/** nestjs-pino: pino-http for request ids; a request line only when it failed (4xx, 5xx). */
export function loggerParams(
  service: string,
  cfg: Pick<AppConfig, 'LOG_LEVEL' | 'LOG_FORMAT' | 'DEMO'>,
): Params {
  return {
    pinoHttp: {
      ...pinoOptions(service, cfg),
      genReqId: (req: IncomingMessage, res: ServerResponse) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      // Every line logged during a request carries its id, not the whole request.
      quietReqLogger: true,
      // A 503 of /health/* is the probe's answer (not ready yet), not a failed request.
      customLogLevel: (req, res, err) =>
        req.url?.startsWith('/health/')
          ? 'silent'
          : err || res.statusCode >= 500
            ? 'error'
            : res.statusCode >= 400
              ? 'warn'
              : 'silent',
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url?.split('?')[0],
        }),
      },
    },
  };
}
