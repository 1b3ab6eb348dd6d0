/**
 * SMS segment arithmetic. A message in the GSM-7 alphabet fits 160 characters in one segment and 153
 * per segment when concatenated; anything else (Chinese) is sent as UCS-2: 70 in one segment, 67 per
 * segment concatenated. Characters outside the BMP count as two UTF-16 units.
 */
const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENDED = '^{}\\[~]|€';

export interface SegmentInfo {
  encoding: 'GSM-7' | 'UCS-2';
  /** Characters as the network counts them (GSM-7 extended characters count twice). */
  units: number;
  segments: number;
}

export function smsSegments(text: string): SegmentInfo {
  let gsm = true;
  let gsmUnits = 0;
  for (const ch of text) {
    if (GSM7_BASIC.includes(ch)) gsmUnits += 1;
    else if (GSM7_EXTENDED.includes(ch)) gsmUnits += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (gsm) {
    return { encoding: 'GSM-7', units: gsmUnits, segments: gsmUnits <= 160 ? 1 : Math.ceil(gsmUnits / 153) };
  }
  const units = text.length; // UTF-16 code units
  return { encoding: 'UCS-2', units, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
}
