import { INestApplication, Logger, LogLevel, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppConfig, ConfigError, loadConfig } from '../config/config';
import { securityHeaders } from './http-security';
import { assertPortFree, EXIT_PORT_TAKEN, portError, PortTakenError, PortUse } from './ports';
import { exitOnSignals } from './shutdown';

const LEVELS: Record<AppConfig['LOG_LEVEL'], LogLevel[]> = {
  trace: ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'],
  debug: ['debug', 'log', 'warn', 'error', 'fatal'],
  info: ['log', 'warn', 'error', 'fatal'],
  warn: ['warn', 'error', 'fatal'],
  error: ['error', 'fatal'],
  fatal: ['fatal'],
  silent: [],
};

export interface ServiceOptions {
  title: string;
  /** OpenAPI description of the service. */
  description?: string;
  /** Body size limit for JSON and form bodies (Twilio webhooks are forms). */
  bodyLimit?: string;
  /** Close the app on SIGTERM/SIGINT (default); off when the caller closes more than the app. */
  shutdownHooks?: boolean;
}

/**
 * Starts one service: HTTP (health, APIs, webhooks, OpenAPI at /docs) plus whatever consumers its
 * modules host; shuts down cleanly on SIGTERM/SIGINT. A configuration error stops it with a message
 * that names the variable.
 */
export async function startService(
  module: Type<unknown> | ReturnType<typeof Object>,
  opts: ServiceOptions,
): Promise<INestApplication> {
  let cfg: AppConfig;
  try {
    cfg = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`${opts.title}: ${e.message}`);
      process.exit(e.exitCode);
    }
    throw e;
  }
  // Before any connection is made, so a taken port is named at once rather than after the start-up.
  await assertPortFree(HTTP_PORT_USE(cfg.HTTP_PORT));
  const app = await NestFactory.create<NestExpressApplication>(module as Type<unknown>, {
    logger: LEVELS[cfg.LOG_LEVEL],
    // Held until the structured logger takes over (ObservabilityModule), then written through it.
    bufferLogs: true,
    bodyParser: false,
    // Throw start-up errors to run(), which names a bad variable instead of aborting the process.
    abortOnError: false,
    // Keep-alive connections do not hold a stopping service open.
    forceCloseConnections: true,
  });
  app.disable('x-powered-by');
  app.use(securityHeaders());
  app.useBodyParser('json', { limit: opts.bodyLimit ?? '1mb' });
  app.useBodyParser('urlencoded', { extended: false, limit: opts.bodyLimit ?? '1mb' });
  // Not Nest's enableShutdownHooks: its close can wait on a broker that is gone (see exitOnSignals).
  if (opts.shutdownHooks !== false) exitOnSignals(opts.title, () => app.close());
  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(opts.title)
      .setDescription(opts.description ?? '')
      .setVersion('1')
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'role token',
        description: 'npm run token; docs/security.md',
      })
      .build(),
  );
  SwaggerModule.setup('docs', app, doc);
  await app.listen(cfg.HTTP_PORT, cfg.HTTP_HOST).catch((e: unknown) => {
    throw portError(e, HTTP_PORT_USE(cfg.HTTP_PORT));
  });
  const logger = new Logger(opts.title);
  logger.log(`listening on ${await app.getUrl()} (OpenAPI at /docs, health at /health/ready)`);
  // Said at log level: a clean demo start prints no warnings, and the banner says demo mode too.
  if (cfg.DEMO)
    logger.log(
      'DEMO mode (DEMO=1): demo secrets and demo users are accepted; never use it for real warnings',
    );
  return app;
}

/** The service's HTTP port: health, APIs, webhooks and (in the all-in-one) the console. */
export const HTTP_PORT_USE = (port: number): PortUse => ({
  port,
  component: 'the HTTP server (health, APIs, webhooks, console)',
  variable: 'HTTP_PORT',
});

/**
 * Runs `main` and turns a start-up failure into a clear message and an exit code: 78 for a bad
 * variable, 98 for a taken port, 1 for anything unexpected (with its stack).
 */
export function run(main: () => Promise<unknown>): void {
  main().catch((e) => {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(e.exitCode);
    }
    if (e instanceof PortTakenError) {
      console.error(e.message);
      process.exit(EXIT_PORT_TAKEN);
    }
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  });
}
