import { ChannelError } from '../provider';

/**
 * The provider refused a send because of a per-callee limit (calls or messages to this one number in
 * a window). Retrying through the same provider cannot help before the window passes, so it is
 * permanent for that provider; the router moves the send to another channel or provider instead.
 */
export class CalleeLimitRefused extends ChannelError {
  constructor(
    message: string,
    /** The provider's own code (Tencent: LimitExceeded.DeliveryFrequencyLimit …). */
    readonly providerCode: string,
  ) {
    super(message, true, undefined, 400);
    this.name = 'CalleeLimitRefused';
  }
}
