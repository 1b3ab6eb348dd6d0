import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Post,
  Req,
  Res,
  UploadedFile,
  UseFilters,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { randomUUID } from 'node:crypto';
import { Db } from '../db/db';
import { DB } from '../infra/tokens';
import { Inject } from '@nestjs/common';
import { backendUserOf, ConsoleBackends } from './console-backends';
import {
  assertMultipartCsrf,
  ConsoleAuthGuard,
  ConsoleRequest,
  CsrfInMultipartBody,
  Page,
  Permit,
} from './console-auth.guard';
import { ConsoleExceptionFilter } from './console-exception.filter';
import { ConsoleRepository } from './console.repository';
import { ConsoleViews, PageContext } from './console-views';

const MAX_UPLOAD = 64 * 1024 * 1024;

interface ImportReport {
  total: number;
  imported: number;
  rejected: number;
  errors: { line: number; id: string | null; reason: string }[];
  applied: boolean;
  dryRun: boolean;
}

/**
 * Directory admin: upload a roster, see its row errors from a dry run, then apply the very same
 * bytes (kept in console.uploads for the session); the directory health report.
 */
@ApiExcludeController()
@Controller('console/directory')
@UseGuards(ConsoleAuthGuard)
@UseFilters(ConsoleExceptionFilter)
export class DirectoryAdminController {
  private readonly repo: ConsoleRepository;

  constructor(
    private readonly views: ConsoleViews,
    private readonly backends: ConsoleBackends,
    @Inject(DB) db: Db,
  ) {
    this.repo = new ConsoleRepository(db);
  }

  @Get()
  @Permit('directory')
  async page(@Page() page: PageContext) {
    return this.views.page('directory', page, {
      health: await this.health(page),
      numbersToCheck: await this.numbersToCheck(page),
    });
  }

  /** The roster's numbers to check, printable or CSV, passed through from the tracker's API. */
  @Get('numbers-to-check')
  @Permit('directory')
  async numbersToCheckFile(@Page() page: PageContext, @Req() req: ConsoleRequest, @Res() res: Response) {
    const format = req.query.format === 'csv' ? 'csv' : 'html';
    const upstream = await this.backends.fetch('tracker', `/api/roster/numbers-to-check?format=${format}`, {
      headers: { authorization: `Bearer ${this.backends.tokenFor(backendUserOf(page.session!))}` },
    });
    res.status(upstream.status);
    for (const h of ['content-type', 'content-disposition']) {
      const v = upstream.headers.get(h);
      if (v) res.setHeader(h, v);
    }
    res.send(Buffer.from(await upstream.arrayBuffer()));
  }

  /** Multipart upload: the form's CSRF field is checked here, once the body is parsed. */
  @Post('upload')
  @Permit('directory')
  @CsrfInMultipartBody()
  @UseInterceptors(FileInterceptor('file', { limits: { fileSize: MAX_UPLOAD } }))
  async upload(
    @Page() page: PageContext,
    @Req() req: ConsoleRequest,
    @UploadedFile() file: { originalname: string; buffer: Buffer; mimetype: string } | undefined,
    @Body() body: { partial?: string },
    @Res() res: Response,
  ) {
    assertMultipartCsrf(req);
    if (!file)
      return res
        .status(400)
        .type('html')
        .send(this.views.page('error', page, { status: 400, message: 'no file' }));
    const id = randomUUID();
    await this.repo.saveUpload(id, req.consoleSession!.id, file.originalname, file.buffer);
    const report = await this.import(page, file.buffer, file.originalname, {
      dryRun: true,
      partial: !!body?.partial,
    });
    res.type('html').send(
      this.views.page('directory', page, {
        health: await this.health(page),
        report,
        uploadId: id,
        filename: file.originalname,
        partial: !!body?.partial,
      }),
    );
  }

  @Post('apply')
  @Permit('directory')
  async apply(
    @Page() page: PageContext,
    @Req() req: ConsoleRequest,
    @Body() body: { uploadId?: string; partial?: string },
    @Res() res: Response,
  ) {
    const upload = await this.repo.upload(String(body?.uploadId ?? ''), req.consoleSession!.id);
    if (!upload)
      return res
        .status(404)
        .type('html')
        .send(this.views.page('error', page, { status: 404, message: 'upload not found' }));
    const report = await this.import(page, upload.content, upload.filename, {
      dryRun: false,
      partial: !!body?.partial,
    });
    res
      .status(report.applied ? 200 : 422)
      .type('html')
      .send(
        this.views.page('directory', page, {
          health: await this.health(page),
          report,
          filename: upload.filename,
          appliedNow: true,
        }),
      );
  }

  private async import(
    page: PageContext,
    content: Buffer,
    filename: string,
    o: { dryRun: boolean; partial: boolean },
  ) {
    const q = `?dryRun=${o.dryRun}&partial=${o.partial}`;
    const json = /\.json$/i.test(filename);
    const r = await this.backends.call<ImportReport>('directory', `/api/directory/import${q}`, {
      method: 'POST',
      body: content,
      contentType: json ? 'application/octet-stream' : 'text/csv',
      as: backendUserOf(page.session!),
    });
    // An unreadable file (no text in any encoding the import reads) has no row report to show.
    if (r.status === 400) {
      const why = r.body as unknown as { reason?: string; message?: string };
      throw new BadRequestException(why.reason ?? why.message ?? 'unreadable file');
    }
    return r.body;
  }

  /** The list shown on the page; a tracker that cannot answer leaves the rest of the page working. */
  private async numbersToCheck(page: PageContext) {
    const r = await this.backends
      .call('tracker', '/api/roster/numbers-to-check', { as: backendUserOf(page.session!) })
      .catch(() => undefined);
    return r?.ok ? r.body : undefined;
  }

  private async health(page: PageContext) {
    return (
      await this.backends.call('directory', '/api/directory/health', { as: backendUserOf(page.session!) })
    ).body;
  }
}
