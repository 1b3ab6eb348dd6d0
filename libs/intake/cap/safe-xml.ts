import { XMLParser, XMLValidator } from 'fast-xml-parser';
import * as iconv from 'iconv-lite';

/**
 * Hostile-input-safe XML reading for CAP feeds: a size limit before anything is decoded, the
 * declared encoding honoured (UTF-8, GB18030/GBK/GB2312, ISO-8859-1, US-ASCII), any DOCTYPE or
 * ENTITY declaration refused outright (so no DTD, no entity expansion, no external fetch can
 * happen), well-formedness checked, and only the five predefined XML entities and numeric
 * character references decoded — by this code, not by the parser (processEntities is off).
 */
export const MAX_CAP_BYTES = 1024 * 1024;

export class XmlRejected extends Error {
  constructor(readonly reasons: string[]) {
    super(reasons.join('; '));
    this.name = 'XmlRejected';
  }
}

const ENCODINGS: Record<string, string> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  gb18030: 'gb18030',
  gbk: 'gbk',
  gb2312: 'gbk', // GBK is a superset of GB2312
  'iso-8859-1': 'latin1',
  latin1: 'latin1',
  'us-ascii': 'utf-8',
  ascii: 'utf-8',
};

/** Decodes bytes by the encoding its XML declaration names (UTF-8 when none, as XML says). */
export function decodeXml(bytes: Buffer): { text: string; encoding: string } {
  if (bytes.length > MAX_CAP_BYTES)
    throw new XmlRejected([`message is ${bytes.length} bytes; the limit is ${MAX_CAP_BYTES} bytes (1 MiB)`]);
  let body = bytes;
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) body = body.subarray(3);
  if ((body[0] === 0xfe && body[1] === 0xff) || (body[0] === 0xff && body[1] === 0xfe))
    throw new XmlRejected(['UTF-16 is not accepted; send UTF-8, GB18030/GBK or ISO-8859-1']);
  // The declaration itself is ASCII in every accepted encoding.
  const head = body.subarray(0, 200).toString('latin1');
  const decl = /^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head);
  const declared = (decl?.[1] ?? 'utf-8').toLowerCase();
  const encoding = ENCODINGS[declared];
  if (!encoding)
    throw new XmlRejected([
      `declared encoding ${decl?.[1]} is not accepted; use UTF-8, GB18030, GBK, GB2312 or ISO-8859-1`,
    ]);
  if (encoding === 'utf-8') {
    try {
      return { text: new TextDecoder('utf-8', { fatal: true }).decode(body), encoding: declared };
    } catch {
      throw new XmlRejected([
        `not valid ${declared.toUpperCase()}: the bytes do not match the declared encoding`,
      ]);
    }
  }
  return { text: iconv.decode(body, encoding), encoding: declared };
}

/** Far deeper than CAP nests (alert → info → area → geocode → value is five). */
export const MAX_XML_DEPTH = 32;

// Comments, CDATA and processing instructions are skipped; a tag's attribute values may hold '>'.
const XML_MARKUP =
  /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>|<(\/?)[A-Za-z_][\w.:-]*(?:"[^"]*"|'[^']*'|[^'">])*?(\/?)>/g;

/**
 * How deeply elements nest, by one linear scan of the markup: the parser builds its tree by
 * recursion, and thousands of levels ended in a 500 instead of a reason.
 */
export function elementDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (const m of text.matchAll(XML_MARKUP)) {
    if (m[1] === undefined) continue; // comment, CDATA, processing instruction
    if (m[1] === '/') depth -= 1;
    else if (m[2] !== '/') deepest = Math.max(deepest, ++depth);
  }
  return deepest;
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes the five predefined entities and character references; anything else is an error. */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[A-Za-z][\w.-]*);|&/g, (m, ref: string | undefined) => {
    if (ref === undefined) throw new XmlRejected(['a bare "&" in text (must be written &amp;)']);
    if (ref.startsWith('#')) {
      const cp = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (!Number.isFinite(cp) || cp > 0x10ffff || cp === 0)
        throw new XmlRejected([`invalid character reference ${m}`]);
      return String.fromCodePoint(cp);
    }
    const v = PREDEFINED[ref];
    if (v === undefined)
      throw new XmlRejected([`undeclared entity ${m} (only the XML predefined entities are accepted)`]);
    return v;
  });
}

const REPEATED = new Set([
  'info',
  'area',
  'geocode',
  'parameter',
  'polygon',
  'circle',
  'code',
  'category',
  'responseType',
  'eventCode',
  'resource',
]);

function parser(removeNSPrefix: boolean): XMLParser {
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    removeNSPrefix,
    processEntities: false,
    htmlEntities: false,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    isArray: (name: string) => REPEATED.has(name.replace(/^.*:/, '')),
  });
}

export interface ParsedXml {
  /** Local name of the root element. */
  root: string;
  /** Namespace URI of the root element ('' when none). */
  namespace: string;
  /** The root element's content with namespace prefixes removed. */
  tree: Record<string, unknown>;
  encoding: string;
}

/** Bytes → a checked, parsed tree; throws XmlRejected with the reasons. */
export function readXml(bytes: Buffer): ParsedXml {
  const { text, encoding } = decodeXml(bytes);
  if (/<!DOCTYPE/i.test(text))
    throw new XmlRejected([
      'DOCTYPE declarations are refused (no DTD, no entity expansion, no external fetch)',
    ]);
  if (/<!ENTITY/i.test(text)) throw new XmlRejected(['ENTITY declarations are refused']);
  if (text.trim() === '') throw new XmlRejected(['empty message']);
  const depth = elementDepth(text);
  if (depth > MAX_XML_DEPTH)
    throw new XmlRejected([`elements nest ${depth} levels deep; the limit is ${MAX_XML_DEPTH}`]);
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (valid !== true)
    throw new XmlRejected([
      `malformed XML at line ${valid.err.line}, column ${valid.err.col}: ${valid.err.msg}`,
    ]);

  const raw = parser(false).parse(text) as Record<string, unknown>;
  const rootKeys = Object.keys(raw).filter((k) => !k.startsWith('?') && !k.startsWith('#'));
  if (rootKeys.length !== 1) throw new XmlRejected([`expected one root element, found ${rootKeys.length}`]);
  const rawRoot = rootKeys[0];
  const prefix = rawRoot.includes(':') ? rawRoot.split(':')[0] : '';
  const rootNode = raw[rawRoot];
  const attrs = (rootNode && typeof rootNode === 'object' ? rootNode : {}) as Record<string, unknown>;
  const nsAttr = prefix ? `@_xmlns:${prefix}` : '@_xmlns';
  const namespace = typeof attrs[nsAttr] === 'string' ? (attrs[nsAttr] as string) : '';

  const local = parser(true).parse(text) as Record<string, unknown>;
  const root = rawRoot.replace(/^.*:/, '');
  const tree = local[root];
  return {
    root,
    namespace,
    tree: (tree && typeof tree === 'object' ? tree : {}) as Record<string, unknown>,
    encoding,
  };
}
