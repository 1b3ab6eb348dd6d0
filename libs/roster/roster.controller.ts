import {
  BadRequestException,
  Controller,
  Get,
  Header,
  NotFoundException,
  Param,
  Query,
  Res,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Roles } from '../common/role.guard';
import { safeCsv } from '../common/safe-csv';
import { CSV_BOM, renderPrintable } from '../reports/printable';
import { beijingTime } from '../audit/audit-report';
import { CampaignAnswers, NumbersToCheck, RosterService } from './roster.service';

const AREA = /^\d{12}$/;
const WARNING_ID = /^[\w.:+-]{1,200}$/;

/** The directory admin's "numbers to check" list: JSON, CSV (one row per person) or printable HTML. */
@ApiTags('roster')
@Controller('api/roster')
@Roles('directory-admin')
export class RosterController {
  constructor(private readonly roster: RosterService) {}

  @Get('numbers-to-check')
  @Header('cache-control', 'no-store')
  async numbersToCheck(
    @Res({ passthrough: true }) res: Response,
    @Query('area') area?: string,
    @Query('format') format = 'json',
  ) {
    if (area && !AREA.test(area)) throw new BadRequestException('area must be a 12-digit division code');
    checkFormat(format);
    const list = await this.roster.numbersToCheck(area || null);
    return inFormat(res, format, 'numbers-to-check', list, () => numbersToCheckCsv(list));
  }

  /** A verification campaign's (or drill's) persons who have not confirmed, per township. */
  @Get('verification/:warningId')
  @Header('cache-control', 'no-store')
  async nonResponders(
    @Res({ passthrough: true }) res: Response,
    @Param('warningId') warningId: string,
    @Query('format') format = 'json',
  ) {
    if (!WARNING_ID.test(warningId)) throw new BadRequestException('warningId is not a warning id');
    checkFormat(format);
    const answers = await this.roster.nonResponders(warningId);
    if (!answers) throw new NotFoundException(`nobody has been called for ${warningId}`);
    const page = { ...answers, notConfirmed: answers.called - answers.confirmed };
    return inFormat(res, format, 'verification-non-responders', page, () => nonRespondersCsv(answers));
  }
}

/**
 * The person columns both township lists start with: the township, who, their number, their role
 * (under `roleKey`: the role's name or its code) and area; each list's own columns follow.
 */
const personColumns = (roleKey: string) => [
  { key: 'township', header: '乡镇' },
  { key: 'personId', header: '责任人编号' },
  { key: 'name', header: '责任人' },
  { key: 'phone', header: '号码' },
  { key: roleKey, header: '职责' },
  { key: 'areaName', header: '区划' },
];

export function nonRespondersCsv(answers: CampaignAnswers): string {
  const rows = answers.townships.flatMap((t) =>
    t.persons.map((p) => ({
      township: `${t.townshipName}（${t.townshipCode}）`,
      ...p,
      calledAt: beijingTime(p.calledAt),
    })),
  );
  return (
    CSV_BOM +
    safeCsv(rows, {
      header: true,
      columns: [
        ...personColumns('roleName'),
        { key: 'calledAt', header: '呼叫时间' },
        { key: 'state', header: '状态' },
      ],
    })
  );
}

function checkFormat(format: string): void {
  if (!['json', 'csv', 'html'].includes(format))
    throw new BadRequestException('format must be json, csv or html');
}

/** JSON as it is, the printable page `name` (libs/reports/templates), or a CSV download `name`.csv. */
function inFormat<T extends object>(
  res: Response,
  format: string,
  name: string,
  value: T,
  csv: () => string,
) {
  if (format === 'html') {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    return renderPrintable(name, value);
  }
  if (format === 'csv') {
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    res.setHeader('content-disposition', `attachment; filename="${name}.csv"`);
    return csv();
  }
  return value;
}

export function numbersToCheckCsv(list: NumbersToCheck): string {
  const rows = list.townships.flatMap((t) =>
    t.persons.map((p) => ({
      township: `${t.townshipName}（${t.townshipCode}）`,
      ...p,
      since: beijingTime(p.since),
      lastAt: beijingTime(p.lastAt),
      evidence: p.evidence
        .map((e) => `${beijingTime(e.at)} ${e.drill ? '【演练】' : ''}${e.detail}`)
        .join('；'),
    })),
  );
  return (
    CSV_BOM +
    safeCsv(rows, {
      header: true,
      columns: [
        ...personColumns('role'),
        { key: 'healthZh', header: '问题' },
        { key: 'since', header: '首次发现' },
        { key: 'lastAt', header: '最近一次' },
        { key: 'evidence', header: '依据' },
      ],
    })
  );
}
