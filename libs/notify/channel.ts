import { CalloutStatus } from '../../contracts/generated/callout-status';

/** The project's own delivery statuses (contracts/schemas/callout-status.schema.json). */
export type ChannelStatusCode = CalloutStatus['status'];

/** What an outcome says about the number itself (unallocated, suspended, switched off…). */
export type LineFault = NonNullable<CalloutStatus['lineFault']>;
/** Who answered a call, by the provider's answering-machine detection. */
export type AnsweredBy = NonNullable<CalloutStatus['answeredBy']>;

/** What a channel reports about one send, in the project's terms. */
export interface ChannelStatus {
  providerId: string;
  status: ChannelStatusCode;
  /** The provider's own status word, kept for the record. */
  providerStatus: string;
  durationSec?: number;
  reason?: string;
  lineFault?: LineFault;
  answeredBy?: AnsweredBy;
  /** The requestId the project put into the callback URL, when present. */
  requestId?: string;
}

export interface SendResult {
  providerId: string;
  status: ChannelStatusCode;
  /** The provider's answer as it came (printed by the test CLI). */
  raw: unknown;
}

/** A send that failed. `permanent` ones (invalid number…) are never retried. */
export class ChannelError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    /** Provider error code (e.g. Twilio 21211) when known. */
    readonly code?: number,
    /** HTTP status when the provider answered; undefined for network errors (outcome unknown). */
    readonly httpStatus?: number,
    /** What the error says about the number (a 21211 invalid number…), when anything. */
    readonly lineFault?: LineFault,
  ) {
    super(message);
    this.name = 'ChannelError';
  }
  /** True when the provider certainly did not accept the request (it answered with an error). */
  get definitelyNotAccepted(): boolean {
    return this.httpStatus !== undefined && this.httpStatus < 500;
  }
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

/** A message the provider already accepted, found again after a crash (reconciliation). */
export interface FoundSend {
  providerId: string;
  status: ChannelStatusCode;
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

export const SMS_CHANNEL = Symbol('SMS_CHANNEL');
export const VOICE_CHANNEL = Symbol('VOICE_CHANNEL');
