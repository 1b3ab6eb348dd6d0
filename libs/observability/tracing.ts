import {
  context,
  Context,
  propagation,
  ROOT_CONTEXT,
  Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK, tracing } from '@opentelemetry/sdk-node';

/**
 * Trace context (W3C traceparent) on every hop of one warning: HTTP in and out through the
 * OpenTelemetry HTTP and fetch instrumentations, Kafka by hand (see withKafkaTrace and
 * traceHeaders), because the outbox relay publishes rows long after, and outside of, the work that
 * wrote them: the context has to travel in the outbox row's headers.
 *
 * Spans are exported over OTLP only when an endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, the SDK's own variables); otherwise they are made (so ids are
 * generated and carried on) and dropped.
 */

/** Keeps spans in memory only for their ids: nothing is exported. */
const dropSpans: tracing.SpanProcessor = {
  onStart: () => undefined,
  onEnd: () => undefined,
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

let sdk: NodeSDK | undefined;

export function otlpConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts the SDK once per process. Must run before http is first loaded (the first import of each
 * main.ts), so that the HTTP instrumentation sees every server and client.
 */
export function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): void {
  if (sdk) return;
  // Logs go through pino and metrics through prom-client: the SDK exports neither.
  env.OTEL_LOGS_EXPORTER ??= 'none';
  env.OTEL_METRICS_EXPORTER ??= 'none';
  const exported = otlpConfigured(env);
  sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? serviceName,
    autoDetectResources: exported,
    // Unset, the SDK builds its exporters from the OTEL_* variables.
    spanProcessors: exported ? undefined : [dropSpans],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => ignoredIncoming(req.url ?? '', exported),
        // Outgoing requests through node:http are the providers' SDKs (Twilio's, Tencent's): a span
        // for each, only to drop it, is CPU spent on every send (the services talk to each other
        // through Kafka; the console's calls go through fetch, traced below).
        ignoreOutgoingRequestHook: () => !exported,
      }),
      new UndiciInstrumentation(),
    ],
  });
  sdk.start();
}

/**
 * Incoming requests without a span: scrapes and health checks (no part of any warning's trace),
 * and, when spans are not exported, the providers' webhooks. A webhook's work continues the trace
 * stored with its send (storedTraceHeaders), not the request's, so the request's own span is only
 * ever seen in an exporter; without one it is CPU spent on each of the thousands of callbacks a
 * city-wide call-out brings.
 */
export function ignoredIncoming(url: string, exported: boolean): boolean {
  if (/^\/(metrics|health)/.test(url)) return true;
  return !exported && /^\/(twilio|tencent)\//.test(url);
}

export async function stopTracing(): Promise<void> {
  await sdk?.shutdown().catch(() => undefined);
  sdk = undefined;
}

const tracer = () => trace.getTracer('jiaoying-callout');

/** The traceparent (and tracestate) of the active context, as message headers; empty outside a trace. */
export function activeTraceHeaders(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/**
 * Headers of an outgoing Kafka message with the active trace context added, unless the message
 * carries one already (a row the outbox stored with the context of the work that wrote it).
 */
export function traceHeaders<H extends Record<string, unknown>>(headers: H | undefined): H | undefined {
  if (headers && 'traceparent' in headers) return headers;
  const trace = activeTraceHeaders();
  if (!trace.traceparent) return headers;
  return { ...(headers ?? ({} as H)), ...trace };
}

/** The traceparent of the active span, if any (for log lines). */
export function activeTraceIds(): { traceId: string; spanId: string } | undefined {
  const span = trace.getSpan(context.active());
  const sc = span?.spanContext();
  if (!sc || !trace.isSpanContextValid(sc)) return undefined;
  return { traceId: sc.traceId, spanId: sc.spanId };
}

function headerText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (Array.isArray(v)) return headerText(v[0]);
  return String(v);
}

/** The context carried by a message's (or a row's) headers; the root context when none. */
export function contextOf(headers: Record<string, unknown> | null | undefined): Context {
  const carrier: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const text = headerText(v);
    if (text !== undefined) carrier[k.toLowerCase()] = text;
  }
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/** Runs `work` in a span of its own, child of `parent`; the span records a failure. */
export function inSpan<T>(
  name: string,
  kind: SpanKind,
  parent: Context,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer().startActiveSpan(name, { kind }, parent, async (span) => {
    try {
      return await work(span);
    } catch (e) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
      throw e;
    } finally {
      span.end();
    }
  });
}

/**
 * Consumes one Kafka message in a span that continues the trace of its headers (a new trace when
 * it carries none: a warning from an upstream bureau), as the kafkajs instrumentation would for a
 * plain consumer.
 */
export function withKafkaTrace<T>(
  topic: string,
  headers: Record<string, unknown> | undefined,
  work: () => Promise<T>,
): Promise<T> {
  return inSpan(`${topic} process`, SpanKind.CONSUMER, contextOf(headers), () => work());
}

/** Runs `work` in the trace stored with a row (e.g. a queued send), in a span of its own. */
export function withStoredTrace<T>(
  name: string,
  traceparent: string | null | undefined,
  work: () => Promise<T>,
): Promise<T> {
  return inSpan(name, SpanKind.INTERNAL, contextOf(traceparent ? { traceparent } : {}), () => work());
}

/** Headers of an event about a stored row: the trace stored with the row, when it has one. */
export function storedTraceHeaders(row: { traceparent?: string | null }): {
  headers?: { traceparent: string };
} {
  return row.traceparent ? { headers: { traceparent: row.traceparent } } : {};
}
