import {
  BadRequestException,
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
} from '@nestjs/common';
import type { Request } from 'express';
import { validateRequest } from 'twilio/lib/webhooks/webhooks';
import { z } from 'zod';
import { AppConfig } from '../../config/config';
import { CONFIG } from '../../infra/tokens';
import { PROVIDER_WEBHOOK_SINK, ProviderWebhookSink } from '../provider';
import { TWILIO_PERSONAL_FIELDS } from './twilio-inbound';

/** Twilio posts flat forms of text fields; anything else (JSON objects, repeated fields) is not Twilio. */
const TWILIO_FORM = z.record(z.string(), z.string());

/**
 * X-Twilio-Signature on every Twilio webhook, checked with the SDK's validator against the public
 * URL Twilio called (PUBLIC_BASE_URL + path and query). A bad or missing one gets 403 and is recorded.
 */
@Injectable()
export class TwilioSignatureGuard implements CanActivate {
  constructor(
    @Inject(CONFIG) private readonly cfg: AppConfig,
    @Inject(PROVIDER_WEBHOOK_SINK) private readonly sink: ProviderWebhookSink,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<Request>();
    const signature = req.header('x-twilio-signature');
    const url = `${(this.cfg.PUBLIC_BASE_URL ?? '').replace(/\/+$/, '')}${req.originalUrl}`;
    const form = TWILIO_FORM.safeParse(req.body ?? {});
    if (!form.success) {
      await this.sink.webhookRefused({
        path: req.path,
        reason: 'not a form of text fields',
        personalFields: TWILIO_PERSONAL_FIELDS,
        remoteAddr: req.ip,
        signature,
        params:
          typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {},
      });
      throw new BadRequestException('a Twilio webhook is a form of text fields');
    }
    const params = form.data;
    const ok =
      !!signature &&
      !!this.cfg.TWILIO_AUTH_TOKEN &&
      validateRequest(this.cfg.TWILIO_AUTH_TOKEN, signature, url, params);
    if (ok) return true;
    await this.sink.webhookRefused({
      path: req.path,
      reason: signature ? 'signature does not match' : 'no X-Twilio-Signature header',
      personalFields: TWILIO_PERSONAL_FIELDS,
      remoteAddr: req.ip,
      signature,
      // Kept as a bounded excerpt without From/To/Body (personal data): see libs/notify/rejected-webhook.ts.
      params,
    });
    throw new ForbiddenException('invalid Twilio signature');
  }
}
