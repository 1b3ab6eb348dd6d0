import { Twilio } from 'twilio';
import { AppConfig } from '../../config/config';
import { CONFIG } from '../../infra/tokens';
import { ProviderAdapter } from '../provider';
import { ProviderChannels } from '../providers/provider-router';
import { routedProviders } from '../providers/routes';
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
export const TWILIO_CHANNELS = Symbol('TWILIO_CHANNELS');

const routed = (cfg: AppConfig) => routedProviders(cfg.NOTIFY_ROUTES).includes('twilio');

/** Twilio (or its simulator, by TWILIO_API_BASE_URL) as one of the notifier's SMS and voice providers. */
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
  channels: TWILIO_CHANNELS,
  providers: [
    {
      // One client (one keep-alive connection pool) for messages and calls.
      provide: TWILIO_CLIENT,
      inject: [CONFIG],
      useFactory: (cfg: AppConfig): Twilio | null =>
        routed(cfg)
          ? createTwilioClient({
              accountSid: cfg.TWILIO_ACCOUNT_SID!,
              authToken: cfg.TWILIO_AUTH_TOKEN!,
              apiBaseUrl: cfg.TWILIO_API_BASE_URL,
              timeoutMs: cfg.NOTIFY_API_TIMEOUT_MS,
            })
          : null,
    },
    {
      provide: TWILIO_CHANNELS,
      inject: [CONFIG, TWILIO_CLIENT],
      useFactory: (cfg: AppConfig, client: Twilio | null): ProviderChannels | null => {
        if (!client) return null;
        const callbacks = new TwilioCallbackUrls(cfg.PUBLIC_BASE_URL!);
        return {
          name: 'twilio',
          sms: new TwilioSmsChannel(client, cfg.TWILIO_SMS_FROM!, callbacks),
          voice: new TwilioVoiceChannel(
            client,
            cfg.TWILIO_VOICE_FROM!,
            callbacks,
            voicesWith(cfg.NOTIFY_VOICE_ZH),
            cfg.NOTIFY_HEARD_SECONDS,
          ),
        };
      },
    },
    TwilioSignatureGuard,
  ],
};
