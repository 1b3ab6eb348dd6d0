import { CalloutStatus } from '../../contracts/generated/callout-status';

/**
 * The delivery statuses after which nothing more happens to a send (contracts/schemas/
 * callout-status.schema.json): its last status webhook. The notifier asks the provider about a send
 * without one; the audit report counts the sends that have one.
 */
export const FINAL_CHANNEL_STATUSES: readonly CalloutStatus['status'][] = [
  'delivered',
  'undelivered',
  'failed',
  'heard',
  'completed',
  'busy',
  'no-answer',
  'canceled',
];
