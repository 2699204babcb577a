import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, type RunningHub, startTestHub } from '../helpers/hub-process.js';

const STRONG = 'correct horse battery staple';

describe('credentials over HTTP', () => {
  let hub: RunningHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(async () => {
    await hub?.close();
  });

  const json = async (response: Response) => ({ status: response.status, body: await response.json().catch(() => null) });
  const post = (path: string, body: unknown, token?: string | null) => hub.api(`/api/v1${path}`, { method: 'POST', json: body, token });

  async function signIn(username: string, password: string) {
    const response = await hub.api('/api/v1/session', { token: null, method: 'POST', json: { username, password } });
    const cookie = response.headers.get('set-cookie')?.split(';')[0] ?? '';
    const body = await response.json();
    return { status: response.status, body, cookie, csrf: body.csrfToken as string };
  }
  const asCookie = (cookie: string, path: string, init: RequestInit & { json?: unknown } = {}) =>
    hub.api(path, { ...init, token: null, headers: { ...(init.headers ?? {}), cookie } });

  it('lists tokens without their secrets, revokes one at once, and refuses an expired one', async () => {
    const created = await json(await post('/tokens', { name: 'ci-bot', role: 'operator' }));
    expect(created.status).toBe(201);
    const secret = created.body.token as string;
    expect((await hub.api('/api/v1/jobs', { token: secret })).status).toBe(200);

    const listed = await json(await hub.api('/api/v1/tokens'));
    const row = listed.body.items.find((t: { id: number }) => t.id === created.body.id);
    expect(row).toMatchObject({ name: 'ci-bot', role: 'operator', state: 'active', revokedAt: null });
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect(row).not.toHaveProperty('token');
    expect(row).not.toHaveProperty('tokenHash');

    const revoked = await json(await hub.api(`/api/v1/tokens/${created.body.id}`, { method: 'DELETE' }));
    expect(revoked).toMatchObject({ status: 200, body: { state: 'revoked' } });
    expect((await json(await hub.api('/api/v1/jobs', { token: secret }))).body.error.code).toBe('SWY_ERR_AUTH_REQUIRED');
    expect((await hub.api('/api/v1/tokens/999999', { method: 'DELETE' })).status).toBe(404);

    const soon = await json(await post('/tokens', { name: 'short-lived', role: 'viewer', expiresAt: new Date(Date.now() + 1500).toISOString() }));
    expect(soon.status).toBe(201);
    expect(soon.body.expiresAt).toEqual(expect.any(String));
    const deadline = Date.now() + 20_000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      status = (await hub.api('/api/v1/jobs', { token: soon.body.token })).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(401);
    expect((await json(await post('/tokens', { name: 'past', role: 'viewer', expiresAt: '2001-01-01T00:00:00Z' }))).status).toBe(400);
  });

  it('refuses weak passwords, naming the field, and writes nothing', async () => {
    for (const password of ['password', '        ', 'a', 'short-1', 'carol-carol-carol']) {
      const answer = await json(await post('/users', { username: 'carol', password, role: 'viewer' }));
      expect(answer.status, password).toBe(400);
      expect(answer.body.error.code).toBe('SWY_ERR_PASSWORD_WEAK');
      expect(answer.body.error.fields[0].path).toBe('body.password');
    }
    const users = await json(await hub.api('/api/v1/users'));
    expect(users.body.items.map((u: { username: string }) => u.username)).not.toContain('carol');
  });

  it('disables and enables a user: sessions end and sign-in is refused until enabled', async () => {
    expect((await post('/users', { username: 'dave', password: STRONG, role: 'operator' })).status).toBe(201);
    const session = await signIn('dave', STRONG);
    expect(session.status).toBe(200);
    expect((await asCookie(session.cookie, '/api/v1/me')).status).toBe(200);

    const disabled = await json(await hub.api('/api/v1/users/dave', { method: 'PATCH', json: { disabled: true } }));
    expect(disabled).toMatchObject({ status: 200, body: { username: 'dave', disabled: true } });
    expect((await asCookie(session.cookie, '/api/v1/me')).status).toBe(401);
    expect((await signIn('dave', STRONG)).status).toBe(401);

    expect((await hub.api('/api/v1/users/dave', { method: 'PATCH', json: { disabled: false } })).status).toBe(200);
    expect((await signIn('dave', STRONG)).status).toBe(200);
    expect((await hub.api('/api/v1/users/nobody', { method: 'PATCH', json: { disabled: true } })).status).toBe(404);
  });

  it('changes one’s own password (other sessions end) and lets an admin reset another’s', async () => {
    expect((await post('/users', { username: 'erin', password: STRONG, role: 'viewer' })).status).toBe(201);
    const first = await signIn('erin', STRONG);
    const second = await signIn('erin', STRONG);
    const wrong = await asCookie(first.cookie, '/api/v1/me/password', {
      method: 'POST',
      headers: { 'x-csrf-token': first.csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ currentPassword: 'not it at all', newPassword: 'a brand new passphrase' }),
    });
    expect((await json(wrong)).body.error.code).toBe('SWY_ERR_AUTH_PASSWORD');
    const changed = await asCookie(first.cookie, '/api/v1/me/password', {
      method: 'POST',
      headers: { 'x-csrf-token': first.csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ currentPassword: STRONG, newPassword: 'a brand new passphrase' }),
    });
    expect(changed.status).toBe(204);
    expect((await asCookie(second.cookie, '/api/v1/me')).status).toBe(401);
    expect((await signIn('erin', STRONG)).status).toBe(401);
    expect((await signIn('erin', 'a brand new passphrase')).status).toBe(200);

    const reset = await json(await hub.api('/api/v1/users/erin', { method: 'PATCH', json: { password: 'reset by the admin 42' } }));
    expect(reset.status).toBe(200);
    expect((await signIn('erin', 'reset by the admin 42')).status).toBe(200);
    // A token has no password of its own.
    expect((await json(await post('/me/password', { currentPassword: 'x', newPassword: 'y'.repeat(20) }))).status).toBe(403);
  });

  it('lets a site-limited admin grant only its own sites and roles', async () => {
    const limited = await json(await post('/tokens', { name: 'local-admin', role: 'admin', sites: ['local'] }));
    const token = limited.body.token as string;
    const tryIt = async (path: string, body: unknown) => json(await hub.api(`/api/v1${path}`, { method: 'POST', json: body, token }));
    expect((await tryIt('/users', { username: 'frank', password: STRONG, role: 'admin', sites: null })).body.error.code).toBe('SWY_ERR_AUTH_GRANT');
    expect((await tryIt('/users', { username: 'frank', password: STRONG, role: 'viewer', sites: ['elsewhere'] })).body.error.code).toBe('SWY_ERR_AUTH_GRANT');
    expect((await tryIt('/tokens', { name: 'x', role: 'worker', sites: ['elsewhere'] })).body.error.code).toBe('SWY_ERR_AUTH_GRANT');
    expect((await tryIt('/tokens', { name: 'x', role: 'worker', sites: null })).body.error.code).toBe('SWY_ERR_AUTH_GRANT');
    // Without sites, a site-limited admin's grant defaults to its own sites, never "all".
    const own = await tryIt('/users', { username: 'frank', password: STRONG, role: 'operator' });
    expect(own).toMatchObject({ status: 201, body: { sites: ['local'] } });
    const users = await json(await hub.api('/api/v1/users', { token }));
    expect(users.body.items.map((u: { username: string }) => u.username)).toEqual(['frank']);
    // It cannot lift a user out of its sites, nor touch users of all sites.
    expect((await json(await hub.api('/api/v1/users/frank', { method: 'PATCH', json: { sites: null }, token }))).body.error.code).toBe('SWY_ERR_AUTH_GRANT');
    expect((await json(await hub.api('/api/v1/users/admin', { method: 'PATCH', json: { disabled: true }, token }))).status).toBe(404);
  });

  it('throttles repeated failed sign-ins with Retry-After and audits them in bounded form', async () => {
    expect((await post('/users', { username: 'gina', password: STRONG, role: 'viewer' })).status).toBe(201);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 12; i++) {
      const response = await hub.api('/api/v1/session', { token: null, method: 'POST', json: { username: 'gina', password: `wrong guess ${i}` } });
      statuses.push(response.status);
      if (response.status === 429) retryAfter ??= response.headers.get('retry-after');
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    // While throttled, even the right password waits: guessing gains nothing.
    const during = await hub.api('/api/v1/session', { token: null, method: 'POST', json: { username: 'gina', password: STRONG } });
    expect(during.status).toBe(429);

    const audit = await json(await hub.api('/api/v1/audit?action=login.failed&limit=500'));
    const mine = audit.body.items.filter((a: { actor: string }) => a.actor === 'gina');
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.length).toBeLessThanOrEqual(4);
  });

  it('keeps its data directory and files readable by their owner only', () => {
    expect(statSync(hub.dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(hub.dataDir, 'cli.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(hub.dataDir, 'switchyard.db')).mode & 0o777).toBe(0o600);
  });

  it('signs in with the first admin password', async () => {
    expect((await signIn('admin', ADMIN_PASSWORD)).status).toBe(200);
  });
});
