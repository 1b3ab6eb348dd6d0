import { Twilio } from 'twilio';
import { AppConfig } from '../../config/config';
import { CONFIG } from '../../infra/tokens';
import { ProviderAdapter, SMS_CHANNEL, SmsChannel, VOICE_CHANNEL, VoiceChannel } from '../provider';
import { voicesWith } from './twiml';
import {
  createTwilioClient,
  TwilioCallbackUrls,
  TwilioSmsChannel,
  TwilioVoiceChannel,
} from './twilio.channels';
import { TwilioSignatureGuard } from './twilio-signature.guard';
import { TwilioWebhooksController } from './twilio-webhooks.controller';

const TWILIO_CLIENT = Symbol('TWILIO_CLIENT');

/** Twilio (or its simulator, by TWILIO_API_BASE_URL) as the notifier's SMS and voice provider. */
export const TWILIO_ADAPTER: ProviderAdapter = {
  name: 'twilio',
  required: [
    'TWILIO_ACCOUNT_SID',
    'TWILIO_AUTH_TOKEN',
    'TWILIO_SMS_FROM',
    'TWILIO_VOICE_FROM',
    'PUBLIC_BASE_URL',
  ],
  controllers: [TwilioWebhooksController],
  providers: [
    {
      // One client (one keep-alive connection pool) for messages and calls.
      provide: TWILIO_CLIENT,
      inject: [CONFIG],
      useFactory: (cfg: AppConfig): Twilio =>
        createTwilioClient({
          accountSid: cfg.TWILIO_ACCOUNT_SID!,
          authToken: cfg.TWILIO_AUTH_TOKEN!,
          apiBaseUrl: cfg.TWILIO_API_BASE_URL,
        }),
    },
    {
      provide: SMS_CHANNEL,
      inject: [CONFIG, TWILIO_CLIENT],
      useFactory: (cfg: AppConfig, client: Twilio): SmsChannel =>
        new TwilioSmsChannel(client, cfg.TWILIO_SMS_FROM!, new TwilioCallbackUrls(cfg.PUBLIC_BASE_URL!)),
    },
    {
      provide: VOICE_CHANNEL,
      inject: [CONFIG, TWILIO_CLIENT],
      useFactory: (cfg: AppConfig, client: Twilio): VoiceChannel =>
        new TwilioVoiceChannel(
          client,
          cfg.TWILIO_VOICE_FROM!,
          new TwilioCallbackUrls(cfg.PUBLIC_BASE_URL!),
          voicesWith(cfg.NOTIFY_VOICE_ZH),
        ),
    },
    TwilioSignatureGuard,
  ],
};
