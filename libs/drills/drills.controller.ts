import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RoleClaims } from '../common/auth';
import { Caller, Roles } from '../common/role.guard';
import { DrillsService, ScheduleResult } from './drills.service';

const unwrap = (r: ScheduleResult | undefined, id?: string) => {
  if (!r) throw new NotFoundException(`no drill schedule ${id}`);
  if (!r.ok)
    throw new BadRequestException({ statusCode: 400, message: 'invalid drill schedule', errors: r.errors });
  return r.schedule;
};

/** The duty officer's drill schedules: list (with the next fires), create, edit, remove, and the runs. */
@ApiTags('drills')
@Controller('api/drills')
@Roles('duty-officer')
export class DrillsController {
  constructor(private readonly drills: DrillsService) {}

  @Get('schedules')
  list() {
    return this.drills.list();
  }

  @Post('schedules')
  @HttpCode(201)
  async create(@Body() body: unknown, @Caller() caller: RoleClaims) {
    return unwrap(await this.drills.create(body, caller.actor));
  }

  @Put('schedules/:id')
  async update(@Param('id') id: string, @Body() body: unknown, @Caller() caller: RoleClaims) {
    return unwrap(await this.drills.update(id, body, caller.actor), id);
  }

  @Delete('schedules/:id')
  @HttpCode(204)
  async remove(@Param('id') id: string, @Caller() caller: RoleClaims) {
    if (!(await this.drills.remove(id, caller.actor))) throw new NotFoundException(`no drill schedule ${id}`);
  }

  @Get('runs')
  runs(@Query('scheduleId') scheduleId?: string) {
    return this.drills.runs(scheduleId || undefined);
  }
}
