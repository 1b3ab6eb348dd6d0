import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Roles } from '../../common/role.guard';
import { validBody } from '../../common/valid-body';
import { AppConfig } from '../../config/config';
import { CONFIG } from '../../infra/tokens';
import { planFromConfig } from './provider-plan';

const planRequest = z.object({
  sms: z.number().int().min(0).max(1_000_000),
  voice: z.number().int().min(0).max(1_000_000),
});

/** The capacity planner as a dry run: nothing is sent. */
@ApiTags('notify')
@Controller('api/notify')
@Roles('duty-officer')
export class CapacityPlanController {
  constructor(@Inject(CONFIG) private readonly cfg: AppConfig) {}

  @Post('capacity-plan')
  @HttpCode(200)
  @ApiOkResponse({
    description:
      'For {sms, voice} first-round sends: when the last call rings and everyone has heard, against the practice targets, and what would meet them.',
  })
  plan(@Body() body: unknown) {
    return planFromConfig(this.cfg, validBody(planRequest, body));
  }
}
