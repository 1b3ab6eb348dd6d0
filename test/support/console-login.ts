/**
 * Signs in through the console's real login form, as a browser does: fetches the form (its nonce
 * cookie and CSRF token), then posts the credentials. The response is the login's (303 on success).
 */
export async function postLoginForm(base: string, username: string, password: string): Promise<Response> {
  const form = await fetch(`${base}/login`);
  const cookie = form.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1];
  return fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ username, password, _csrf: csrf }),
  });
}
