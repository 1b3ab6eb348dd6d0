import RequestClient from 'twilio/lib/base/RequestClient';

const TWILIO_API = /^https:\/\/api\.twilio\.com/;

/**
 * The SDK's HTTP client with its API base rewritten (TWILIO_API_BASE_URL), so the same channel code
 * talks to Twilio in production and to the project's simulator in tests and the demo. The SDK's own
 * 429 auto-retry stays off: retries are the sender's business (backoff, jitter, reconciliation).
 */
export class RebasedRequestClient extends RequestClient {
  private readonly base: string;

  constructor(baseUrl: string, opts: RequestClient.RequestClientOptions = {}) {
    super({ timeout: 15_000, ...opts, autoRetry: false });
    this.base = baseUrl.replace(/\/+$/, '');
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    return super.request({ ...opts, uri: opts.uri.replace(TWILIO_API, this.base) });
  }
}
