import { runSimulatorProcess } from '../../libs/notify/simulator/sim-process';
import { BehaviourConfig } from '../../libs/notify/simulator/twilio-simulator';
import { startTencentSimulator, TencentFaults } from '../../libs/notify/simulator/tencent-simulator';

/**
 * The Tencent Cloud simulator as a process (npm run start:tencent-sim). Environment:
 *   SIM_PORT (default 4020), TENCENT_SECRET_ID, TENCENT_SECRET_KEY (must match the notifier's),
 *   TENCENT_SMS_SDK_APP_ID, TENCENT_SMS_SIGN_NAME, TENCENT_SMS_TEMPLATE_ID, TENCENT_VOICE_SDK_APP_ID,
 *   TENCENT_VOICE_CONFIRM_TEMPLATE_ID, TENCENT_VOICE_NOTICE_TEMPLATE_ID (the approved templates),
 *   SIM_LATENCY_MS, SIM_SMS_STATUS_URL, SIM_SMS_REPLY_URL, SIM_VOICE_URL (the callback URLs set in
 *   Tencent's console: the notifier's /tencent/... with their tokens), SIM_BEHAVIOURS, SIM_FAULTS.
 * Driven at runtime through POST /sim/behaviours, /sim/faults, /sim/callbacks, /sim/reply, GET /sim/records.
 */
const env = process.env;
const port = Number(env.SIM_PORT ?? 4020);
runSimulatorProcess('Tencent Cloud simulator', port, () =>
  startTencentSimulator({
    port,
    host: env.SIM_HOST ?? '127.0.0.1',
    secretId: env.TENCENT_SECRET_ID ?? 'AKIDsimulator0000',
    secretKey: env.TENCENT_SECRET_KEY ?? 'simulator-secret-key-0000',
    smsSdkAppId: env.TENCENT_SMS_SDK_APP_ID ?? '1400000001',
    signName: env.TENCENT_SMS_SIGN_NAME ?? '防汛叫应',
    voiceSdkAppId: env.TENCENT_VOICE_SDK_APP_ID ?? '1400000002',
    smsTemplates: [{ id: env.TENCENT_SMS_TEMPLATE_ID ?? '2001', text: '{1}' }],
    voiceTemplates: [
      { id: env.TENCENT_VOICE_CONFIRM_TEMPLATE_ID ?? '3001', text: '{1}收到请按1键确认。' },
      { id: env.TENCENT_VOICE_NOTICE_TEMPLATE_ID ?? '3002', text: '{1}' },
    ],
    latencyMs: Number(env.SIM_LATENCY_MS ?? 500),
    callbacks: {
      smsStatus: env.SIM_SMS_STATUS_URL,
      smsReply: env.SIM_SMS_REPLY_URL,
      voice: env.SIM_VOICE_URL,
    },
    behaviours: env.SIM_BEHAVIOURS ? (JSON.parse(env.SIM_BEHAVIOURS) as BehaviourConfig) : undefined,
    faults: env.SIM_FAULTS ? (JSON.parse(env.SIM_FAULTS) as TencentFaults) : undefined,
  }),
);
