import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Tencent Cloud API 3.0 request signing (TC3-HMAC-SHA256), checked the way the API checks it: the
 * simulator recomputes the signature of every request from the canonical request the SDK signed.
 */
export type Tc3Failure =
  | 'AuthFailure.InvalidAuthorization'
  | 'AuthFailure.SecretIdNotFound'
  | 'AuthFailure.SignatureExpire'
  | 'AuthFailure.SignatureFailure';

export interface Tc3Request {
  method: string;
  path: string;
  query: string;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  body: string;
}

const AUTHORIZATION =
  /^TC3-HMAC-SHA256 Credential=([^/\s]+)\/(\d{4}-\d{2}-\d{2})\/([^/\s]+)\/tc3_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

/** The API refuses a timestamp more than five minutes away from its own clock. */
export const TC3_MAX_SKEW_SECONDS = 300;

const sha256Hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const hmac = (key: Buffer | string, s: string) => createHmac('sha256', key).update(s, 'utf8').digest();

/** The signature of a canonical request (the same steps as the SDK's Sign.sign3). */
export function tc3Signature(
  secretKey: string,
  req: Tc3Request,
  signedHeaders: string[],
  timestamp: number,
  service: string,
): string {
  const date = new Date(timestamp * 1000).toISOString().slice(0, 10);
  const canonicalHeaders = signedHeaders
    .map((h) => `${h}:${h === 'host' ? hostname(req.headers.host ?? '') : (req.headers[h] ?? '').trim()}\n`)
    .join('');
  const canonicalRequest = [
    req.method,
    req.path,
    req.query,
    canonicalHeaders,
    signedHeaders.join(';'),
    sha256Hex(req.body),
  ].join('\n');
  const stringToSign = [
    'TC3-HMAC-SHA256',
    timestamp,
    `${date}/${service}/tc3_request`,
    sha256Hex(canonicalRequest),
  ].join('\n');
  const signingKey = hmac(hmac(hmac('TC3' + secretKey, date), service), 'tc3_request');
  return createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
}

/** The host name without its port: what the SDK puts into the canonical headers. */
const hostname = (host: string) => host.replace(/:\d+$/, '');

/**
 * Checks a request's TC3 signature against the account's secret. The service in the credential
 * scope must be the first label of the host, as the SDK derives it from the endpoint.
 */
export function verifyTc3(
  req: Tc3Request,
  secrets: (secretId: string) => string | undefined,
  nowSeconds: number,
): { ok: true; secretId: string } | { ok: false; code: Tc3Failure; message: string } {
  const m = AUTHORIZATION.exec(req.headers.authorization ?? '');
  if (!m) return { ok: false, code: 'AuthFailure.InvalidAuthorization', message: 'Authorization is invalid' };
  const [, secretId, date, service, signed, signature] = m;
  const secretKey = secrets(secretId);
  if (secretKey === undefined)
    return { ok: false, code: 'AuthFailure.SecretIdNotFound', message: `SecretId ${secretId} not found` };
  const timestamp = Number(req.headers['x-tc-timestamp']);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > TC3_MAX_SKEW_SECONDS)
    return {
      ok: false,
      code: 'AuthFailure.SignatureExpire',
      message: `Signature expired: X-TC-Timestamp ${req.headers['x-tc-timestamp']} is more than ${TC3_MAX_SKEW_SECONDS} s from the server time ${nowSeconds}`,
    };
  const headers = signed.split(';');
  const scopeOk =
    date === new Date(timestamp * 1000).toISOString().slice(0, 10) &&
    service === hostname(req.headers.host ?? '').split('.')[0] &&
    headers.includes('host') &&
    headers.includes('content-type');
  const expected = tc3Signature(secretKey, req, headers, timestamp, service);
  if (!scopeOk || !timingSafeEqual(Buffer.from(expected), Buffer.from(signature)))
    return {
      ok: false,
      code: 'AuthFailure.SignatureFailure',
      message: 'The provided credentials could not be validated. Please check your signature is correct.',
    };
  return { ok: true, secretId };
}
