import { Controller, Get, INestApplication, Module, NotFoundException, Param } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { AddressInfo } from 'node:net';
import { DomainErrorFilter } from './domain-error.filter';
import { Conflict, NotFound, RejectedInput } from './domain-errors';

/** A controller that only throws, as a use case would, without mapping anything itself. */
@Controller('t')
class ThrowingController {
  @Get(':what')
  throwIt(@Param('what') what: string) {
    if (what === 'rejected')
      throw new RejectedInput('level not allowed', ['level: red is not a blue signal']);
    if (what === 'not-found') throw new NotFound('no warning w-1');
    if (what === 'conflict') throw new Conflict('field task t-1 is closed');
    if (what === 'http') throw new NotFoundException('a transport error stays as it is');
    throw new Error('a bug');
  }
}

@Module({
  controllers: [ThrowingController],
  providers: [{ provide: APP_FILTER, useClass: DomainErrorFilter }],
})
class TestModule {}

describe('DomainErrorFilter', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [TestModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/t`;
  });

  afterAll(() => app?.close());

  const get = async (what: string) => {
    const res = await fetch(`${base}/${what}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it.each([
    ['rejected', 400, { message: 'level not allowed', details: ['level: red is not a blue signal'] }],
    ['not-found', 404, { message: 'no warning w-1' }],
    ['conflict', 409, { message: 'field task t-1 is closed' }],
  ])('maps %s to HTTP %i with the message and reasons', async (what, status, body) => {
    expect(await get(what)).toEqual({ status, body: { statusCode: status, ...body } });
  });

  it('leaves transport errors and bugs to Nest (their own status; 500 without details)', async () => {
    expect(await get('http')).toEqual({
      status: 404,
      body: { statusCode: 404, message: 'a transport error stays as it is', error: 'Not Found' },
    });
    expect(await get('bug')).toEqual({
      status: 500,
      body: { statusCode: 500, message: 'Internal server error' },
    });
  });
});
