import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { BehaviourConfig, BEHAVIOURS } from './twilio-simulator';

/** The pieces every provider simulator serves HTTP with. */

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Listens and answers the base URL. A taken port rejects here (the caller names the port and its
 * variable) instead of crashing the process with an unhandled 'error' event.
 */
export async function listenOn(server: Server, port = 0, host = '127.0.0.1'): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  return `http://${addr.address}:${addr.port}`;
}

/** Throws on a behaviour the simulators do not know (a typo in SIM_BEHAVIOURS). */
export function checkBehaviours(cfg: BehaviourConfig): BehaviourConfig {
  for (const r of cfg.rules ?? [])
    if (!BEHAVIOURS.includes(r.behaviour)) throw new Error(`unknown behaviour ${r.behaviour}`);
  return cfg;
}

/** Resolves when none of the simulator's pending steps (callbacks, replies) is left. */
export async function untilIdle(pending: Set<Promise<unknown>>): Promise<void> {
  while (pending.size) await Promise.allSettled([...pending]);
}

/** Closes the server, dropping kept-alive connections, and waits for pending steps. */
export async function closeServer(server: Server, pending: Set<Promise<unknown>>): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await Promise.allSettled([...pending]);
}

/** The JSON body of a control request (POST /sim/...), {} for a GET. */
export async function controlInput(req: IncomingMessage): Promise<Record<string, unknown>> {
  const body = req.method === 'POST' ? await readBody(req) : '';
  return body ? (JSON.parse(body) as Record<string, unknown>) : {};
}

export function sendJson(res: ServerResponse, status: number, v: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(v));
}
