import {
  BadRequestException,
  ConflictException,
  Controller,
  HttpStatus,
  Inject,
  Injectable,
  NestMiddleware,
  Post,
  Req,
  Res,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { raw } from 'express';
import { MAX_CAP_BYTES } from './cap/safe-xml';
import { IntakeService } from './intake.service';
import { lifetimePolicyOf } from '../common/auth';
import { checkBearer, keysOfConfig, Roles } from '../common/role.guard';
import { AppConfig } from '../config/config';
import { CONFIG } from '../infra/tokens';

export const CAP_CONTENT_TYPES = ['application/cap+xml', 'text/xml', 'application/xml'];

/**
 * Reads a CAP body as raw bytes (the parser honours the declared encoding itself) up to 1 MiB;
 * beyond that the request is refused with 413 and the refusal recorded. A request without a valid
 * duty-officer token is not read at all: the role guard refuses it next, and strangers get no record.
 */
@Injectable()
export class CapBodyMiddleware implements NestMiddleware {
  private readonly parse = raw({ type: CAP_CONTENT_TYPES, limit: MAX_CAP_BYTES });

  constructor(
    private readonly intake: IntakeService,
    @Inject(CONFIG) private readonly cfg: AppConfig,
  ) {}

  use(req: Request, res: Response, next: NextFunction): void {
    if (
      !checkBearer(
        req.headers.authorization,
        keysOfConfig(this.cfg),
        ['duty-officer'],
        new Date(),
        lifetimePolicyOf(this.cfg),
      ).ok
    )
      return next();
    this.parse(req, res, (err?: unknown) => {
      const e = err as { type?: string; status?: number; length?: number; message?: string } | undefined;
      if (!e) return next();
      if (e.type === 'entity.too.large') {
        const reason = `body of ${e.length ?? 'more than ' + MAX_CAP_BYTES} bytes exceeds the CAP limit of ${MAX_CAP_BYTES} bytes (1 MiB)`;
        void this.intake
          .recordRefused('cap-http', [reason])
          .catch(() => undefined)
          .finally(() =>
            res.status(413).json({ statusCode: 413, message: 'CAP message too large', reasons: [reason] }),
          );
        return;
      }
      res
        .status(e.status ?? 400)
        .json({ statusCode: e.status ?? 400, message: e.message ?? 'unreadable body' });
    });
  }
}

/**
 * CAP 1.2 / 1.1 over HTTP: parsed, converted and published like a message on warnings.cap. A duty
 * officer's API (role token); machine feeds publish to warnings.cap instead.
 */
@ApiTags('cap')
@Controller('api/cap')
@Roles('duty-officer')
export class CapController {
  constructor(private readonly intake: IntakeService) {}

  @Post()
  @ApiConsumes(...CAP_CONTENT_TYPES)
  @ApiBody({
    schema: { type: 'string', format: 'binary' },
    description: 'A CAP 1.2 or 1.1 <alert>, at most 1 MiB.',
  })
  @ApiResponse({
    status: 202,
    description:
      'Converted and queued for its hazard topic (outcome published), or held because no area maps to a known division (outcome held: the duty officer maps it, GET /api/warnings/held).',
  })
  @ApiResponse({
    status: 200,
    description: 'Valid but recorded only (status Test/Draft/System, msgType Ack/Error).',
  })
  @ApiResponse({ status: 400, description: 'Rejected; `reasons` says why. The rejection is recorded.' })
  @ApiResponse({
    status: 409,
    description:
      'The identifier was received before with other content (a redelivery of the same bytes is 200 duplicate); recorded.',
  })
  @ApiResponse({ status: 413, description: 'Larger than 1 MiB.' })
  @ApiResponse({ status: 415, description: 'Not a CAP content type.' })
  async receive(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    if (!Buffer.isBuffer(req.body))
      throw new UnsupportedMediaTypeException(`send CAP XML as ${CAP_CONTENT_TYPES.join(', ')}`);
    const r = await this.intake.acceptCap(req.body, 'cap-http');
    switch (r.kind) {
      case 'rejected':
        throw new BadRequestException({
          statusCode: 400,
          message: 'CAP message rejected',
          reasons: r.reasons,
        });
      case 'conflict':
        throw new ConflictException({
          statusCode: 409,
          message: 'CAP message refused: its identifier names another message',
          reasons: r.reasons,
        });
      case 'record-only':
        res.status(HttpStatus.OK);
        return { outcome: 'record-only', id: r.identifier, reason: r.reason, warning: r.warning };
      case 'held':
        // Accepted, not dispatched yet: held until the duty officer names its divisions.
        res.status(HttpStatus.ACCEPTED);
        return { outcome: 'held', id: r.warning.id, warning: r.warning, unmappedAreas: r.unmappedAreas };
      case 'published':
        res.status(HttpStatus.ACCEPTED);
        return { outcome: 'published', id: r.warning.id, warning: r.warning, unmappedAreas: r.unmappedAreas };
      default:
        res.status(HttpStatus.OK);
        return { outcome: 'duplicate' };
    }
  }
}
