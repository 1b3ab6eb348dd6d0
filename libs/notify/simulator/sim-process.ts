import { EXIT_PORT_TAKEN, portError, PortTakenError } from '../../infra/ports';

/**
 * Runs a provider simulator as a process: starts it on SIM_PORT, says where it listens, stops it on
 * SIGINT / SIGTERM, and exits with the project's code for a taken port.
 */
export function runSimulatorProcess(
  component: string,
  port: number,
  start: () => Promise<{ url: string; stop(): Promise<void> }>,
): void {
  void start()
    .catch((e: unknown) => {
      throw portError(e, { port, component, variable: 'SIM_PORT' });
    })
    .then((sim) => {
      console.log(`${component} listening on ${sim.url}`);
      const stop = () => void sim.stop().then(() => process.exit(0));
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    })
    .catch((e: unknown) => {
      console.error(e instanceof PortTakenError ? e.message : e);
      process.exit(e instanceof PortTakenError ? EXIT_PORT_TAKEN : 1);
    });
}
