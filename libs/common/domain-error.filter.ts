import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError } from './domain-errors';

/** The HTTP status of each kind of domain error. */
export const DOMAIN_ERROR_STATUS: Record<DomainError['kind'], number> = {
  rejected: HttpStatus.BAD_REQUEST,
  'not-found': HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
};

/**
 * The HTTP edge of every service (registered by InfraModule): a DomainError thrown by a use case
 * becomes its status (400, 404, 409) with the message and the reasons, in Nest's error body shape, so
 * controllers call the use case and map nothing by hand. Other errors go on to Nest's own handling.
 */
@Catch(DomainError)
export class DomainErrorFilter implements ExceptionFilter<DomainError> {
  catch(e: DomainError, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const statusCode = DOMAIN_ERROR_STATUS[e.kind];
    res.status(statusCode).json({
      statusCode,
      message: e.message,
      ...(e.details.length ? { details: e.details } : {}),
    });
  }
}
