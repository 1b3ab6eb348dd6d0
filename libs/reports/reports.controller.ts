import { BadRequestException, Controller, Get, Param, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AuditService } from '../audit/audit.service';
import { AuditorActor, AuditorGuard } from '../audit/auditor.guard';
import { afterActionCsv, afterActionHtml, monthlyReportCsv, monthlyReportHtml } from './report-render';
import { ReportsService } from './reports.service';

type Format = 'json' | 'csv' | 'html';
const FORMATS: Format[] = ['json', 'csv', 'html'];
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

function formatOf(format: string | undefined): Format {
  const f = (format ?? 'html') as Format;
  if (!FORMATS.includes(f)) throw new BadRequestException('format must be html, csv or json');
  return f;
}

/** Sends a report in the format asked for: printable HTML, CSV (a download) or JSON. */
export function sendReport<T>(
  res: Response,
  format: Format,
  report: T,
  as: { html: (r: T) => string; csv: (r: T) => string; filename: string },
): T | string {
  if (format === 'json') return report;
  if (format === 'html') {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    return as.html(report);
  }
  res.setHeader('content-type', 'text/csv; charset=utf-8');
  res.setHeader('content-disposition', `attachment; filename="${as.filename}.csv"`);
  return as.csv(report);
}

/**
 * The upward reports for auditors (and the duty office's reporting through them). They name persons,
 * so every read is recorded in the access chain first, as the audit's own views are.
 */
@ApiTags('reports')
@Controller('api/reports')
@UseGuards(AuditorGuard)
@ApiBearerAuth()
export class ReportsController {
  constructor(
    private readonly reports: ReportsService,
    private readonly audit: AuditService,
  ) {}

  @Get('monthly')
  async monthly(
    @AuditorActor() actor: string,
    @Res({ passthrough: true }) res: Response,
    @Query('month') month?: string,
    @Query('format') format?: string,
  ) {
    if (!month || !MONTH.test(month)) throw new BadRequestException('month must be YYYY-MM');
    const f = formatOf(format);
    await this.audit.recordAccess(actor, `report.monthly:${f}`, undefined, { month });
    return sendReport(res, f, await this.reports.monthly(month, actor), {
      html: monthlyReportHtml,
      csv: monthlyReportCsv,
      filename: `jiaoying-${month}`,
    });
  }

  /** A drill's after-action report; a real warning is refused (drills are never counted with them). */
  @Get('drills/:id')
  async afterAction(
    @Param('id') id: string,
    @AuditorActor() actor: string,
    @Res({ passthrough: true }) res: Response,
    @Query('format') format?: string,
  ) {
    const f = formatOf(format);
    await this.audit.recordAccess(actor, `report.after-action:${f}`, id);
    return sendReport(res, f, await this.reports.afterAction(id, actor), {
      html: afterActionHtml,
      csv: afterActionCsv,
      filename: `drill-${encodeURIComponent(id)}`,
    });
  }
}
