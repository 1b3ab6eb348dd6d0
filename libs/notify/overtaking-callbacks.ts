/**
 * A callback may overtake the API answer it is about: the provider reports on a send whose id is
 * not stored yet. Twilio's callbacks carry our requestId and find their attempt anyway; Tencent's
 * carry only its own id, so a status or key press for an id not known yet is looked up again after
 * these pauses (the id is stored milliseconds after the answer) before it is given up on.
 */
const RETRY_MS = [100, 250, 500, 1000, 2000];
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const UNKNOWN = Symbol('unknown send');

/** Runs `apply` until it finds its send, pausing between tries; UNKNOWN when it never does. */
export async function onceKnown<T>(apply: () => Promise<T | typeof UNKNOWN>): Promise<T | typeof UNKNOWN> {
  for (const wait of [...RETRY_MS, null]) {
    const result = await apply();
    if (result !== UNKNOWN || wait === null) return result;
    await pause(wait);
  }
  return UNKNOWN;
}
