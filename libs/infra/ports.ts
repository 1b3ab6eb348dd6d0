import { createServer, connect } from 'node:net';
import { brokerAnswers } from '../kafka/kafka-log';

/** Exit code of a service that could not start because a port it needs is taken (98 = EADDRINUSE on Linux). */
export const EXIT_PORT_TAKEN = 98;

/** What wants a port, and the variable that chooses another. */
export interface PortUse {
  port: number;
  /** e.g. "the HTTP server (console, APIs, webhooks)" */
  component: string;
  /** e.g. "HTTP_PORT" */
  variable: string;
  /** Interface it binds (default 0.0.0.0: taken on any interface means taken). */
  host?: string;
}

export class PortTakenError extends Error {
  constructor(
    readonly use: PortUse,
    detail = 'something else is already listening there',
  ) {
    super(
      `port ${use.port} is taken (${detail}); ${use.component} needs it. ` +
        `Stop what is listening there, or choose another port: ${use.variable}=<port>.`,
    );
    this.name = 'PortTakenError';
  }
}

/** A listen error as a PortTakenError when it says the address is in use; otherwise the error itself. */
export function portError(e: unknown, use: PortUse): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EADDRINUSE' ? new PortTakenError(use) : e;
}

/** Throws PortTakenError when the port cannot be bound now (bound for a moment, then released). */
export function assertPortFree(use: PortUse): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (e) => reject(portError(e, use)));
    probe.listen(use.port, use.host ?? '0.0.0.0', () => probe.close(() => resolve()));
  });
}

/** Checks several ports, in order; the first taken one is reported. */
export async function assertPortsFree(uses: PortUse[]): Promise<void> {
  for (const u of uses) await assertPortFree(u);
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function portAnswers(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', timeout: timeoutMs });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** True when a Kafka broker answers on 127.0.0.1:port (it speaks the Kafka protocol, not just TCP). */
export const kafkaAnswers = (port: number): Promise<boolean> => brokerAnswers([`127.0.0.1:${port}`]);

/**
 * Before starting the local broker (scripts/kafka.sh) on KAFKA_PORT and its controller port: a Kafka
 * broker already there is used as it is; anything else there, or on the controller port, would make
 * the broker fail with a Java stack trace (or the services talk Kafka to a stranger), so it is
 * reported as a taken port instead.
 */
export async function assertLocalKafkaPortsUsable(port: number, controllerPort: number): Promise<void> {
  const broker: PortUse = {
    port,
    component: 'the local Kafka broker',
    variable: 'KAFKA_PORT',
    host: '127.0.0.1',
  };
  if (await portAnswers(port)) {
    if (await kafkaAnswers(port)) return;
    throw new PortTakenError(broker, 'something that is not a Kafka broker answers there');
  }
  await assertPortsFree([
    broker,
    {
      port: controllerPort,
      component: "the local Kafka broker's controller (on KAFKA_PORT + 1 unless set)",
      variable: 'KAFKA_CONTROLLER_PORT',
      host: '127.0.0.1',
    },
  ]);
}
