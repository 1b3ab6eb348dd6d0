import * as iconv from 'iconv-lite';
import { Availability, reach } from './availability';
import { decodeText, parseCsv, UndecodableFileError, parseJson, parseRoles, toCsv } from './directory-format';
import { normaliseMobile, roleCodeOf, validateDirectory } from './directory-validation';
import { coverageGaps, minimalPrefixes } from './directory.service';

const H = 'person_id,name,mobile,roles,area_code,area_name,parent_code,backup_person_id,superior_person_id';
const snapshot = {
  divisionCodes: new Set(['140000000000', '140212000000', '140212100000']),
  persons: new Map(),
};

describe('decoding and parsing', () => {
  it('detects UTF-8 with and without BOM, else GBK', () => {
    expect(decodeText(Buffer.from('\ufeff姓名', 'utf8'))).toEqual({ text: '姓名', encoding: 'utf-8' });
    expect(decodeText(Buffer.from('姓名', 'utf8'))).toEqual({ text: '姓名', encoding: 'utf-8' });
    expect(decodeText(iconv.encode('杏花峪村,防汛责任人', 'gbk'))).toEqual({
      text: '杏花峪村,防汛责任人',
      encoding: 'gbk',
    });
  });

  it('reads UTF-16 LE and BE by their BOM', () => {
    const text = `${H}\na,张三,+8613800000001,flood-control,140212100000\n`;
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le.subarray(2)).swap16();
    expect(decodeText(le)).toEqual({ text, encoding: 'utf-16le' });
    expect(decodeText(Buffer.concat([Buffer.from([0xfe, 0xff]), be]))).toEqual({
      text,
      encoding: 'utf-16be',
    });
  });

  it('refuses bytes that are no text it reads, with one clear reason', () => {
    const truncated = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('姓名', 'utf16le'),
      Buffer.from([0x41]),
    ]);
    expect(() => decodeText(truncated)).toThrow(/UTF-16LE byte order mark but is not valid UTF-16LE/);
    // UTF-16 without a BOM, or a binary file (e.g. a spreadsheet's own format) has NUL bytes.
    expect(() => decodeText(Buffer.from('person_id,name', 'utf16le'))).toThrow(/NUL byte at offset 1/);
    expect(() => decodeText(Buffer.from([0x41, 0x81, 0x20, 0xff]))).toThrow(UndecodableFileError);
  });

  it('reads roles with areas of their own', () => {
    expect(parseRoles('flood-control; grid-worker@140212100202；防汛责任人', '140212100201')).toEqual([
      { role: 'flood-control', areaCode: '140212100201' },
      { role: 'grid-worker', areaCode: '140212100202' },
      { role: '防汛责任人', areaCode: '140212100201' },
    ]);
  });

  it('gives each CSV row its line in the file, also after a quoted multi-line cell', () => {
    const p = parseCsv(
      `${H}\na,"甲\n乙",+8613800000001,flood-control,140212100000\n\nb,丙,+8613800000002,flood-control,140212100000\n`,
    );
    expect(p.persons.map((x) => [x.line, x.value.id])).toEqual([
      [3, 'a'],
      [5, 'b'],
    ]);
  });

  it('reports malformed JSON and JSON without persons', () => {
    expect(parseJson('{').errors[0].reason).toMatch(/malformed JSON/);
    expect(parseJson('{"divisions":[]}').errors[0].reason).toMatch(/"persons" array/);
  });

  it('writes CSV that parses back to the same persons', () => {
    const doc = {
      divisions: [{ code: '140212100201', name: '杏花峪村', parentCode: '140212100000' }],
      persons: [
        {
          id: 'a',
          name: '甲',
          mobile: '+8613800000001',
          roles: [
            { role: 'flood-control', areaCode: '140212100201' },
            { role: 'grid-worker', areaCode: '140212100000' },
          ],
        },
      ],
    };
    const back = parseCsv(toCsv(doc));
    expect(back.divisions.map((d) => d.value)).toEqual(doc.divisions);
    expect(back.persons[0].value.roles).toEqual(doc.persons[0].roles);
  });
});

