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
import { z } from 'zod';
import { optionalText, validBody } from '../common/valid-body';
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
const VERIFICATION_FORM_SCHEMA = z.object({ areas: optionalText(3000) });

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
    return this.views.page('directory', page, await this.sections(page));
  }

  /** The roster's numbers to check, printable or CSV, passed through from the tracker's API. */
  @Get('numbers-to-check')
  @Permit('directory')
  async numbersToCheckFile(@Page() page: PageContext, @Req() req: ConsoleRequest, @Res() res: Response) {
    const format = req.query.format === 'csv' ? 'csv' : 'html';
    await this.passThrough(page, res, `/api/roster/numbers-to-check?format=${format}`);
  }

  /** A verification campaign's non-responders, printable or CSV, passed through from the tracker. */
  @Get('verification/:warningId')
  @Permit('directory')
  async nonRespondersFile(@Page() page: PageContext, @Req() req: ConsoleRequest, @Res() res: Response) {
    const format = req.query.format === 'csv' ? 'csv' : 'html';
    const id = encodeURIComponent(String(req.params.warningId));
    await this.passThrough(page, res, `/api/roster/verification/${id}?format=${format}`);
  }

  /**
   * Starts the yearly verification campaign through intake's API (the same use case as
   * `npm run verify-roster`); its refusal (outside the window, a bad area) is shown on the page.
   */
  @Post('verification')
  @Permit('directory')
  async startVerification(@Page() page: PageContext, @Body() body: unknown, @Res() res: Response) {
    const form = validBody(VERIFICATION_FORM_SCHEMA, body);
    const areas = (form.areas ?? '').split(/[\s,，、]+/).filter(Boolean);
    const r = await this.backends.call<{ warningId?: string; repeat?: boolean; errors?: string[] }>(
      'intake',
      '/api/drills/verification',
      { method: 'POST', json: areas.length ? { areaCodes: areas } : {}, as: backendUserOf(page.session!) },
    );
    const verificationResult = r.ok
      ? { ok: true, warningId: r.body.warningId, repeat: r.body.repeat }
      : { ok: false, errors: r.body?.errors ?? [`intake answered ${r.status}`] };
    res
      .status(r.ok ? 200 : r.status === 409 ? 409 : 400)
      .type('html')
      .send(this.views.page('directory', page, { ...(await this.sections(page)), verificationResult }));
  }

  private async sections(page: PageContext) {
    return {
      health: await this.health(page),
      numbersToCheck: await this.numbersToCheck(page),
      verification: await this.verification(page),
    };
  }

  private async passThrough(page: PageContext, res: Response, path: string) {
    const upstream = await this.backends.fetch('tracker', path, {
      headers: { authorization: `Bearer ${this.backends.tokenFor(backendUserOf(page.session!))}` },
    });
    res.status(upstream.status);
    for (const h of ['content-type', 'content-disposition']) {
      const v = upstream.headers.get(h);
      if (v) res.setHeader(h, v);
    }
    res.send(Buffer.from(await upstream.arrayBuffer()));
  }

  /**
   * The campaign window (intake) and, for the latest campaigns, their non-responders per township
   * (tracker). A service that cannot answer leaves the rest of the page working.
   */
  private async verification(page: PageContext) {
    const as = backendUserOf(page.session!);
    const overview = await this.backends
      .call<{ campaigns: { warningId: string }[] }>('intake', '/api/drills/verification', { as })
      .catch(() => undefined);
    if (!overview?.ok || !Array.isArray(overview.body?.campaigns)) return undefined;
    const campaigns = await Promise.all(
      overview.body.campaigns.slice(0, 3).map(async (c) => {
        const answers = await this.backends
          .call('tracker', `/api/roster/verification/${encodeURIComponent(c.warningId)}`, { as })
          .catch(() => undefined);
        return { ...c, answers: answers?.ok ? answers.body : undefined };
      }),
    );
    return { ...overview.body, campaigns };
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
        ...(await this.sections(page)),
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
          ...(await this.sections(page)),
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
