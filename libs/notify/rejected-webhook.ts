/** At most this much of a refused webhook's parameters is kept (JSON bytes). */
export const REJECTED_EXCERPT_BYTES = 2048;
/** Longer values are cut to this many characters in the excerpt. */
const VALUE_CHARS = 200;
/** Refused webhooks stored per source address and minute; beyond it they are only counted. */
export const REJECTED_PER_MINUTE = 30;

export interface WebhookExcerpt {
  params: Record<string, string>;
  /** Size of every parameter as received (JSON bytes). */
  bytes: number;
  /** Parameters left out of the excerpt (beyond the byte bound). */
  omitted: number;
}

/**
 * What is kept of a refused webhook's parameters: enough to see what was tried, bounded whatever
 * was sent (a forged request may carry a megabyte).
 */
export function webhookExcerpt(
  params: Record<string, unknown>,
  /** Fields with personal data (the provider's names): never kept from an unauthenticated request. */
  personalFields: ReadonlySet<string>,
): WebhookExcerpt {
  const entries = Object.entries(params).filter(([k]) => !personalFields.has(k));
  const kept: Record<string, string> = {};
  let size = 2; // {}
  let omitted = 0;
  for (const [k, v] of entries) {
    const text = typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
    const value = text.length > VALUE_CHARS ? `${text.slice(0, VALUE_CHARS)}…` : text;
    const cost = Buffer.byteLength(JSON.stringify({ [k.slice(0, VALUE_CHARS)]: value })) - 1;
    if (size + cost > REJECTED_EXCERPT_BYTES) {
      omitted += 1;
      continue;
    }
    kept[k.slice(0, VALUE_CHARS)] = value;
    size += cost;
  }
  return { params: kept, bytes: Buffer.byteLength(JSON.stringify(params)), omitted };
}
