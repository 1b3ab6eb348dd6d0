import { Controller, Get, Header, Param, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Response } from 'express';
import { calloutsCsv, timelineCsv } from './audit-report';
import { AuditService } from './audit.service';
import { AuditorActor, AuditorGuard } from './auditor.guard';

/** The auditor's read-only API. Every read of personal data is recorded in the 'access' chain first. */
@ApiTags('audit')
@Controller('api/audit')
@UseGuards(AuditorGuard)
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'No bearer token, or a forged, expired or revoked one.' })
@ApiForbiddenResponse({ description: 'A role other than auditor.' })
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get('warnings')
  warnings() {
    return this.audit.warnings();
  }

  @Get('verify')
  async verify(@Query('warningId') warningId?: string) {
    const chains = await this.audit.verify(warningId || undefined);
    return { ok: chains.every((c) => c.ok), chains };
  }

  @Get('persons')
  async persons(@AuditorActor() actor: string) {
    await this.audit.recordAccess(actor, 'persons');
    return this.audit.persons();
  }

  @Get('areas')
  areas() {
    return this.audit.areas();
  }

  @Get('warnings/:id/timeline')
  async timeline(@Param('id') id: string, @AuditorActor() actor: string) {
    const rc = await this.audit.responseChain(id);
    await this.audit.recordAccess(actor, 'timeline', id);
    return { warning: rc.warning, summary: rc.summary, callouts: rc.callouts, timeline: rc.timeline };
  }

  @Get('warnings/:id/persons')
  async warningPersons(@Param('id') id: string, @AuditorActor() actor: string) {
    const rc = await this.audit.responseChain(id);
    await this.audit.recordAccess(actor, 'persons', id);
    return { warning: rc.warning, persons: rc.persons };
  }

  @Get('warnings/:id/areas')
  async warningAreas(@Param('id') id: string) {
    const rc = await this.audit.responseChain(id);
    return { warning: rc.warning, summary: rc.summary, counties: rc.counties, townships: rc.townships };
  }

  @Get('warnings/:id/report')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async report(@Param('id') id: string, @AuditorActor() actor: string) {
    await this.audit.responseChain(id);
    await this.audit.recordAccess(actor, 'report', id);
    return this.audit.report(id, actor);
  }

  @Get('warnings/:id/export.csv')
  async exportCsv(
    @Param('id') id: string,
    @AuditorActor() actor: string,
    @Res({ passthrough: true }) res: Response,
    @Query('view') view?: string,
  ) {
    const rc = await this.audit.responseChain(id);
    const which = view === 'callouts' ? 'callouts' : 'timeline';
    await this.audit.recordAccess(actor, `export.csv:${which}`, id);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader(
      'Content-Disposition',
      `attachment; filename="audit-${encodeURIComponent(id)}-${which}.csv"`,
    );
    return which === 'callouts' ? calloutsCsv(rc.callouts) : timelineCsv(rc);
  }

  @Get('warnings/:id/export.json')
  async exportJson(@Param('id') id: string, @AuditorActor() actor: string) {
    const rc = await this.audit.responseChain(id);
    await this.audit.recordAccess(actor, 'export.json', id);
    const [verification] = await this.audit.verify(id);
    return { ...rc, verification, exportedAt: new Date().toISOString(), exportedBy: actor };
  }
}
