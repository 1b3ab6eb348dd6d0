import { Body, Controller, Header, HttpCode, Inject, Post, Query, UseGuards } from '@nestjs/common';
import { AppConfig } from '../../config/config';
import { CONFIG } from '../../infra/tokens';
import type { Lang } from '../../templates/message-templates';
import { PROVIDER_WEBHOOK_SINK, ProviderWebhookSink } from '../provider';
import { EMPTY_TWIML, messageTwiml, replyTwiml, SayVoice, voicesWith } from './twiml';
import { inboundSmsOf, keyPressOf } from './twilio-inbound';
import { TwilioSignatureGuard } from './twilio-signature.guard';
import { mapCallStatus, mapSmsStatus } from './twilio-status';

type Form = Record<string, string>;

/**
 * Twilio's webhooks: each form is parsed into the project's terms and handed to the notify use
 * cases; every answer is TwiML. `rid` is the attempt's request id, put into the URLs Twilio calls.
 */
@Controller('twilio')
@UseGuards(TwilioSignatureGuard)
export class TwilioWebhooksController {
  private readonly voices: Record<Lang, SayVoice>;

  constructor(
    @Inject(PROVIDER_WEBHOOK_SINK) private readonly sink: ProviderWebhookSink,
    @Inject(CONFIG) private readonly cfg: AppConfig,
  ) {
    this.voices = voicesWith(cfg.NOTIFY_VOICE_ZH);
  }

  @Post('sms/status')
  @HttpCode(200)
  @Header('content-type', 'text/xml')
  async smsStatus(@Body() body: Form, @Query('rid') rid?: string): Promise<string> {
    const status = mapSmsStatus(body, rid);
    if (status) await this.sink.statusReported(status);
    return EMPTY_TWIML;
  }

  @Post('voice/status')
  @HttpCode(200)
  @Header('content-type', 'text/xml')
  async voiceStatus(@Body() body: Form, @Query('rid') rid?: string): Promise<string> {
    const status = mapCallStatus(body, this.cfg.NOTIFY_HEARD_SECONDS, rid);
    if (status) await this.sink.statusReported(status);
    return EMPTY_TWIML;
  }

  @Post('sms/inbound')
  @HttpCode(200)
  @Header('content-type', 'text/xml')
  async inbound(@Body() body: Form): Promise<string> {
    const sms = inboundSmsOf(body);
    const reply = sms ? await this.sink.smsReceived(sms) : null;
    return messageTwiml(reply ?? undefined);
  }

  @Post('voice/twiml')
  @HttpCode(200)
  @Header('content-type', 'text/xml')
  async twiml(@Query('rid') rid?: string): Promise<string> {
    const call = await this.sink.callContent(rid);
    return 'content' in call ? call.content : replyTwiml(this.voices, call.say);
  }

  @Post('voice/gather')
  @HttpCode(200)
  @Header('content-type', 'text/xml')
  async gather(@Body() body: Form, @Query('rid') rid?: string): Promise<string> {
    return replyTwiml(this.voices, await this.sink.keyPressed(keyPressOf(body, rid)));
  }
}
