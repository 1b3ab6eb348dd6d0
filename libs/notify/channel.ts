import { ChannelStatusCode, FoundSend, SendResult } from './provider';

export {
  ChannelError,
  ChannelStatusCode,
  FoundSend,
  SendResult,
  SMS_CHANNEL,
  VOICE_CHANNEL,
} from './provider';

/** What a channel reports about one send, in the project's terms. */
export interface ChannelStatus {
  providerId: string;
  status: ChannelStatusCode;
  /** The provider's own status word, kept for the record. */
  providerStatus: string;
  durationSec?: number;
  reason?: string;
  /** The requestId the project put into the callback URL, when present. */
  requestId?: string;
}

export interface SmsSend {
  requestId: string;
  to: string;
  body: string;
  statusCallbackUrl?: string;
}

export interface VoiceSend {
  requestId: string;
  to: string;
  /** URL the provider fetches the call's TwiML from (used when the TwiML is not sent inline). */
  twimlUrl: string;
  /**
   * The call's TwiML, sent with the request when it fits the provider's limit: the provider then
   * needs no fetch when the call is answered (one request fewer per call).
   */
  twiml?: string | null;
  statusCallbackUrl?: string;
}

export interface InboundSms {
  messageId: string;
  from: string;
  to: string;
  body: string;
}

export interface SmsChannel {
  readonly from: string;
  send(msg: SmsSend): Promise<SendResult>;
  parseStatusCallback(params: Record<string, string>): ChannelStatus | null;
  parseInbound(params: Record<string, string>): InboundSms | null;
  /**
   * Messages to `to` with this body created since `since`, oldest first: what the provider holds
   * of a send whose answer was lost (the caller leaves out those another send already owns).
   */
  findSent(to: string, body: string, since: Date): Promise<FoundSend[]>;
}

export interface VoiceChannel {
  readonly from: string;
  send(call: VoiceSend): Promise<SendResult>;
  parseStatusCallback(params: Record<string, string>): ChannelStatus | null;
  /** Calls to `to` created since `since`, oldest first (see SmsChannel.findSent). */
  findSent(to: string, since: Date): Promise<FoundSend[]>;
}
