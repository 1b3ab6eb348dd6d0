import { Controller, Get, Global, INestApplication, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AppConfig, loadConfig } from '../config/config';
import { CONFIG, DB } from '../infra/tokens';
import { createTestDatabase, TestDatabase, testSecret } from '../../test/support/infra';
import { signRoleToken } from './auth';
import { RevocationList, RevocationRepository } from './revocations';
import { runRevocation } from './role-token.cli';
import { Caller, Roles } from './role.guard';
import type { RoleClaims } from './auth';

@Controller('api/probe')
@Roles('duty-officer', 'auditor')
class ProbeController {
  @Get()
  who(@Caller() c: RoleClaims) {
    return { actor: c.actor };
  }
}

describe('role tokens through the guard: lifetime, rotation, revocation (real PostgreSQL)', () => {
  let t: TestDatabase;
  let app: INestApplication;
  let base: string;
  let cfg: AppConfig;
  const OLD = testSecret();
  const CURRENT = testSecret();

  beforeAll(async () => {
    t = await createTestDatabase('revocations');
    // Rotation under way: CURRENT signs, OLD is still accepted. The revocation list is read on
    // every request here (cache 0 s) so the test sees a revocation at once.
    cfg = loadConfig({
      DATABASE_URL: t.url,
      SIGNING_SECRET: CURRENT,
      SIGNING_SECRET_PREVIOUS: OLD,
      REVOCATION_CACHE_SECONDS: '0',
    });
    @Global()
    @Module({
      providers: [
        { provide: DB, useValue: t.db },
        { provide: CONFIG, useValue: cfg },
      ],
      exports: [DB, CONFIG],
    })
    class TestInfra {}
    const ref = await Test.createTestingModule({
      imports: [TestInfra],
      controllers: [ProbeController],
    }).compile();
    app = ref.createNestApplication();
    await app.listen(0, '127.0.0.1');
    base = `${await app.getUrl()}/api/probe`;
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  const call = (token: string) => fetch(base, { headers: { authorization: `Bearer ${token}` } });
  const revoke = async (...args: string[]) => {
    const out: string[] = [];
    const code = await runRevocation(
      args,
      t.db,
      { SIGNING_SECRET: CURRENT },
      (l) => out.push(l),
      (l) => out.push(l),
    );
    return { code, out };
  };

  it('refuses a 10-year token and accepts a shift-long one', async () => {
    const tenYears = signRoleToken(
      { actor: 'x', role: 'duty-officer', ttlSeconds: 10 * 365 * 86400 },
      CURRENT,
    );
    const r = await call(tenYears);
    expect(r.status).toBe(401);
    expect(((await r.json()) as { message: string }).message).toMatch(/12 h maximum/);
    expect(
      (await call(signRoleToken({ actor: 'x', role: 'duty-officer', ttlSeconds: 12 * 3600 }, CURRENT)))
        .status,
    ).toBe(200);
  });

  it('accepts tokens of the previous secret during a rotation, and refuses other secrets', async () => {
    expect((await call(signRoleToken({ actor: 'old-feed', role: 'auditor' }, OLD))).status).toBe(200);
    expect((await call(signRoleToken({ actor: 'x', role: 'auditor' }, testSecret()))).status).toBe(401);
  });

  it('revokes one token by its id, leaving the actor’s other tokens alone', async () => {
    const stolen = signRoleToken({ actor: 'duty-wang', role: 'duty-officer' }, CURRENT);
    const other = signRoleToken({ actor: 'duty-wang', role: 'duty-officer' }, CURRENT);
    expect((await call(stolen)).status).toBe(200);
    expect((await revoke('revoke', '--token', stolen, '--reason', 'laptop lost')).code).toBe(0);
    const r = await call(stolen);
    expect(r.status).toBe(401);
    expect(((await r.json()) as { message: string }).message).toMatch(/revoked/);
    expect((await call(other)).status).toBe(200);
    expect((await revoke('revocations')).out.join('\n')).toMatch(/laptop lost/);
  });

  it('revokes every token of an actor issued before a moment; later ones are admitted', async () => {
    const now = Date.now();
    const before = signRoleToken(
      { actor: 'feed-datong', role: 'duty-officer' },
      CURRENT,
      new Date(now - 60_000),
    );
    const cut = new Date(now - 30_000).toISOString();
    expect((await revoke('revoke', '--actor', 'feed-datong', '--before', cut)).code).toBe(0);
    expect((await call(before)).status).toBe(401);
    expect((await call(signRoleToken({ actor: 'feed-datong', role: 'duty-officer' }, CURRENT))).status).toBe(
      200,
    );
    expect(
      (
        await call(
          signRoleToken({ actor: 'someone-else', role: 'duty-officer' }, CURRENT, new Date(now - 60_000)),
        )
      ).status,
    ).toBe(200);
    expect((await revoke('revoke', '--jti')).code).toBe(2);
  });

  it('keeps its copy for REVOCATION_CACHE_SECONDS, then reads the list again', async () => {
    let clock = 1_000_000;
    const list = new RevocationList(new RevocationRepository(t.db), 10, () => clock);
    const token = signRoleToken({ actor: 'cached', role: 'auditor' }, CURRENT);
    const claims = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as RoleClaims;
    expect(await list.revoked(claims)).toBeUndefined();
    await new RevocationRepository(t.db).revokeToken(claims.jti, new Date(claims.exp * 1000), 'test', 'test');
    clock += 9_000;
    expect(await list.revoked(claims)).toBeUndefined();
    clock += 2_000;
    expect(await list.revoked(claims)).toBe('token revoked');
  });
});
