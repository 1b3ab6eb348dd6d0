import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/** Deeper than any body the project accepts (a warning with polygons is about 6 levels). */
export const MAX_BODY_DEPTH = 32;

/** How deeply objects and arrays nest in a parsed body, counted without recursion; stops past `limit`. */
export function nestingDepth(value: unknown, limit = MAX_BODY_DEPTH): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    const here = depth + 1;
    if (here > deepest) deepest = here;
    if (deepest > limit) return deepest;
    for (const child of Object.values(v)) stack.push([child, here]);
  }
  return deepest;
}

/**
 * Refuses a body nested deeper than MAX_BODY_DEPTH with 400 before any guard or handler sees it:
 * validators, signature checks and serialisers recurse, and 5,000 levels ended in a 500.
 */
@Injectable()
export class BodyDepthMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): void {
    const body: unknown = req.body;
    if (typeof body === 'object' && body !== null && !Buffer.isBuffer(body)) {
      const depth = nestingDepth(body);
      if (depth > MAX_BODY_DEPTH) {
        res.status(400).json({
          statusCode: 400,
          message: 'body nested too deeply',
          reason: `objects and arrays nest more than ${MAX_BODY_DEPTH} levels deep`,
        });
        return;
      }
    }
    next();
  }
}
