import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  Post,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RoleClaims } from '../common/auth';
import { Caller, Roles } from '../common/role.guard';
import { VerificationService } from './verification.service';

/** The directory admin's yearly roster verification campaign: its window and campaigns, and starting one. */
@ApiTags('drills')
@Controller('api/drills/verification')
@Roles('directory-admin')
export class VerificationController {
  constructor(private readonly verification: VerificationService) {}

  @Get()
  overview() {
    return this.verification.overview();
  }

  /** Body: `{ "areaCodes": [12-digit codes] }` (optional: VERIFY_AREAS, else INTAKE_HOME_AREA). */
  @Post()
  @HttpCode(201)
  async start(@Body() body: unknown, @Caller() caller: RoleClaims) {
    const r = await this.verification.start(body, caller.actor);
    if (r.ok) return { ...r.campaign, repeat: r.repeat };
    const error = { statusCode: r.status, message: 'verification campaign not started', errors: r.errors };
    throw r.status === 409 ? new ConflictException(error) : new BadRequestException(error);
  }
}
