import { runSimulatorProcess } from '../../libs/notify/simulator/sim-process';
import {
  BehaviourConfig,
  SimFaults,
  startTwilioSimulator,
} from '../../libs/notify/simulator/twilio-simulator';

/**
 * The Twilio simulator as a process (npm run start:twilio-sim). Environment:
 *   SIM_PORT (default 4010), TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN (must match the notifier's),
 *   SIM_LATENCY_MS, SIM_FAILURE_RATE, SIM_RATE_PER_SECOND, SIM_INBOUND_URL (the notifier's
 *   /twilio/sms/inbound), SIM_BEHAVIOURS (JSON: {"rules":[{"suffix":"0002","behaviour":"busy"}],"default":"deliver"}),
 *   SIM_FAULTS (JSON SimFaults: {"answerLostRate":0.3} …).
 * Driven at runtime through POST /sim/behaviours, /sim/faults, /sim/reply, /sim/storm, GET /sim/records.
 */
const env = process.env;
const port = Number(env.SIM_PORT ?? 4010);
runSimulatorProcess('Twilio simulator', port, () =>
  startTwilioSimulator({
    port,
    host: env.SIM_HOST ?? '127.0.0.1',
    accountSid: env.TWILIO_ACCOUNT_SID ?? 'AC00000000000000000000000000000000',
    authToken: env.TWILIO_AUTH_TOKEN ?? 'simulator-auth-token-0000',
    latencyMs: Number(env.SIM_LATENCY_MS ?? 500),
    failureRate: Number(env.SIM_FAILURE_RATE ?? 0),
    ratePerSecond: env.SIM_RATE_PER_SECOND ? Number(env.SIM_RATE_PER_SECOND) : undefined,
    inboundSmsUrl: env.SIM_INBOUND_URL,
    defaultInboundTo: env.TWILIO_SMS_FROM,
    behaviours: env.SIM_BEHAVIOURS ? (JSON.parse(env.SIM_BEHAVIOURS) as BehaviourConfig) : undefined,
    faults: env.SIM_FAULTS ? (JSON.parse(env.SIM_FAULTS) as SimFaults) : undefined,
  }),
);
