import { can, decideAccess, phoneFor } from './access-policy';
import { hashPassword, verifyPassword } from './passwords';
import { readCookie, signSessionId, unsignSessionId } from './session-cookie';

describe('console access rules', () => {
  const duty = { role: 'duty-officer' as const, csrf: 'tok-123' };
  const auditor = { role: 'auditor' as const, csrf: 'tok-456' };

  it('lets only the duty officer issue, cancel and act on call-outs', () => {
    expect(can('duty-officer', 'issue')).toBe(true);
    expect(can('auditor', 'issue')).toBe(false);
    expect(can('directory-admin', 'issue')).toBe(false);
    expect(can('auditor', 'act')).toBe(false);
    expect(can('auditor', 'audit')).toBe(true);
    expect(can('duty-officer', 'audit')).toBe(false);
    expect(can('directory-admin', 'directory')).toBe(true);
    expect(can('duty-officer', 'directory')).toBe(false);
  });

  it('answers 403 to an auditor issuing, even with a valid CSRF token', () => {
    expect(
      decideAccess({ method: 'POST', action: 'issue', session: auditor, csrfGiven: 'tok-456' }),
    ).toMatchObject({
      allow: false,
      status: 403,
    });
    expect(decideAccess({ method: 'POST', action: 'issue', session: duty, csrfGiven: 'tok-123' })).toEqual({
      allow: true,
    });
  });

  it('answers 403 to a POST without the CSRF token or with a wrong one', () => {
    expect(
      decideAccess({ method: 'POST', action: 'issue', session: duty, csrfGiven: undefined }),
    ).toMatchObject({
      allow: false,
      status: 403,
      reason: 'missing or wrong CSRF token',
    });
    expect(
      decideAccess({ method: 'POST', action: 'act', session: duty, csrfGiven: 'tok-124' }),
    ).toMatchObject({ status: 403 });
    // GET needs no token.
    expect(
      decideAccess({ method: 'GET', action: 'view-board', session: duty, csrfGiven: undefined }),
    ).toEqual({ allow: true });
  });

  it('sends a signed-out page view to login, and refuses a signed-out POST with 401', () => {
    expect(
      decideAccess({ method: 'GET', action: 'view-board', session: null, csrfGiven: undefined }),
    ).toMatchObject({
      status: 401,
      redirectToLogin: true,
    });
    expect(decideAccess({ method: 'POST', action: 'issue', session: null, csrfGiven: 'x' })).toMatchObject({
      status: 401,
      redirectToLogin: false,
    });
  });

  it('masks phone numbers for every role but the directory admin', () => {
    expect(phoneFor('duty-officer', '+8613800001234')).toBe('+86138****1234');
    expect(phoneFor('auditor', '+8613800001234')).toBe('+86138****1234');
    expect(phoneFor('directory-admin', '+8613800001234')).toBe('+8613800001234');
    expect(phoneFor('duty-officer', '+86138****1234')).toBe('+86138****1234');
  });
});

describe('console session cookie and passwords', () => {
  it('accepts only a cookie signed with the same secret', () => {
    const c = signSessionId('abc', 'secret-one-0123456789');
    expect(unsignSessionId(c, 'secret-one-0123456789')).toBe('abc');
    expect(unsignSessionId(c, 'secret-two-0123456789')).toBeNull();
    expect(unsignSessionId('abd' + c.slice(3), 'secret-one-0123456789')).toBeNull();
    expect(unsignSessionId(undefined, 'secret-one-0123456789')).toBeNull();
    expect(readCookie('a=1; jy_console=x.y; b=2', 'jy_console')).toBe('x.y');
  });

  it('hashes with scrypt and a salt, and verifies only the right password', async () => {
    const h = await hashPassword('duty-demo');
    expect(h).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await hashPassword('duty-demo')).not.toBe(h);
    expect(await verifyPassword('duty-demo', h)).toBe(true);
    expect(await verifyPassword('duty-dem0', h)).toBe(false);
  });
});
