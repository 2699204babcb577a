import { describe, expect, it } from 'vitest';
import { type StoreHarness, useFreshStore } from '../helpers/store-harness.js';

const T0 = 1_700_000_000_000;

/**
 * Users, sessions, tokens and the audit trail: what the API's sign-in, sign-out-everywhere,
 * token revocation and scoped audit views rely on. Run against every backend.
 */
export function describeAuthConformance(harness: StoreHarness): void {
  describe(`auth conformance: ${harness.name}`, () => {
    const store = useFreshStore(harness);

    describe('users', () => {
      it('creates users enabled, with no password change recorded', async () => {
        const user = await store().createUser({ username: 'ann', passwordHash: 'h', role: 'operator', sites: ['east'], createdAt: T0 });
        expect(user).toMatchObject({ disabled: false, passwordChangedAt: null });
        expect(await store().getUser(user.id)).toEqual(user);
        const off = await store().createUser({ username: 'bob', passwordHash: 'h', role: 'viewer', sites: null, createdAt: T0, disabled: true });
        expect(await store().findUser('bob')).toEqual(off);
        expect(off.disabled).toBe(true);
      });

      it('updates role, sites and disabled, leaving absent keys as they are', async () => {
        const user = await store().createUser({ username: 'ann', passwordHash: 'h', role: 'operator', sites: ['east'], createdAt: T0 });
        const updated = await store().updateUser(user.id, { role: 'admin', sites: null, disabled: true }, T0 + 5);
        expect(updated).toEqual({ ...user, role: 'admin', sites: null, disabled: true });
        expect(await store().getUser(user.id)).toEqual(updated);
        const again = await store().updateUser(user.id, { sites: ['west', 'east'], disabled: false }, T0 + 6);
        expect(again).toEqual({ ...user, role: 'admin', sites: ['west', 'east'], disabled: false });
        expect(await store().updateUser(user.id, {}, T0 + 7)).toEqual(again);
      });

      it('records when the password changed', async () => {
        const user = await store().createUser({ username: 'ann', passwordHash: 'h', role: 'viewer', sites: null, createdAt: T0 });
        const updated = await store().updateUser(user.id, { passwordHash: 'h2' }, T0 + 9);
        expect(updated).toMatchObject({ passwordHash: 'h2', passwordChangedAt: T0 + 9, role: 'viewer' });
        expect(await store().findUser('ann')).toEqual(updated);
      });

      it('answers null when updating a user that does not exist', async () => {
        expect(await store().updateUser(999, { disabled: true }, T0)).toBeNull();
        expect(await store().updateUser(999, {}, T0)).toBeNull();
      });

      it('signs a user out everywhere, leaving other users signed in', async () => {
        const ann = await store().createUser({ username: 'ann', passwordHash: 'h', role: 'viewer', sites: null, createdAt: T0 });
        const bob = await store().createUser({ username: 'bob', passwordHash: 'h', role: 'viewer', sites: null, createdAt: T0 });
        await store().createSession({ idHash: 'a1', userId: ann.id, csrfToken: 'c', expiresAt: T0 + 100 });
        await store().createSession({ idHash: 'a2', userId: ann.id, csrfToken: 'c', expiresAt: T0 + 100 });
        await store().createSession({ idHash: 'b1', userId: bob.id, csrfToken: 'c', expiresAt: T0 + 100 });
        expect(await store().deleteSessionsOf(ann.id)).toBe(2);
        expect(await store().findSession('a1', T0)).toBeNull();
        expect(await store().findSession('a2', T0)).toBeNull();
        expect(await store().findSession('b1', T0)).toMatchObject({ userId: bob.id });
        expect(await store().deleteSessionsOf(ann.id)).toBe(0);
      });
    });

    describe('tokens', () => {
      const base = { name: 'ci', role: 'worker' as const, sites: ['east'], createdBy: 'admin', createdAt: T0 };

      it('creates tokens in force, without expiry unless given', async () => {
        const plain = await store().createToken({ ...base, tokenHash: 'h1' });
        expect(plain).toMatchObject({ expiresAt: null, revokedAt: null, lastUsedAt: null });
        const expiring = await store().createToken({ ...base, tokenHash: 'h2', expiresAt: T0 + 1000 });
        expect(expiring.expiresAt).toBe(T0 + 1000);
        expect(await store().getToken(plain.id)).toEqual(plain);
        expect(await store().getToken(expiring.id)).toEqual(expiring);
        expect(await store().findToken('h2')).toEqual(expiring);
        expect(await store().getToken(999)).toBeNull();
      });

      it('revokes a token once: again keeps the first instant; unknown ids answer null', async () => {
        const token = await store().createToken({ ...base, tokenHash: 'h1' });
        const other = await store().createToken({ ...base, tokenHash: 'h2' });
        expect(await store().revokeToken(token.id, T0 + 5)).toEqual({ ...token, revokedAt: T0 + 5 });
        expect(await store().revokeToken(token.id, T0 + 9)).toEqual({ ...token, revokedAt: T0 + 5 });
        expect(await store().revokeToken(999, T0)).toBeNull();
        expect(await store().getToken(other.id)).toEqual(other);
      });

      it('still finds and lists revoked and expired tokens: the engine decides what they mean', async () => {
        const revoked = await store().createToken({ ...base, tokenHash: 'h1' });
        const expired = await store().createToken({ ...base, tokenHash: 'h2', expiresAt: T0 + 1 });
        await store().revokeToken(revoked.id, T0 + 2);
        expect(await store().findToken('h1')).toMatchObject({ id: revoked.id, revokedAt: T0 + 2 });
        expect(await store().findToken('h2')).toMatchObject({ id: expired.id, expiresAt: T0 + 1, revokedAt: null });
        expect((await store().listTokens()).map((t) => [t.id, t.revokedAt])).toEqual([
          [revoked.id, T0 + 2],
          [expired.id, null],
        ]);
      });
    });

    describe('audit', () => {
      const entries = async () => {
        await store().appendAudit({ at: T0, actor: 'ann', action: 'job.cancel', target: 'job:1', site: 'east' });
        await store().appendAudit({ at: T0 + 1, actor: 'bob', action: 'session.login' });
        await store().appendAudit({ at: T0 + 2, actor: 'ann', action: 'job.pause', target: 'job:2', site: 'west' });
        await store().appendAudit({ at: T0 + 3, actor: 'bob', action: 'token.create', target: 'token:1' });
        await store().appendAudit({ at: T0 + 4, actor: 'bob', action: 'jobs.export', site: 'east' });
        await store().appendAudit({ at: T0 + 5, actor: 'ann', action: 'job_x', site: 'east' });
      };
      const actions = async (query: Partial<Parameters<ReturnType<typeof store>['listAudit']>[0]>) =>
        (await store().listAudit({ sites: null, limit: 50, ...query })).items.map((a) => a.action);

      it('gives site-scoped readers the entries of their sites only, never the site-less ones', async () => {
        await entries();
        expect(await actions({ sites: ['east'] })).toEqual(['job_x', 'jobs.export', 'job.cancel']);
        expect(await actions({ sites: ['west', 'north'] })).toEqual(['job.pause']);
        expect(await actions({ sites: [] })).toEqual([]);
        expect(await actions({ sites: null })).toHaveLength(6);
      });

      it('filters by actor, action prefix, site and time, and pages through the result', async () => {
        await entries();
        expect(await actions({ actor: 'bob' })).toEqual(['jobs.export', 'token.create', 'session.login']);
        // `.` and `_` are literal: 'job.' matches neither 'jobs.export' nor 'job_x'.
        expect(await actions({ action: 'job.' })).toEqual(['job.pause', 'job.cancel']);
        expect(await actions({ action: 'job_' })).toEqual(['job_x']);
        expect(await actions({ site: 'east', actor: 'ann' })).toEqual(['job_x', 'job.cancel']);
        expect(await actions({ sites: ['west'], site: 'east' })).toEqual([]);
        expect(await actions({ from: T0 + 1, to: T0 + 3 })).toEqual(['token.create', 'job.pause', 'session.login']);
        const first = await store().listAudit({ sites: null, actor: 'ann', limit: 2 });
        expect(first.items.map((a) => a.action)).toEqual(['job_x', 'job.pause']);
        const next = await store().listAudit({ sites: null, actor: 'ann', limit: 2, cursor: first.nextCursor });
        expect(next).toMatchObject({ items: [{ action: 'job.cancel' }], nextCursor: null });
      });
    });
  });
}
