import { Global, INestApplication, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import * as iconv from 'iconv-lite';
import { readFileSync } from 'node:fs';
import { signRoleToken } from '../common/auth';
import { fromRoot } from '../common/project-root';
import { loadConfig } from '../config/config';
import { CONFIG, DB } from '../infra/tokens';
import { createTestDatabase, TestDatabase, testSecret } from '../../test/support/infra';
import { DirectoryModule } from './directory.module';

// Response bodies are checked field by field below; a loose type keeps those checks readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (r: Response | Promise<Response>): Promise<any> => (await r).json();

const SECRET = testSecret();
const auth = (role: string) => ({
  authorization: `Bearer ${signRoleToken({ actor: `${role}-1`, role }, SECRET)}`,
});
const ADMIN = auth('directory-admin');

describe('DirectoryController (HTTP)', () => {
  let t: TestDatabase;
  let app: INestApplication;
  let base: string;
  const csv = readFileSync(fromRoot('examples', 'directory', 'directory.csv'), 'utf8');

  beforeAll(async () => {
    t = await createTestDatabase('directoryhttp');
    // In a service InfraModule provides DB and CONFIG globally; here a small global module stands in.
    const config = loadConfig({ DATABASE_URL: t.url, SIGNING_SECRET: SECRET });
    @Global()
    @Module({
      providers: [
        { provide: DB, useValue: t.db },
        { provide: CONFIG, useValue: config },
      ],
      exports: [DB, CONFIG],
    })
    class TestDbModule {}
    const ref = await Test.createTestingModule({ imports: [TestDbModule, DirectoryModule] }).compile();
    app = ref.createNestApplication();
    await app.listen(0, '127.0.0.1');
    base = `${await app.getUrl()}/api/directory`;
  });
  afterAll(async () => {
    await app.close();
    await t.drop();
  });

  it('dry-runs, rejects bad rows with 422 and line numbers, then imports a GBK CSV', async () => {
    const bad = csv + 'x1,坏号码,12345,,flood-control,140212100201,,,,,2025-04-15,true,,,\n';
    const dry = await fetch(`${base}/import?dryRun=true`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', ...ADMIN },
      body: bad,
    });
    expect(dry.status).toBe(200);
    expect((await json(dry)).errors).toEqual([expect.objectContaining({ line: 11, id: 'x1' })]);

    const rejected = await fetch(`${base}/import`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', ...ADMIN },
      body: bad,
    });
    expect(rejected.status).toBe(422);
    expect((await json(rejected)).applied).toBe(false);
    expect((await json(await fetch(`${base}/export?format=json`, { headers: ADMIN }))).persons).toEqual([]);

    const gbk = iconv.encode(csv, 'gbk');
    const ok = await fetch(`${base}/import`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', ...ADMIN },
      body: gbk,
    });
    expect(ok.status).toBe(200);
    expect(await json(ok)).toMatchObject({ encoding: 'gbk', applied: true, imported: 9 });
  });

  it('reads a UTF-16 CSV (LE and BE) by its BOM; an undecodable file is one clear 400', async () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csv, 'utf16le')]);
    const be = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(csv, 'utf16le').swap16()]);
    for (const [bytes, encoding] of [
      [le, 'utf-16le'],
      [be, 'utf-16be'],
    ] as const) {
      const r = await fetch(`${base}/import?dryRun=true`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv', ...ADMIN },
        body: new Uint8Array(bytes),
      });
      expect(r.status).toBe(200);
      expect(await json(r)).toMatchObject({ encoding, total: 9, errors: [] });
    }
    const broken = await fetch(`${base}/import?dryRun=true`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', ...ADMIN },
      body: new Uint8Array(le.subarray(0, le.length - 1)),
    });
    expect(broken.status).toBe(400);
    expect(await json(broken)).toMatchObject({
      message: 'unreadable file',
      reason: expect.stringMatching(/not valid UTF-16LE/),
    });
  });

  it('imports a JSON body with ?partial=true and exports CSV and JSON', async () => {
    const doc = JSON.parse(readFileSync(fromRoot('examples', 'directory', 'directory.json'), 'utf8'));
    doc.persons[0].mobile = '+8613800000099';
    doc.persons.push({
      id: 'loop',
      name: '环',
      mobile: '+8613800000098',
      roles: [],
      superiorPersonId: 'loop',
    });
    const r = await fetch(`${base}/import?partial=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...ADMIN },
      body: JSON.stringify(doc),
    });
    const body = await json(r);
    expect(body).toMatchObject({ format: 'json', applied: true, imported: 9, rejected: 1 });
    expect(body.errors).toEqual([
      { line: 10, source: 'persons', id: 'loop', reason: 'superior cycle: loop → loop' },
    ]);

    const exported = await json(fetch(`${base}/export?format=json`, { headers: ADMIN }));
    expect(exported.persons.find((p: { id: string }) => p.id === doc.persons[0].id).mobile).toBe(
      '+8613800000099',
    );
    const csvOut = await fetch(`${base}/export?format=csv`, { headers: ADMIN });
    expect(csvOut.headers.get('content-type')).toMatch(/text\/csv/);
    expect((await csvOut.text()).split('\n')[0]).toMatch(/^person_id,name,mobile/);
    expect((await fetch(`${base}/export?format=xml`, { headers: ADMIN })).status).toBe(400);
  });

  it('serves the division tree and the health report', async () => {
    const roots = await json(fetch(`${base}/divisions`, { headers: ADMIN }));
    expect(roots).toEqual([{ code: '140000000000', name: '山西省', level: 'province', parent_code: null }]);
    const villages = await json(fetch(`${base}/divisions?parent=140212100000`, { headers: ADMIN }));
    expect(villages.map((d: { name: string }) => d.name)).toEqual(['杏花峪村', '石沟村']);
    const health = await json(fetch(`${base}/health`, { headers: ADMIN }));
    expect(health.staleContacts.map((x: { personId: string }) => x.personId)).toContain('xr-v201-warner');
    expect(health.persons).toBe(9);
  });

  it('admits directory admins only; duty officers read the division tree alone', async () => {
    const duty = auth('duty-officer');
    const importAs = (headers: Record<string, string>) =>
      fetch(`${base}/import`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv', ...headers },
        body: csv,
      });
    expect((await importAs({})).status).toBe(401);
    expect((await importAs({ authorization: 'Bearer forged.token' })).status).toBe(401);
    const expired = signRoleToken({ actor: 'a', role: 'directory-admin', ttlSeconds: -1 }, SECRET);
    expect((await importAs({ authorization: `Bearer ${expired}` })).status).toBe(401);
    expect((await importAs(duty)).status).toBe(403);
    expect((await importAs(auth('auditor'))).status).toBe(403);
    for (const path of ['/export?format=json', '/health']) {
      expect((await fetch(`${base}${path}`)).status).toBe(401);
      expect((await fetch(`${base}${path}`, { headers: duty })).status).toBe(403);
    }
    expect((await fetch(`${base}/divisions`)).status).toBe(401);
    expect((await fetch(`${base}/divisions`, { headers: auth('auditor') })).status).toBe(403);
    const tree = await fetch(`${base}/divisions`, { headers: duty });
    expect(tree.status).toBe(200);
    expect((await json(tree))[0]).toMatchObject({ code: '140000000000' });
  });
});
