/**
 * Masks a phone number for logs and for roles that need not see it: keeps the country code,
 * the first three and the last four digits. "+8613800001234" → "+86138****1234".
 */
export function maskPhone(phone: string | null | undefined): string {
  if (!phone) return '';
  const m = /^(\+86)?(\d{3})(\d+)(\d{4})$/.exec(phone.replace(/[\s-]/g, ''));
  if (!m) return phone.length > 4 ? '*'.repeat(phone.length - 4) + phone.slice(-4) : '****';
  return `${m[1] ?? ''}${m[2]}${'*'.repeat(m[3].length)}${m[4]}`;
}
