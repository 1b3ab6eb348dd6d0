import '../../libs/observability/start';
import { DynamicModule, Logger, Module, Type } from '@nestjs/common';
import { AppConfig } from '../../libs/config/config';
import { AuditModule } from '../../libs/audit/audit.module';
import { ConsoleModule } from '../../libs/console/console.module';
import { DispatcherModule, TrackerModule } from '../../libs/callout/callout.module';
import { Db } from '../../libs/db/db';
import { seedDemoDirectory } from '../../libs/directory/seed/generate-directory';
import { HTTP_PORT_USE, run, startService } from '../../libs/infra/bootstrap';
import { assertPortsFree, portError } from '../../libs/infra/ports';
import { InfraModule } from '../../libs/infra/infra.module';
import { Readiness } from '../../libs/infra/readiness';
import { boundedStep, exitOnSignals } from '../../libs/infra/shutdown';
import { CONFIG, DB, READINESS } from '../../libs/infra/tokens';
import { signingKeysOf, signRoleToken } from '../../libs/common/auth';
import { IntakeModule } from '../../libs/intake/intake.module';
import { DrillsModule } from '../../libs/drills/drills.module';
import { NOTIFY_REQUIRED, NotifyModule } from '../../libs/notify/notify.module';
import { startTwilioSimulator } from '../../libs/notify/simulator/twilio-simulator';
import { ReportsModule } from '../../libs/reports/reports.module';
import { RosterModule } from '../../libs/roster/roster.module';
import { DEMO_TWILIO, embeddedTopicPrefix, ensureLocalKafka, useSimulatorDefaults } from './embedded';

/**
 * The embedded default (`npm start`): every bounded context in one process, each with its own
 * consumer group exactly as when deployed alone; PGlite unless DATABASE_URL is set; a local Kafka
 * broker unless KAFKA_BROKERS is set. In demo mode (DEMO=1, as `npm start` sets it) also the Twilio
 * simulator unless a Twilio account is configured, demo secrets, demo console users, and a demo
 * directory of Datong (real division codes, generated villages, fake numbers) when empty.
 */
/** Readiness waits for this too: the directory seeded (when it was empty) and the banner printed. */
const DEMO_READY = 'demo directory and start-up banner';

function allInOneModule(): Type<unknown> {
  const contexts: (Type<unknown> | DynamicModule)[] = [
    IntakeModule,
    DrillsModule,
    DispatcherModule,
    TrackerModule,
    RosterModule,
    NotifyModule,
    AuditModule,
    ReportsModule,
    ConsoleModule,
  ];
  @Module({
    imports: [
      InfraModule.forRoot({ service: 'all-in-one', required: [...NOTIFY_REQUIRED], awaiting: [DEMO_READY] }),
      ...contexts,
    ],
  })
  class AllInOneModule {}
  return AllInOneModule;
}

const DEMO_TOKEN_HOURS = 12;

