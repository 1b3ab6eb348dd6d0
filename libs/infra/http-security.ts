import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import { fromRoot } from '../common/project-root';

/**
 * CSP hashes of the inline <style> blocks of the shared page partials (the acknowledgement pages a
 * person opens from an SMS carry their few rules inline, so they render from one response). Read
 * from the templates, so an edited style stays allowed and nothing else inline is.
 */
export function inlineStyleHashes(dir = fromRoot('templates', 'partials')): string[] {
  const hashes: string[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.hbs'))) {
    const text = readFileSync(`${dir}/${f}`, 'utf8');
    for (const m of text.matchAll(/<style>([\s\S]*?)<\/style>/g))
      hashes.push(`'sha256-${createHash('sha256').update(m[1], 'utf8').digest('base64')}'`);
  }
  return hashes;
}

/**
 * helmet on every HTTP service: a strict Content-Security-Policy (scripts and styles from the app
 * itself; no framing, no plugins, forms post only to the app), X-Frame-Options DENY, nosniff, no
 * Referer to other sites, no X-Powered-By. The OpenAPI page (/docs) also needs the inline styles
 * Swagger UI writes, and nothing more.
 */
export function securityHeaders(): RequestHandler {
  const directives = {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", ...inlineStyleHashes()],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    upgradeInsecureRequests: null,
  };
  const strict = helmet({
    contentSecurityPolicy: { useDefaults: false, directives },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'same-origin' },
    // Plain HTTP on loopback in the demo: HSTS belongs to the TLS proxy in front of a deployment.
    strictTransportSecurity: false,
  });
  const docs = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { ...directives, styleSrc: ["'self'", "'unsafe-inline'"] },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: false,
  });
  return (req: Request, res: Response, next: NextFunction) =>
    (req.path === '/docs' || req.path.startsWith('/docs/') ? docs : strict)(req, res, next);
}
