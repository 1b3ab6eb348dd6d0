import {
  BrokenCircuitError,
  circuitBreaker,
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  handleWhen,
} from 'cockatiel';
import { ChannelError, ChannelKind, SmsChannel, VoiceChannel } from '../provider';
import { CalleeLimitRefused } from './callee-limit-refused';
import { ChannelCapabilities, ProviderName } from './provider-capabilities';
import { capabilitiesOf, providersFor, Route } from './routes';

/** One provider's outbound channels, as its adapter builds them. */
export interface ProviderChannels {
  name: ProviderName;
  sms: SmsChannel;
  voice: VoiceChannel;
}

/**
 * A provider's circuit is open and another provider can take the send: it was not made (nothing
 * reached the provider), and the gate does not retry it. The sender moves it to the next provider of
 * its route (or, when that cannot be done, leaves it to the reconciler).
 */
export class ProviderUnavailable extends ChannelError {
  constructor(readonly provider: ProviderName) {
    super(`${provider} unavailable (circuit open after repeated errors)`, true, undefined, 503);
    this.name = 'ProviderUnavailable';
  }
  override get definitelyNotAccepted(): boolean {
    return true;
  }
}

export interface BreakerSettings {
  /** Consecutive outage-like errors (network, 5xx, no answer) that open a provider's circuit. */
  failures: number;
  /** An open circuit lets one send through to try the provider again after this long. */
  halfOpenAfterMs: number;
  /** Told every change of a provider's circuit (the Prometheus gauge). */
  onState?: (provider: ProviderName, state: CircuitState) => void;
}

/**
 * The errors that say a provider is out, not that one send was wrong: no answer (network, timeout)
 * and 5xx. A refused number, a per-callee limit or a 429 (the gate slows down for it) says nothing
 * about the provider's health.
 */
export const countsAsOutage = (e: unknown): boolean =>
  e instanceof ChannelError &&
  !(e instanceof CalleeLimitRefused) &&
  !(e instanceof ProviderUnavailable) &&
  (e.httpStatus === undefined || e.httpStatus >= 500);

/**
 * Which provider carries a send (NOTIFY_ROUTES, per number and channel, in order), and one circuit
 * breaker per provider (cockatiel): an outage or an error storm opens it, and the sends meant for
 * that provider go to the next one of their route. Without routes the one configured provider
 * carries everything and no carrier's capabilities are declared (every SMS offers reply and link).
 */
export class ProviderRouter {
  private readonly byName = new Map<ProviderName, ProviderChannels>();
  private readonly breakers = new Map<ProviderName, CircuitBreakerPolicy>();

  constructor(
    providers: ProviderChannels[],
    private readonly routes: Route[] | undefined,
    settings: BreakerSettings,
  ) {
    if (providers.length === 0) throw new Error('no SMS / voice provider is configured');
    for (const p of providers) {
      this.byName.set(p.name, p);
      const breaker = circuitBreaker(handleWhen(countsAsOutage), {
        halfOpenAfter: settings.halfOpenAfterMs,
        breaker: new ConsecutiveBreaker(settings.failures),
      });
      breaker.onStateChange((state) => settings.onState?.(p.name, state));
      settings.onState?.(p.name, breaker.state);
      this.breakers.set(p.name, breaker);
    }
    for (const r of routes ?? [])
      for (const name of r.providers)
        if (!this.byName.has(name))
          throw new Error(`NOTIFY_ROUTES names ${name} for ${r.prefix}, but ${name} is not configured`);
  }

  /** The providers of a number on a channel, in order: the first carries, the rest take over. */
  chain(to: string, channel: ChannelKind): ProviderName[] {
    if (!this.routes) return [this.byName.keys().next().value!];
    return providersFor(this.routes, to).filter((name) => capabilitiesOf(name, to)[channel]);
  }

  /** The first provider of the chain, after `after` when given, whose circuit is not open. */
  next(to: string, channel: ChannelKind, after?: ProviderName): ProviderName | undefined {
    const chain = this.chain(to, channel);
    const rest = after === undefined ? chain : chain.slice(chain.indexOf(after) + 1);
    return rest.find((name) => !this.isOpen(name));
  }

  /** Who carries a new send: the first provider whose circuit is not open, else the first. */
  carrier(to: string, channel: ChannelKind): ProviderName {
    return this.next(to, channel) ?? this.chain(to, channel)[0];
  }

  /** What the provider can do for this number on this channel; undefined without routes. */
  capabilities(name: ProviderName, to: string, channel: ChannelKind): ChannelCapabilities | undefined {
    return this.routes ? capabilitiesOf(name, to)[channel] : undefined;
  }

  /** Whether the provider can list what it accepted (the "was it created?" check). */
  listsSends(name: ProviderName, to: string, channel: ChannelKind): boolean {
    return capabilitiesOf(name, to)[channel]?.listsSends ?? true;
  }

  /** The provider an attempt is with (attempts recorded before routing: their route's first). */
  providerOf(a: { provider: string | null; to_number: string; channel: ChannelKind }): ProviderName {
    return (a.provider as ProviderName | null) ?? this.chain(a.to_number, a.channel)[0];
  }

  channels(name: ProviderName): ProviderChannels {
    const p = this.byName.get(name);
    if (!p) throw new Error(`provider ${name} is not configured`);
    return p;
  }

  isOpen(name: ProviderName): boolean {
    return this.breakers.get(name)?.state === CircuitState.Open;
  }

  /**
   * One API request through the provider's circuit breaker. An open circuit refuses it
   * (ProviderUnavailable) when the send has somewhere else to go (`elsewhere`); otherwise the
   * request is made anyway, outside the breaker: with no other provider, holding the send back would
   * only delay the warning (the gate's retries and the reconciler still apply).
   */
  async call<T>(name: ProviderName, request: () => Promise<T>, elsewhere = true): Promise<T> {
    try {
      return await this.breakers.get(name)!.execute(request);
    } catch (e) {
      if (!(e instanceof BrokenCircuitError)) throw e;
      if (!elsewhere) return request();
      throw new ProviderUnavailable(name);
    }
  }
}
