import { maskPhone } from './mask';

describe('maskPhone', () => {
  it('keeps country code, prefix and last four digits of a Chinese mobile number', () => {
    expect(maskPhone('+8613800001234')).toBe('+86138****1234');
    expect(maskPhone('13800001234')).toBe('138****1234');
  });
  it('masks anything else except the last four characters', () => {
    expect(maskPhone('+15005550006')).toBe('********0006');
  });
  it('returns an empty string for nothing', () => {
    expect(maskPhone(undefined)).toBe('');
  });
});
