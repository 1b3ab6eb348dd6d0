import { Body, Controller, HttpCode, HttpException, Param, Post, Put, Res } from '@nestjs/common';
import type { Response } from 'express';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { IntakeService, OfficerResult } from './intake.service';
import type { FieldError } from './warning-request';
import {
  CancelWarningDto,
  IssueWarningDto,
  UpdateWarningDto,
  ValidationErrorDto,
} from './warning-request.dto';
import { Roles } from '../common/role.guard';

/**
 * The duty officer's warning API. Each accepted request is published to its hazard topic (through
 * the outbox, key = warning id); the call-out context takes it from there. Duty officers only (a
 * signed role token, `npm run token`); upstream machine feeds use the Kafka topics instead.
 */
@ApiTags('warnings')
@Controller('api/warnings')
@Roles('duty-officer')
export class WarningsController {
  constructor(private readonly intake: IntakeService) {}

  @Post()
  @HttpCode(202)
  @ApiBody({ type: IssueWarningDto })
  @ApiAcceptedResponse({
    description: 'Recorded and queued for its hazard topic; returns the canonical warning.',
  })
  @ApiOkResponse({ description: 'The same request again (same id and body): nothing new is queued.' })
  @ApiBadRequestResponse({ type: ValidationErrorDto })
  @ApiConflictResponse({
    type: ValidationErrorDto,
    description: 'The id names a warning received before with other content; send an Update or Cancel.',
  })
  async issue(@Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    return reply(await this.intake.issue(body), res);
  }

  @Put(':id')
  @HttpCode(202)
  @ApiBody({
    type: UpdateWarningDto,
    description: 'Fields not given are kept from the warning being updated.',
  })
  @ApiAcceptedResponse({ description: 'An Update message referencing :id was queued.' })
  @ApiBadRequestResponse({ type: ValidationErrorDto })
  async update(@Param('id') id: string, @Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    return reply(await this.intake.update(id, body), res);
  }

  @Post(':id/cancel')
  @HttpCode(202)
  @ApiBody({ type: CancelWarningDto, required: false })
  @ApiAcceptedResponse({ description: 'A Cancel (解除) message referencing :id was queued.' })
  @ApiBadRequestResponse({ type: ValidationErrorDto })
  @ApiNotFoundResponse({ description: 'Intake never received :id.' })
  async cancel(@Param('id') id: string, @Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    return reply(await this.intake.cancel(id, body), res);
  }
}

/** A refusal with field-level errors, as every warning endpoint answers it. */
export function fieldErrors(status: number, message: string, errors: FieldError[]): HttpException {
  return new HttpException({ statusCode: status, message, errors }, status);
}

const FAILURE: Record<400 | 404 | 409, string> = {
  400: 'invalid warning',
  404: 'unknown warning',
  409: 'warning id already used',
};

function reply(r: OfficerResult, res: Response) {
  if (!r.ok) throw fieldErrors(r.status, FAILURE[r.status], r.errors);
  if (r.duplicate) {
    res.status(200);
    return { id: r.warning.id, warning: r.warning, unmappedAreas: r.unmappedAreas, duplicate: true };
  }
  return { id: r.warning.id, warning: r.warning, unmappedAreas: r.unmappedAreas };
}
