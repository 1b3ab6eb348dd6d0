import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DEMO_SIGNING_SECRET, DEMO_TWILIO } from '../../apps/all-in-one/embedded';
import { fromRoot } from '../common/project-root';
import {
  ConfigError,
  EXIT_CONFIG,
  EXIT_WEAK_SECRET,
  loadConfig,
  SECRET_KEYS,
  SHIPPED_SECRETS,
  WeakSecretError,
} from './config';

const strong = () => randomBytes(32).toString('base64url');
const refusal = (env: Record<string, string>, required: Parameters<typeof loadConfig>[1] = []) => {
  try {
    loadConfig(env, required);
  } catch (e) {
    return e as ConfigError;
  }
  return undefined;
};

/** Every `KEY=value` / `KEY: value` / `key: 'value'` of a secret in the repository's own files. */
function shippedValues(): { where: string; value: string }[] {
  const found: { where: string; value: string }[] = [];
  const envExample = readFileSync(fromRoot('.env.example'), 'utf8');
  for (const m of envExample.matchAll(/^(\w+)=(.+)$/gm))
    if ((SECRET_KEYS as readonly string[]).includes(m[1]))
      found.push({ where: `.env.example ${m[1]}`, value: m[2] });
  const tracked = execFileSync('git', ['ls-files', '*.ts', '*.js', '*.yml', '*.md'], {
    cwd: fromRoot(),
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean);
  for (const file of tracked) {
    const text = readFileSync(fromRoot(file), 'utf8');
    for (const m of text.matchAll(
      /(?:SECRET\w*|AUTH_TOKEN|authToken|secret)['"]?\s*[:=]\s*['"]([^'"$\s]{8,})['"]/g,
    ))
      found.push({ where: file, value: m[1] });
  }
  return found;
}

describe('secrets', () => {
  it('refuses every secret value that ships in the repository, unless in demo mode', () => {
    const values = shippedValues();
    // The files do carry such values (the placeholders and demo defaults), so this checks something.
    expect(values.map((v) => v.value)).toEqual(
      expect.arrayContaining([
        DEMO_TWILIO.authToken,
        DEMO_SIGNING_SECRET,
        'change-me-to-a-long-random-secret',
      ]),
    );
    for (const { where, value } of values) {
      for (const key of SECRET_KEYS) {
        const e = refusal({
          [key]: value,
          ...(key === 'SIGNING_SECRET_PREVIOUS' ? { SIGNING_SECRET: strong() } : {}),
        });
        if (!(e instanceof WeakSecretError)) throw new Error(`${key}=${value} (from ${where}) was accepted`);
        expect(e.message).toContain(key);
      }
      expect(refusal({ DEMO: '1', SIGNING_SECRET: value, TWILIO_AUTH_TOKEN: value })).toBeUndefined();
    }
    // Values of 32 bytes or more are refused by the list, not by their length.
    for (const v of values.filter((x) => Buffer.byteLength(x.value) >= 32))
      expect(SHIPPED_SECRETS.includes(v.value) || /change-?me/i.test(v.value)).toBe(true);
  });

  it('stops with an exit code of its own, naming the variable, for a missing, short or public secret', () => {
    const missing = refusal({}, ['SIGNING_SECRET', 'TWILIO_AUTH_TOKEN']);
    expect(missing).toBeInstanceOf(WeakSecretError);
    expect(missing!.exitCode).toBe(EXIT_WEAK_SECRET);
    expect(missing!.problems).toEqual([
      'SIGNING_SECRET: required by this service but not set',
      'TWILIO_AUTH_TOKEN: required by this service but not set',
    ]);
    // Demo mode does not make a missing secret optional.
    expect(refusal({ DEMO: '1' }, ['SIGNING_SECRET'])).toBeInstanceOf(WeakSecretError);
    const short = refusal({ SIGNING_SECRET: 'x'.repeat(31) });
    expect(short!.problems).toEqual([expect.stringMatching(/^SIGNING_SECRET: must be at least 32 bytes/)]);
    const placeholder = refusal({ TWILIO_AUTH_TOKEN: 'please-change-me-0123456789abcdef0123' });
    expect(placeholder!.problems).toEqual([
      expect.stringMatching(/^TWILIO_AUTH_TOKEN: is a value that ships/),
    ]);
    // Another problem beside it: the general configuration exit code, every problem listed.
    const both = refusal({ SIGNING_SECRET: 'short' }, ['KAFKA_BROKERS']);
    expect(both!.exitCode).toBe(EXIT_CONFIG);
    expect(both!.problems).toHaveLength(2);
    expect(EXIT_WEAK_SECRET).not.toBe(EXIT_CONFIG);
  });

  it('accepts strong secrets of the operator’s own, and a previous one only beside a current one', () => {
    const cfg = loadConfig(
      {
        SIGNING_SECRET: strong(),
        SIGNING_SECRET_PREVIOUS: strong(),
        TWILIO_AUTH_TOKEN: randomBytes(16).toString('hex'),
      },
      ['SIGNING_SECRET'],
    );
    expect(cfg.DEMO).toBe(false);
    expect(cfg.HTTP_HOST).toBe('127.0.0.1');
    expect(refusal({ SIGNING_SECRET_PREVIOUS: strong() })!.problems).toEqual([
      'SIGNING_SECRET_PREVIOUS: set without SIGNING_SECRET',
    ]);
    expect(refusal({ DEMO: 'yes' })!.problems).toEqual(['DEMO: must be 1 (on) or 0 (off)']);
  });

  it('docker-compose.yml requires every secret instead of falling back to a value', () => {
    const compose = readFileSync(fromRoot('docker-compose.yml'), 'utf8');
    const lines = compose.split('\n').filter((l) => /^\s+(SIGNING_SECRET|TWILIO_AUTH_TOKEN):/.test(l));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const l of lines) expect(l).toMatch(/\$\{(SIGNING_SECRET|TWILIO_AUTH_TOKEN):\?.+\}/);
    expect(compose).not.toMatch(/\$\{(SIGNING_SECRET|TWILIO_AUTH_TOKEN):-/);
  });
});