async function main() {
  const env = process.env;
  const log = new Logger('all-in-one');
  env.HTTP_PORT ??= '3000';
  const httpPort = Number(env.HTTP_PORT);
  const simPort = Number(env.SIM_PORT ?? 4010);
  const simulate = useSimulatorDefaults(env, simPort, httpPort);
  const simUse = {
    port: simPort,
    component: 'the Twilio simulator',
    variable: 'SIM_PORT',
    host: '127.0.0.1',
  };
  // Every port is checked before anything starts, so a taken one is named at once.
  await assertPortsFree([HTTP_PORT_USE(httpPort), ...(simulate ? [simUse] : [])]);
  const stopLocalKafka = await ensureLocalKafka(env);
  embeddedTopicPrefix(env);
  const sim = simulate
    ? await startTwilioSimulator({
        port: simPort,
        accountSid: DEMO_TWILIO.accountSid,
        authToken: DEMO_TWILIO.authToken,
        latencyMs: Number(env.SIM_LATENCY_MS ?? 300),
        inboundSmsUrl: `${env.PUBLIC_BASE_URL}/twilio/sms/inbound`,
        defaultInboundTo: env.TWILIO_SMS_FROM,
        // Most people answer within half a minute; numbers ending in 7 never do, so the demo shows
        // redials, escalation and the not-woken list too.
        behaviours: { default: 'reply-after', rules: [{ suffix: '7', behaviour: 'never-answer' }] },
      }).catch((e: unknown) => {
        throw portError(e, simUse);
      })
    : undefined;

  const app = await startService(allInOneModule(), { title: 'all-in-one', shutdownHooks: false });
  const cfg = app.get<AppConfig>(CONFIG);
  const base = `http://127.0.0.1:${httpPort}`;
  const lines = [
    '',
    cfg.DEMO
      ? '叫应 call-out is running in DEMO MODE (DEMO=1): demo secrets, demo users, a demo directory and the token below are public; never use it for real warnings.'
      : '叫应 call-out is running (all services in one process).',
    `  Console:                 ${base}/${cfg.DEMO ? '   (demo users: duty / duty-demo, auditor / audit-demo, admin / admin-demo)' : ''}`,
    `  API docs (OpenAPI):      ${base}/docs`,
    `  Health:                  ${base}/health/ready`,
    sim
      ? `  Twilio simulator:        ${sim.url}/sim/records (what was "sent")`
      : '  Twilio:                  the configured account',
    `  Database:                ${env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${env.PGLITE_DIR ?? '.data/pglite'}`}`,
    `  Kafka:                   ${env.KAFKA_BROKERS} (topics ${env.KAFKA_TOPIC_PREFIX || 'unprefixed'}*)`,
    '',
  ];
  if (cfg.DEMO) {
    const db = app.get<Db>(DB);
    const persons = await db.query<{ n: string }>(`SELECT count(*) AS n FROM directory.persons`);
    if (Number(persons.rows[0].n) === 0) {
      const seeded = await seedDemoDirectory(db);
      log.log(
        `demo directory seeded: ${seeded.persons} persons in ${seeded.divisions} generated villages of Datong`,
      );
    }
    // Every API that reads or changes personal data wants a role token: a demo duty officer's, signed
    // with the demo secret, makes the printed commands work as they are.
    const token = signRoleToken(
      { actor: 'demo-duty-officer', role: 'duty-officer', ttlSeconds: DEMO_TOKEN_HOURS * 3600 },
      signingKeysOf(cfg),
    );
    const auth = `-H 'authorization: Bearer ${token}'`;
    lines.push(
      `The APIs want a role token; these carry a demo duty officer's (valid ${DEMO_TOKEN_HOURS} h; more: npm run token -- --role duty-officer --actor NAME).`,
      'Active warnings, and the not-woken list:',
      `  curl -s ${auth} ${base}/api/callouts/warnings`,
      `  curl -s ${auth} ${base}/api/callouts/not-woken`,
      '',
      'Issue a demo red rainstorm warning for 新荣区 (Datong):',
      `  curl -s -X POST ${base}/api/warnings ${auth} -H 'content-type: application/json' -d '{"hazard":"meteorological","subtype":"rainstorm","level":"red","headline":"新荣区暴雨红色预警","instruction":"立即转移低洼地带群众","areas":[{"code":"140212000000"}],"expires":"${new Date(Date.now() + 6 * 3600_000).toISOString()}"}'`,
      '',
    );
  } else {
    lines.push(
      'The APIs want a role token: npm run token -- --role duty-officer --actor NAME (see docs/security.md).',
      '',
    );
  }
  console.log(lines.join('\n'));
  app.get<Readiness>(READINESS).done(DEMO_READY);
  // The app's own clients first (consumers, relays, sends in flight), then the simulator, then the
  // local broker it started.
  exitOnSignals('all-in-one', async () => {
    await app.close();
    await boundedStep('Twilio simulator', sim?.stop(), 1_000);
    await boundedStep('local Kafka broker', stopLocalKafka?.(), 2_000);
  });
}

run(main);
