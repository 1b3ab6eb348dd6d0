import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Roles } from '../common/role.guard';
import { UndecodableFileError } from './directory-format';
import { DirectoryService } from './directory.service';

const MAX_UPLOAD = 64 * 1024 * 1024;

/** Reads a body that no parser took (text/csv, GBK bytes): the raw bytes, so that encoding detection works. */
async function rawBody(req: Request): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_UPLOAD) throw new BadRequestException(`body larger than ${MAX_UPLOAD} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

const flag = (v: string | undefined) => v === 'true' || v === '1';

/**
 * Directory admin API. Thin: DirectoryService does the work. Import, export (whole phone numbers) and
 * the health report (names of persons with stale contacts) are for directory admins only. The
 * division tree holds no personal data but is still behind a role: directory admins, and duty
 * officers, whose warning form picks areas from it.
 */
@ApiTags('directory')
@Controller('api/directory')
@Roles('directory-admin')
export class DirectoryController {
  constructor(private readonly directory: DirectoryService) {}

  /** CSV (UTF-8, GBK or UTF-16 with BOM) or JSON roster; 400 when the bytes are no such text. 422 with the row report when rows are bad and nothing was applied. */
  @Post('import')
  @HttpCode(200)
  async import(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Body() body: unknown,
    @Query('partial') partial?: string,
    @Query('dryRun') dryRun?: string,
  ) {
    const type = req.headers['content-type'] ?? '';
    const parsed =
      body !== undefined && body !== null && typeof body === 'object' && Object.keys(body).length > 0;
    const input = parsed ? JSON.stringify(body) : typeof body === 'string' ? body : await rawBody(req);
    const report = await this.directory
      .import(input, { partial: flag(partial), dryRun: flag(dryRun), format: parsed ? 'json' : type })
      .catch((e: unknown) => {
        if (e instanceof UndecodableFileError)
          throw new BadRequestException({ statusCode: 400, message: 'unreadable file', reason: e.message });
        throw e;
      });
    if (!report.applied && !report.dryRun) res.status(422);
    return report;
  }

  @Get('export')
  async export(@Res({ passthrough: true }) res: Response, @Query('format') format = 'json') {
    if (format !== 'csv' && format !== 'json') throw new BadRequestException('format must be csv or json');
    res.setHeader(
      'content-type',
      format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
    );
    res.setHeader('content-disposition', `attachment; filename="directory.${format}"`);
    return this.directory.export(format);
  }

  @Get('health')
  @Header('cache-control', 'no-store')
  health() {
    return this.directory.health(new Date());
  }

  @Get('divisions')
  @Roles('directory-admin', 'duty-officer')
  divisions(@Query('parent') parent?: string) {
    return this.directory.divisions(parent || null);
  }
}
