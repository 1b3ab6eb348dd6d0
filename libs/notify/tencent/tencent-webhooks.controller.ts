import {
  Body,
  Controller,
  HttpCode,
  HttpException,
  Inject,
  Logger,
  NotFoundException,
  Param,
  Post,
  Req,
} from '@nestjs/common';
import type { Request } from 'express';
import { PROVIDER_WEBHOOK_SINK, ProviderWebhookSink, SmsChannel } from '../provider';
import {
  parseSmsReply,
  parseSmsStatus,
  parseVoice,
  Parsed,
  TencentCallbackKind,
  tokenMatches,
} from './tencent-callbacks';

/** What the Tencent receiver needs beyond the sink. */
export interface TencentWebhookSettings {
  /** The secret the callback URLs' tokens are made from (TENCENT_CALLBACK_SECRET). */
  callbackSecret: string;
  heardSeconds: number;
  /** The SMS number replies are addressed to (recorded as the inbound message's `to`). */
  smsFrom: string;
}
export const TENCENT_WEBHOOK_SETTINGS = Symbol('TENCENT_WEBHOOK_SETTINGS');
/** The channel a reply to an inbound SMS goes out by (Tencent has no reply in the callback's answer). */
export const TENCENT_REPLY_CHANNEL = Symbol('TENCENT_REPLY_CHANNEL');

/** What Tencent expects back from a callback it delivered. */
const RECEIVED = { result: 0, errmsg: 'OK' };
/** Fields never kept with a refused callback. */
const PERSONAL = new Set(['mobile', 'text', 'nationcode']);

/**
 * Tencent's callbacks, at the URLs set in its console: `/tencent/<kind>/<token>`. The token is
 * checked first; a wrong one or a body not of Tencent's shape is refused (403 / 400) and recorded.
 * Repeats are harmless: the sink records each status, reply and key press once.
 */
@Controller('tencent')
export class TencentWebhooksController {
  private readonly logger = new Logger('TencentWebhooks');

  constructor(
    @Inject(PROVIDER_WEBHOOK_SINK) private readonly sink: ProviderWebhookSink,
    /** Null when no route names Tencent: its callbacks are then not found. */
    @Inject(TENCENT_WEBHOOK_SETTINGS) private readonly settings: TencentWebhookSettings | null,
    @Inject(TENCENT_REPLY_CHANNEL) private readonly replyChannel: SmsChannel | null,
  ) {}

  private get s(): TencentWebhookSettings {
    if (!this.settings) throw new NotFoundException('Tencent Cloud is not routed (NOTIFY_ROUTES)');
    return this.settings;
  }

  @Post('sms/status/:token')
  @HttpCode(200)
  async smsStatus(@Param('token') token: string, @Body() body: unknown, @Req() req: Request) {
    const reports = await this.accept('sms-status', token, body, req, parseSmsStatus(body));
    for (const r of reports) await this.sink.statusReported(r);
    return RECEIVED;
  }

  @Post('sms/reply/:token')
  @HttpCode(200)
  async smsReply(@Param('token') token: string, @Body() body: unknown, @Req() req: Request) {
    const sms = await this.accept('sms-reply', token, body, req, parseSmsReply(body, this.s.smsFrom));
    const answer = await this.sink.smsReceived(sms);
    // The answer goes out as an SMS of its own. The reply is recorded whatever becomes of the answer
    // (a repeated callback's second answer is refused by Tencent's same-content limit, for one).
    if (answer)
      await this.replyChannel!.send({
        requestId: `reply:${sms.messageId}`,
        to: sms.from,
        body: answer,
      }).catch((e: Error) => this.logger.warn(`answer to ${sms.messageId} not sent: ${e.message}`));
    return RECEIVED;
  }

  @Post('voice/:token')
  @HttpCode(200)
  async voice(@Param('token') token: string, @Body() body: unknown, @Req() req: Request) {
    const event = await this.accept('voice', token, body, req, parseVoice(body, this.s.heardSeconds));
    if (event.kind === 'status') await this.sink.statusReported(event.status);
    else await this.sink.keyPressed(event.press);
    return RECEIVED;
  }

  /** The parsed callback when its token is right and its body Tencent's; otherwise refused and recorded. */
  private async accept<T>(
    kind: TencentCallbackKind,
    token: string,
    body: unknown,
    req: Request,
    parsed: Parsed<T>,
  ): Promise<T> {
    const tokenOk = tokenMatches(this.s.callbackSecret, kind, token);
    if (tokenOk && parsed.ok) return parsed.value;
    const reason = tokenOk ? (parsed as { reason: string }).reason : 'callback token missing or wrong';
    await this.sink.webhookRefused({
      path: `/tencent/${kind}`,
      reason,
      remoteAddr: req.ip,
      params: (body && typeof body === 'object' ? body : {}) as Record<string, unknown>,
      personalFields: PERSONAL,
    });
    throw new HttpException({ result: 1, errmsg: reason }, tokenOk ? 400 : 403);
  }
}
