import { AppConfig } from '../../config/config';
import { CONFIG } from '../../infra/tokens';
import { ProviderAdapter } from '../provider';
import { ProviderChannels } from '../providers/provider-router';
import { routedProviders } from '../providers/routes';
import {
  createTencentClients,
  TencentSettings,
  TencentSmsChannel,
  TencentVoiceChannel,
} from './tencent.channels';
import {
  TENCENT_REPLY_CHANNEL,
  TENCENT_WEBHOOK_SETTINGS,
  TencentWebhookSettings,
  TencentWebhooksController,
} from './tencent-webhooks.controller';

export const TENCENT_CHANNELS = Symbol('TENCENT_CHANNELS');
const TENCENT_SETTINGS = Symbol('TENCENT_SETTINGS');

/** Times a voice message is played in one call: the message, then once more. */
const PLAY_TIMES = 2;

/** The adapter's settings from the config; null when no route names Tencent. */
export function tencentSettingsOf(cfg: AppConfig): TencentSettings | null {
  return routedProviders(cfg.NOTIFY_ROUTES).includes('tencent') ? tencentSettings(cfg) : null;
}

/** The adapter's settings from the config (TENCENT_*, checked by TENCENT_ADAPTER.required). */
export function tencentSettings(cfg: AppConfig): TencentSettings {
  return {
    secretId: cfg.TENCENT_SECRET_ID!,
    secretKey: cfg.TENCENT_SECRET_KEY!,
    region: cfg.TENCENT_REGION,
    apiBaseUrl: cfg.TENCENT_API_BASE_URL,
    smsSdkAppId: cfg.TENCENT_SMS_SDK_APP_ID!,
    signName: cfg.TENCENT_SMS_SIGN_NAME!,
    smsTemplateId: cfg.TENCENT_SMS_TEMPLATE_ID!,
    voiceSdkAppId: cfg.TENCENT_VOICE_SDK_APP_ID!,
    voiceConfirmTemplateId: cfg.TENCENT_VOICE_CONFIRM_TEMPLATE_ID!,
    voiceNoticeTemplateId: cfg.TENCENT_VOICE_NOTICE_TEMPLATE_ID!,
    playTimes: PLAY_TIMES,
    // Tencent assigns the numbers shown; the application ids stand for the senders (rate limits).
    smsFrom: `tencent-sms:${cfg.TENCENT_SMS_SDK_APP_ID!}`,
    voiceFrom: `tencent-vms:${cfg.TENCENT_VOICE_SDK_APP_ID!}`,
  };
}

/**
 * Tencent Cloud SMS + voice messages (or their simulator, by TENCENT_API_BASE_URL), used when
 * NOTIFY_ROUTES names it. Its callbacks come to /tencent/... (tencent-webhooks.controller.ts).
 */
export const TENCENT_ADAPTER: ProviderAdapter = {
  name: 'tencent',
  required: [
    'TENCENT_SECRET_ID',
    'TENCENT_SECRET_KEY',
    'TENCENT_SMS_SDK_APP_ID',
    'TENCENT_SMS_SIGN_NAME',
    'TENCENT_SMS_TEMPLATE_ID',
    'TENCENT_VOICE_SDK_APP_ID',
    'TENCENT_VOICE_CONFIRM_TEMPLATE_ID',
    'TENCENT_VOICE_NOTICE_TEMPLATE_ID',
    'TENCENT_CALLBACK_SECRET',
  ],
  controllers: [TencentWebhooksController],
  channels: TENCENT_CHANNELS,
  providers: [
    { provide: TENCENT_SETTINGS, inject: [CONFIG], useFactory: tencentSettingsOf },
    {
      provide: TENCENT_CHANNELS,
      inject: [TENCENT_SETTINGS],
      useFactory: (s: TencentSettings | null): ProviderChannels | null => {
        if (!s) return null;
        const clients = createTencentClients(s);
        return {
          name: 'tencent',
          sms: new TencentSmsChannel(clients, s),
          voice: new TencentVoiceChannel(clients, s),
        };
      },
    },
    {
      provide: TENCENT_WEBHOOK_SETTINGS,
      inject: [CONFIG, TENCENT_SETTINGS],
      useFactory: (cfg: AppConfig, s: TencentSettings | null): TencentWebhookSettings | null =>
        s
          ? {
              callbackSecret: cfg.TENCENT_CALLBACK_SECRET!,
              heardSeconds: cfg.NOTIFY_HEARD_SECONDS,
              smsFrom: s.smsFrom,
            }
          : null,
    },
    {
      provide: TENCENT_REPLY_CHANNEL,
      inject: [TENCENT_CHANNELS],
      useFactory: (c: ProviderChannels | null) => c?.sms ?? null,
    },
  ],
};
