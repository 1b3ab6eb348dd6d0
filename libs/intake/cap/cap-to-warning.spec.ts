import { readFileSync } from 'node:fs';
import { fromRoot } from '../../common/project-root';
import { capToWarning } from './cap-to-warning';
import { decodeEntities, elementDepth, MAX_CAP_BYTES, MAX_XML_DEPTH, XmlRejected } from './safe-xml';

const fixture = (name: string) => readFileSync(fromRoot('test', 'fixtures', 'cap', name));

describe('capToWarning beyond the corpus', () => {
  it('refuses a message over 1 MiB before decoding it', () => {
    const good = fixture('met-rainstorm-blue-severity.xml').toString('utf8');
    const padding = '<!-- ' + 'x'.repeat(MAX_CAP_BYTES) + ' -->';
    const big = Buffer.from(good.replace('<identifier>', `${padding}<identifier>`));
    const r = capToWarning(big);
    expect(r).toEqual({
      kind: 'rejected',
      reasons: [`message is ${big.length} bytes; the limit is ${MAX_CAP_BYTES} bytes (1 MiB)`],
    });
  });

  it('accepts a message just under the limit', () => {
    const good = fixture('met-rainstorm-blue-severity.xml').toString('utf8');
    const room = MAX_CAP_BYTES - Buffer.byteLength(good) - 10;
    const r = capToWarning(
      Buffer.from(good.replace('<identifier>', `<!--${'x'.repeat(room)}--><identifier>`)),
    );
    expect(r.kind).toBe('warning');
  });

  it('never expands a billion-laughs bomb: refused at its DOCTYPE, before any parsing', () => {
    // Refused on sight of the declaration, so no entity is ever expanded (how long that takes is
    // no test's business: it does no work to speak of).
    expect(capToWarning(fixture('hostile-billion-laughs.xml'))).toEqual({
      kind: 'rejected',
      reasons: ['DOCTYPE declarations are refused (no DTD, no entity expansion, no external fetch)'],
    });
  });

  it('refuses elements nested 500 levels deep with the reason, and counts depth past comments and CDATA', () => {
    const good = fixture('met-rainstorm-blue-severity.xml').toString('utf8');
    const deep = Buffer.from(
      good.replace('<identifier>', `${'<x>'.repeat(500)}${'</x>'.repeat(500)}<identifier>`),
    );
    expect(capToWarning(deep)).toEqual({
      kind: 'rejected',
      reasons: [`elements nest 501 levels deep; the limit is ${MAX_XML_DEPTH}`],
    });
    expect(elementDepth('<a x="1>2"><b/><c><!-- <d><d> --><![CDATA[<e><e>]]><?pi <f>?></c></a>')).toBe(2);
    expect(elementDepth(good)).toBeLessThanOrEqual(6);
  });

  it('refuses UTF-16 and an empty body', () => {
    expect(capToWarning(Buffer.from([0xff, 0xfe, 0x3c, 0x00])).kind).toBe('rejected');
    expect(capToWarning(Buffer.alloc(0))).toEqual({ kind: 'rejected', reasons: ['empty message'] });
  });

  it('keeps polygon and circle geometry in CAP lat,lon order and names areas from the division list', () => {
    const r = capToWarning(fixture('met-polygon-with-geocode.xml'));
    if (r.kind !== 'warning') throw new Error(JSON.stringify(r));
    expect(r.warning.geometry).toEqual([
      {
        kind: 'polygon',
        points: [
          [40.42, 114.09],
          [40.52, 114.2],
          [40.4, 114.31],
          [40.42, 114.09],
        ],
      },
      { kind: 'circle', center: [40.42, 114.09], radiusKm: 15 },
    ]);
    expect(r.warning.areas).toEqual([
      { code: '140222000000', name: '天镇县', how: 'code', via: '行政区划代码' },
    ]);
  });

  it('reports a polygon covering no village as unmapped, with the reason, and maps the rest', () => {
    const r = capToWarning(fixture('met-partly-unmapped.xml'));
    if (r.kind !== 'warning') throw new Error(JSON.stringify(r));
    expect(r.warning.areas.map((a) => a.code)).toEqual(['140213000000', '110101000000']);
    expect(r.unmappedAreas).toEqual([
      {
        code: null,
        name: '某湖区',
        reason:
          'area given as polygon: no village with a known point lies inside, and no geocode or name maps',
      },
    ]);
  });

  it('maps a geocode by its value whatever its valueName, and records the valueName and confidence', () => {
    const named = capToWarning(fixture('area-geocode-administrative-division-code.xml'));
    const unnamed = capToWarning(fixture('area-geocode-unknown-valuename.xml'));
    if (named.kind !== 'warning' || unnamed.kind !== 'warning') throw new Error('not warnings');
    expect(named.mappings).toEqual([
      {
        areaDesc: '山西省大同市平城区',
        code: '140213000000',
        name: '平城区',
        how: 'code',
        via: 'administrative_division_code',
        confidence: 'high',
      },
    ]);
    expect(unnamed.mappings[0]).toMatchObject({ code: '140224000000', via: 'ZONE_ID', confidence: 'low' });
  });

  it('says how a name was read: shortened, former, or an ambiguity settled by the sender', () => {
    const notes = [
      'area-name-suffixless.xml',
      'area-name-former.xml',
      'area-name-ambiguous-settled-by-sender.xml',
    ].map((f) => {
      const r = capToWarning(fixture(f));
      if (r.kind !== 'warning') throw new Error(f);
      return r.mappings.map((m) => [m.code, m.how, m.confidence, m.note]);
    });
    expect(notes).toEqual([
      [['140222000000', 'name', 'low', 'name without its suffix']],
      [['140215000000', 'name', 'low', 'former name']],
      [['140302000000', 'name', 'low', "ambiguous, settled by the sender's division 140300 阳泉市"]],
    ]);
  });

  it('holds an ambiguous name with its candidates, and settles it by the configured home area', () => {
    const held = capToWarning(fixture('area-name-ambiguous-held.xml'));
    if (held.kind !== 'needs-mapping') throw new Error(held.kind);
    expect(held.unmappedAreas[0].candidates?.map((c) => c.code)).toEqual(
      expect.arrayContaining(['140302000000', '140502000000']),
    );
    const home = capToWarning(fixture('area-name-ambiguous-held.xml'), { homeArea: '140500' });
    if (home.kind !== 'warning') throw new Error(home.kind);
    expect(home.warning.areas.map((a) => a.code)).toEqual(['140502000000']);
  });

  it('maps a circle to the villages whose point lies within its radius', () => {
    const villages = [
      { code: '140224100201', name: '近村', lat: 39.44, lon: 114.3 }, // about 6 km east
      { code: '140224100202', name: '远村', lat: 39.44, lon: 114.4 }, // about 15 km east
    ];
    const r = capToWarning(fixture('area-circle-only.xml'), { villages });
    if (r.kind !== 'warning') throw new Error(r.kind);
    expect(r.warning.areas).toEqual([
      { code: '140224100201', name: '近村', how: 'polygon', via: 'circle 39.44,114.23 10 km' },
    ]);
  });

  it('decodes the GBK fixture to the same Chinese text as UTF-8', () => {
    const r = capToWarning(fixture('met-gbk-encoded.xml'));
    if (r.kind !== 'warning') throw new Error(JSON.stringify(r));
    expect(r.warning.description).toBe('预计未来12小时内可能出现灾害性天气，请注意防范。');
    expect(r.warning.sender).toBe('大同市气象台');
  });

  it('decodes only predefined entities and character references', () => {
    expect(decodeEntities('a &amp; b &lt;c&gt; &quot;&apos; &#20013;&#x6587;')).toBe('a & b <c> "\' 中文');
    expect(() => decodeEntities('&ent;')).toThrow(XmlRejected);
    expect(() => decodeEntities('a & b')).toThrow(/bare "&"/);
  });
});
