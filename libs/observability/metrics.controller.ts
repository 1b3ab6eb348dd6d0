import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { registry } from './metrics';

/** Prometheus' scrape endpoint (text exposition format), on the service's HTTP port. */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('content-type', registry.contentType)
  @Header('cache-control', 'no-store')
  metrics(): Promise<string> {
    return registry.metrics();
  }
}
