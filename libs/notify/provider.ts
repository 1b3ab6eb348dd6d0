import { CalloutStatus } from '../../contracts/generated/callout-status';
import type { Provider, Type } from '@nestjs/common';
import type { AppConfig } from '../config/config';
import type { Lang } from '../templates/message-templates';

/*
 * The provider adapter interface: everything the notify use cases know of an SMS / voice provider.
 * A provider's vocabulary (Twilio's TwiML, CallSid, Digits, form fields, its /twilio/... routes and
 * signature check) stays inside its adapter (libs/notify/twilio/); the use cases see only the types
 * below. How a second provider plugs in: docs/notify.md, "Provider adapters".
 */

/** The project's own delivery statuses (contracts/schemas/callout-status.schema.json). */
export type ChannelStatusCode = CalloutStatus['status'];

/** What an outcome says about the number itself (unallocated, suspended, switched off…). */
export type LineFault = NonNullable<CalloutStatus['lineFault']>;
/** Who answered a call, by the provider's answering-machine detection. */
export type AnsweredBy = NonNullable<CalloutStatus['answeredBy']>;

export type ChannelKind = 'sms' | 'voice';

/**
 * The webhook's fields as the provider sent them, kept in notify.webhook_events for the record. The
 * adapter masks or leaves out personal data it must not keep.
 */
export type ProviderFields = Record<string, string>;

/** What a provider reports about one send (a status webhook), in the project's terms. */
export interface ChannelStatus {
  channel: ChannelKind;
  providerId: string;
  status: ChannelStatusCode;
  /** The provider's own status word, kept for the record. */
  providerStatus: string;
  durationSec?: number;
  reason?: string;
  lineFault?: LineFault;
  answeredBy?: AnsweredBy;
  /** The requestId the project put into the callback, when the provider brought it back. */
  requestId?: string;
  providerFields: ProviderFields;
}

/** An SMS a person sent to one of the project's numbers. */
export interface InboundSms {
  messageId: string;
  from: string;
  to: string;
  body: string;
  providerFields: ProviderFields;
}

/** A key pressed during a call. */
export interface KeyPress {
  /** The provider's id of the call (its sid); without it nothing is confirmed. */
  callId?: string;
  /** The requestId the project put into the call's key-press callback, when present. */
  requestId?: string;
  digits: string;
  providerFields: ProviderFields;
}

/**
 * What a call says, rendered from the templates: the adapter turns it into its own form (Twilio:
 * TwiML) when the request is accepted, and that form is stored with the attempt.
 */
export interface VoiceScript {
  lang: Lang;
  /** The message, spoken twice. */
  script: string;
  repeatPhrase: string;
  /** "Press 1 to confirm" (asked only when `confirmable`). */
  gatherPhrase: string;
  /** Said when no key was pressed. */
  noInputPhrase: string;
  /** A key press confirms (callout, redial, escalation, update); other notices are only played. */
  confirmable: boolean;
}

/** A line the call speaks before it hangs up (the answer to a key press, or a missing script). */
export interface SpokenReply {
  lang: Lang;
  text: string;
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
    /** No answer within the client's timeout: the request may still reach the provider later. */
    readonly timedOut = false,
  ) {
    super(message);
    this.name = 'ChannelError';
  }
  /** True when the provider certainly did not accept the request (it answered with an error). */
  get definitelyNotAccepted(): boolean {
    return this.httpStatus !== undefined && this.httpStatus < 500;
  }
}

/** One SMS to send. The adapter adds its own status callback (with `requestId` in it). */
export interface SmsSend {
  requestId: string;
  to: string;
  body: string;
}

/** One call to place. The adapter adds its own callbacks (status, key press, script fetch). */
export interface VoiceSend {
  requestId: string;
  to: string;
  /** What `VoiceChannel.callContent` made of the call's script when the request was accepted. */
  content: string | null;
}

/** A send the provider already accepted, found again after a crash (reconciliation). */
export interface FoundSend {
  providerId: string;
  status: ChannelStatusCode;
}

/**
 * Asking the provider for one send's status by its id: what the status check (status-check.ts) does
 * for a send whose last status webhook never came (posted while the notifier was down: a provider
 * does not send a status callback twice). null: the provider knows no outcome of it (yet).
 */
export interface StatusLookup {
  statusOf(send: AcceptedSend): Promise<ChannelStatus | null>;
}

/** A send the provider accepted: its id, the number and when (a provider may look up by number and time). */
export interface AcceptedSend {
  providerId: string;
  to: string;
  sentAt: Date;
}

export interface SmsChannel extends Partial<StatusLookup> {
  /** The sender number (rate limits are per sender number). */
  readonly from: string;
  send(msg: SmsSend): Promise<SendResult>;
  /**
   * Messages to `to` with this body created since `since`, oldest first: what the provider holds
   * of a send whose answer was lost (the caller leaves out those another send already owns).
   */
  findSent(to: string, body: string, since: Date): Promise<FoundSend[]>;
}

export interface VoiceChannel extends Partial<StatusLookup> {
  readonly from: string;
  /** The provider's form of a call's script, stored with the attempt and handed back to `send`. */
  callContent(requestId: string, script: VoiceScript): string;
  send(call: VoiceSend): Promise<SendResult>;
  /** Calls to `to` created since `since`, oldest first (see SmsChannel.findSent). */
  findSent(to: string, since: Date): Promise<FoundSend[]>;
}

/**
 * The inbound side: what a provider's webhook controller calls once it has checked the request's
 * signature and parsed it into the project's terms. Implemented by the notify use cases; the
 * controller turns the answers into the provider's own reply format (Twilio: TwiML).
 */
export interface ProviderWebhookSink {
  /** A status webhook; repeats of the same providerId + status change nothing. */
  statusReported(status: ChannelStatus): Promise<void>;
  /** An inbound SMS; answers the text to reply with (null: no reply). */
  smsReceived(sms: InboundSms): Promise<string | null>;
  /** A key press during a call; answers what the call says before hanging up. */
  keyPressed(press: KeyPress): Promise<SpokenReply>;
  /** The stored script of a call (for a provider that fetches it when the call is answered). */
  callContent(requestId: string | undefined): Promise<{ content: string } | { say: SpokenReply }>;
  /** A refused webhook (bad signature, not the provider's shape), recorded for auditors. */
  webhookRefused(refused: RefusedWebhook): Promise<boolean>;
}

export interface RefusedWebhook {
  path: string;
  reason: string;
  remoteAddr?: string;
  signature?: string;
  /** The request's fields; those named in `personalFields` are never kept. */
  params: Record<string, unknown>;
  personalFields: ReadonlySet<string>;
}

export const PROVIDER_WEBHOOK_SINK = Symbol('PROVIDER_WEBHOOK_SINK');

/**
 * A provider's parts for the notify module: what it needs from the config when a route names it,
 * its webhook controllers, and Nest providers that build one client and provide, under `channels`,
 * its ProviderChannels (providers/provider-router.ts), or null when no route names it.
 */
export interface ProviderAdapter {
  name: 'twilio' | 'tencent';
  /** Config variables it cannot run without (checked at start with the rest of the config). */
  required: readonly (keyof AppConfig)[];
  controllers: Type[];
  providers: Provider[];
  /** The token of its ProviderChannels (null when not routed). */
  channels: symbol;
}
