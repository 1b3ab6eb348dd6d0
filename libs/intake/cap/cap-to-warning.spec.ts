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
    expect(r.warning.areas).toEqual([{ code: '140222000000', name: '天镇县' }]);
  });

  it('reports a polygon-only area and an unknown code as unmapped, with reasons', () => {
    const r = capToWarning(fixture('met-partly-unmapped.xml'));
    if (r.kind !== 'warning') throw new Error(JSON.stringify(r));
    expect(r.unmappedAreas).toEqual([
      {
        code: null,
        name: '某湖区',
        reason: 'area given only as polygon/circle, without an administrative division geocode',
      },
      { code: '110101000000', name: '北京市东城区', reason: 'not a known division code' },
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
