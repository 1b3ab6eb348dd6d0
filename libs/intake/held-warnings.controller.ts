import { Body, Controller, Get, HttpCode, HttpException, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBadRequestResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { RoleClaims } from '../common/auth';
import { Caller, Roles } from '../common/role.guard';
import { IntakeService } from './intake.service';
import { fieldErrors } from './warnings.controller';

/**
 * Warnings held for mapping: valid warnings whose areas map to no known division (or the part of one
 * that did not). The duty officer names the divisions in one step and the warning dispatches.
 */
@ApiTags('warnings')
@Controller('api/warnings')
@Roles('duty-officer')
export class HeldWarningsController {
  constructor(private readonly intake: IntakeService) {}

  @Get('held')
  @ApiOkResponse({
    description: 'Warnings waiting for mapping, oldest first (and, with ?all=1, those mapped today).',
  })
  async held(@Query('all') all?: string) {
    return { held: await this.intake.held(all === '1' || all === 'true') };
  }

  @Post('held/:id/mapping')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'Mapped: the warning (or an Update adding the divisions) was queued.' })
  @ApiBadRequestResponse({ description: 'No division codes, or codes that are not known divisions.' })
  async map(@Param('id') id: string, @Body() body: unknown, @Caller() caller: RoleClaims) {
    const r = await this.intake.mapHeld(id, body, caller.actor);
    if (!r.ok) throw fieldErrors(r.status, r.status === 409 ? 'already mapped' : 'cannot map', r.errors);
    return { id: r.warning.id, msgType: r.warning.msgType, warning: r.warning, held: r.held };
  }

  @Post('areas/preview')
  @HttpCode(200)
  @ApiOkResponse({ description: 'The villages (with a point) inside a GeoJSON polygon.' })
  async preview(@Body() body: unknown) {
    const r = await this.intake.previewShapes((body as { geojson?: unknown } | null)?.geojson ?? body);
    if ('error' in r) throw new HttpException({ statusCode: 400, message: r.error }, 400);
    return r;
  }
}
