import { Controller, Get, NotFoundException, Param, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { readFileSync } from 'node:fs';
import { fromRoot } from '../common/project-root';
import { ConsoleAuthGuard, Permit } from './console-auth.guard';

const TYPES: Record<string, string> = {
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
};

/** The console's two static files, read once; only names listed in the folder are served. */
@ApiExcludeController()
@Controller('console/assets')
@UseGuards(ConsoleAuthGuard)
export class AssetsController {
  private readonly files = new Map<string, Buffer>();

  @Get(':file')
  @Permit('public')
  asset(@Param('file') file: string, @Res() res: Response) {
    const m = /^([\w-]+)\.(css|js)$/.exec(file);
    if (!m) throw new NotFoundException();
    let body = this.files.get(file);
    if (!body) {
      try {
        body = readFileSync(fromRoot('templates', 'web', 'console', 'assets', file));
      } catch {
        throw new NotFoundException();
      }
      this.files.set(file, body);
    }
    res.setHeader('content-type', TYPES[m[2]]);
    res.setHeader('cache-control', 'public, max-age=300');
    res.send(body);
  }
}
