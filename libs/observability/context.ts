import { callIdsOf, withCallIds } from './logging';
import { withKafkaTrace, withStoredTrace } from './tracing';

/**
 * The context of one unit of work, set where it starts: the trace it continues and the ids its log
 * lines carry. One call at each place work starts (a consumed message, a claimed send).
 */

/** Handling one consumed Kafka message (its headers carry the trace; its value names the ids). */
export function withMessageContext<T>(
  topic: string,
  headers: Record<string, unknown> | undefined,
  value: unknown,
  work: () => Promise<T>,
): Promise<T> {
  return withKafkaTrace(topic, headers, () => withCallIds(callIdsOf(value), work));
}

/** Work on a stored row (a queued send): the trace stored with it, its ids on every line. */
export function withRowContext<T>(
  name: string,
  row: { traceparent?: string | null },
  work: () => Promise<T>,
): Promise<T> {
  return withStoredTrace(name, row.traceparent, () => withCallIds(callIdsOf(row), work));
}