describe('validation', () => {
  it('normalises Chinese mobiles to E.164 and refuses fixed lines and short numbers', () => {
    expect(normaliseMobile('138 0000 1234')).toBe('+8613800001234');
    expect(normaliseMobile('+86-138-0000-1234')).toBe('+8613800001234');
    expect(normaliseMobile('010-12345678')).toBeNull();
    expect(normaliseMobile('+861380000123')).toBeNull();
    expect(roleCodeOf('防汛责任人')).toBe('flood-control');
    expect(roleCodeOf('king')).toBeNull();
  });

  it('reports every bad row with its line and keeps the good ones', () => {
    const csv = [
      H,
      'a,甲,+8613800000001,防汛责任人,140212100201,杏花峪村,140212100000,,',
      'b,乙,+8613800000002,flood-control,140212100201,,,a,',
      'c,,+8613800000003,flood-control,140212100201,,,,',
      'd,丁,+8613800000004,flood-control,140212777201,某村,140212777000,,',
      'e,戊,+8613800000005,flood-control,140212100201,,,nobody,',
      'f,己,+8613800000006,flood-control,140212100201,,,,f',
    ].join('\n');
    const r = validateDirectory(parseCsv(csv), snapshot);
    expect(r.persons.map((p) => [p.id, p.roles])).toEqual([
      ['a', [{ role: 'flood-control', areaCode: '140212100201' }]],
      ['b', [{ role: 'flood-control', areaCode: '140212100201' }]],
    ]);
    expect(r.divisions).toEqual([
      {
        code: '140212100201',
        name: '杏花峪村',
        level: 'village',
        parentCode: '140212100000',
        lat: null,
        lon: null,
      },
    ]);
    expect(r.errors.map((e) => `${e.line}: ${e.reason}`)).toEqual([
      '4: missing name',
      '5: missing parent division 140212777000',
      '5: division 140212777201 is rejected (see its row)',
      '6: unknown backup nobody',
      '7: superior cycle: f → f',
    ]);
  });

  it('finds superior cycles that pass through the database', () => {
    const persons = new Map<string, string | null>([
      ['x', 'y'],
      ['y', null],
    ]);
    const csv = [H, 'y,乙,+8613800000002,flood-control,140212100000,,,,x'].join('\n');
    const r = validateDirectory(parseCsv(csv), { ...snapshot, persons });
    expect(r.errors.map((e) => e.reason)).toEqual(['superior cycle: y → x → y']);
  });
});

describe('resolution helpers', () => {
  it('keeps only the outermost prefixes', () => {
    expect(minimalPrefixes(['140212', '1402', '140212100', '1403', '1402'])).toEqual(['1402', '1403']);
  });

  it('follows substitutes, and knows who is off duty or without a number', () => {
    const at = new Date('2025-07-01T00:00:00Z');
    const period = (person_id: string, kind: 'leave' | 'on-duty', sub: string | null) => ({
      person_id,
      kind,
      from_at: new Date('2025-06-01T00:00:00Z'),
      to_at: new Date(kind === 'leave' ? '2025-08-01T00:00:00Z' : '2025-06-02T00:00:00Z'),
      substitute_person_id: sub,
    });
    const a = new Availability(
      [period('a', 'leave', 'b'), period('b', 'leave', 'c'), period('d', 'on-duty', null)],
      at,
    );
    const contact = (id: string, mobile: string | null = `+86138000000${id.charCodeAt(0)}`) => ({
      id,
      name: id,
      mobile,
      alt_phone: null,
      active: true,
    });
    const persons = new Map(['a', 'b', 'c', 'd'].map((id) => [id, contact(id)]));
    expect(reach('a', persons, a)).toMatchObject({ ok: true, person: { id: 'c' }, substituteFor: 'a' });
    expect(reach('d', persons, a)).toEqual({ ok: false, reason: 'all-on-leave' });
    persons.set('c', contact('c', null));
    expect(reach('a', persons, a)).toEqual({ ok: false, reason: 'no-number' });
  });

  it('checks villages (the most specific level) and explicitly named levels', () => {
    const d = (code: string, level: 'county' | 'township' | 'village', parent: string | null) => ({
      code,
      name: code,
      level,
      parent_code: parent,
    });
    const divisions = [
      d('140212000000', 'county', null),
      d('140212100000', 'township', '140212000000'),
      d('140212100201', 'village', '140212100000'),
      d('140212100202', 'village', '140212100000'),
      d('140212101000', 'township', '140212000000'),
    ];
    const fate = new Map([['140212100201', [{ role: 'flood-control' as const, ok: true }]]]);
    expect(coverageGaps([{ role: 'flood-control' }], divisions, fate).map((g) => g.areaCode)).toEqual([
      '140212100202',
      '140212101000',
    ]);
    // A head-only rule is judged at the township level, not in the villages.
    const heads = coverageGaps([{ role: 'party-gov-head', levels: ['township'] }], divisions, new Map());
    expect(heads.map((g) => g.areaCode)).toEqual(['140212100000', '140212101000']);
  });
});
