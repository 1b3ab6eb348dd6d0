import { ChannelKind } from '../provider';
import { MainlandRoute } from './policy-check';
import {
  ChannelCapabilities,
  ProviderCapabilities,
  ProviderName,
  TENCENT,
  TWILIO_ELSEWHERE,
  TWILIO_TO_MAINLAND,
} from './provider-capabilities';

/**
 * Which providers carry a number, in order (NOTIFY_ROUTES): `+86=tencent>twilio,*=twilio` sends
 * mainland numbers through Tencent, Twilio taking over, and every other number through Twilio. The
 * longest matching prefix wins; `*` matches any number.
 */
export interface Route {
  prefix: string;
  providers: ProviderName[];
}

const PROVIDER_NAMES: readonly ProviderName[] = ['twilio', 'tencent'];
export const DEFAULT_ROUTES = '*=twilio';

export function parseRoutes(spec: string): Route[] {
  const routes = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const m = /^(\*|\+\d{1,6})=([a-z>]+)$/.exec(entry);
      if (!m)
        throw new Error(
          `NOTIFY_ROUTES: "${entry}" is not prefix=provider[>provider…] (e.g. +86=tencent>twilio)`,
        );
      const providers = m[2].split('>') as ProviderName[];
      for (const p of providers)
        if (!PROVIDER_NAMES.includes(p))
          throw new Error(`NOTIFY_ROUTES: unknown provider "${p}" (known: ${PROVIDER_NAMES.join(', ')})`);
      return { prefix: m[1], providers };
    });
  if (!routes.some((r) => r.prefix === '*'))
    throw new Error('NOTIFY_ROUTES: needs a "*=provider" entry for other numbers');
  return routes;
}

/** The providers some route names (without NOTIFY_ROUTES: Twilio alone). */
export function routedProviders(spec: string | undefined): ProviderName[] {
  return [...new Set(parseRoutes(spec ?? DEFAULT_ROUTES).flatMap((r) => r.providers))];
}

/** The providers for a number, the first carrying it. */
export function providersFor(routes: Route[], to: string): ProviderName[] {
  const length = (r: Route) => (r.prefix === '*' ? 0 : r.prefix.length);
  const matching = routes.filter((r) => r.prefix === '*' || to.startsWith(r.prefix));
  return matching.reduce((best, r) => (length(r) > length(best) ? r : best)).providers;
}

/** A provider's capabilities for a number (Twilio differs for mainland numbers). */
export function capabilitiesOf(name: ProviderName, to: string): ProviderCapabilities {
  if (name === 'tencent') return TENCENT;
  return to.startsWith('+86') ? TWILIO_TO_MAINLAND : TWILIO_ELSEWHERE;
}

/** What the first provider for this number can do on this channel (the confirmation options follow it). */
export function carrierOf(
  routes: Route[],
  to: string,
  channel: ChannelKind,
): ChannelCapabilities | undefined {
  const first = capabilitiesOf(providersFor(routes, to)[0], to);
  return channel === 'sms' ? first.sms : first.voice;
}

/** The providers mainland numbers go through, per channel (for the start-up policy check). */
export function mainlandRoute(routes: Route[]): MainlandRoute {
  const sample = '+8613800000000';
  const providers = providersFor(routes, sample).map((n) => capabilitiesOf(n, sample));
  return { sms: providers.filter((p) => p.sms), voice: providers.filter((p) => p.voice) };
}
