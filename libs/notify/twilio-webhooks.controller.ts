import { Body, Controller, Header, HttpCode, Inject, Post, Query, UseGuards } from '@nestjs/common';
import { NotifyService } from './notify.service';
import { NOTIFY_SERVICE } from './notify.tokens';
import { TwilioSignatureGuard } from './twilio-signature.guard';
import { EMPTY_TWIML } from './voice-twiml';

type Form = Record<string, string>;

/** Twilio's webhooks. Every answer is TwiML; the work is in NotifyService. */
@Controller('twilio')
@UseGuards(TwilioSignatureGuard)
export class TwilioWebhooksController {
  constructor(@Inject(NOTIFY_SERVICE) private readonly notify: NotifyService) {}

  @Post('sms/status')
  @HttpCode(200)
  @Header('content-type', 'text/xml')
  async smsStatus(@Body() body: Form, @Query('rid') rid?: string): Promise<string> {
    await this.notify.statusCallback('sms', body, rid);
    return EMPTY_TWIML;
  }

  @Post('voice/status')
  @HttpCode(200)
  @Header('content-type', 'text/xml')
  async voiceStatus(@Body() body: Form, @Query('rid') rid?: string): Promise<string> {
    await this.notify.statusCallback('voice', body, rid);
    return EMPTY_TWIML;
  }

  @Post('sms/inbound')
  @HttpCode(200)
  @Header('content-type', 'text/xml')
  inbound(@Body() body: Form): Promise<string> {
    return this.notify.inboundSms(body);
  }

  @Post('voice/twiml')
  @HttpCode(200)
  @Header('content-type', 'text/xml')
  twiml(@Query('rid') rid?: string): Promise<string> {
    return this.notify.callTwiml(rid);
  }

  @Post('voice/gather')
  @HttpCode(200)
  @Header('content-type', 'text/xml')
  gather(@Body() body: Form, @Query('rid') rid?: string): Promise<string> {
    return this.notify.gather(rid, body);
  }
}
