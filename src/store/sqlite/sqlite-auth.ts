import type { Database } from 'better-sqlite3';
import { createRowMapper, type DbRow } from '../rows.js';
import type { NewToken, NewUser, SessionRecord, TokenRecord, UserPatch, UserRecord } from '../store.js';

const sitesText = (sites: string[] | null) => (sites === null ? null : JSON.stringify(sites));

const map = createRowMapper({ jsonAsText: true });
const toUser = map.user;
const toToken = map.token;

/** Users, sessions and API tokens on SQLite. Secrets are stored only as hashes. */
export class SqliteAuth {
  constructor(private readonly db: Database) {}

  countUsers(): number {
    return Number((this.db.prepare('SELECT count(*) AS n FROM users').get() as DbRow).n);
  }

  createUser(user: NewUser): UserRecord {
    const disabled = user.disabled ?? false;
    const info = this.db
      .prepare('INSERT INTO users (username, password_hash, role, sites, disabled, created_at, email) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(user.username, user.passwordHash, user.role, sitesText(user.sites), disabled ? 1 : 0, user.createdAt, user.email ?? null);
    return { ...user, id: Number(info.lastInsertRowid), disabled, passwordChangedAt: null, email: user.email ?? null };
  }

  findUser(username: string): UserRecord | null {
    const row = this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as DbRow | undefined;
    return row ? toUser(row) : null;
  }

  getUser(id: number): UserRecord | null {
    const row = this.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as DbRow | undefined;
    return row ? toUser(row) : null;
  }

  listUsers(): UserRecord[] {
    return (this.db.prepare('SELECT * FROM users ORDER BY username').all() as DbRow[]).map(toUser);
  }

  updateUser(id: number, patch: UserPatch, now: number): UserRecord | null {
    const sets: string[] = [];
    const params: unknown[] = [];
    const set = (column: string, value: unknown) => {
      sets.push(`${column} = ?`);
      params.push(value);
    };
    if (patch.role !== undefined) set('role', patch.role);
    if (patch.sites !== undefined) set('sites', sitesText(patch.sites));
    if (patch.email !== undefined) set('email', patch.email);
    if (patch.disabled !== undefined) set('disabled', patch.disabled ? 1 : 0);
    if (patch.passwordHash !== undefined) {
      set('password_hash', patch.passwordHash);
      set('password_changed_at', now);
    }
    if (sets.length === 0) return this.getUser(id);
    const row = this.db.prepare(`UPDATE users SET ${sets.join(', ')} WHERE id = ? RETURNING *`).get(...params, id) as DbRow | undefined;
    return row ? toUser(row) : null;
  }

  setUserPassword(id: number, passwordHash: string): void {
    this.db.prepare('UPDATE users SET password_hash = ? WHERE id = ?').run(passwordHash, id);
  }

  createSession(session: SessionRecord): void {
    this.db
      .prepare('INSERT INTO sessions (id_hash, user_id, csrf_token, expires_at) VALUES (?, ?, ?, ?)')
      .run(session.idHash, session.userId, session.csrfToken, session.expiresAt);
  }

  findSession(idHash: string, now: number): SessionRecord | null {
    const row = this.db.prepare('SELECT * FROM sessions WHERE id_hash = ? AND expires_at > ?').get(idHash, now) as DbRow | undefined;
    if (!row) return null;
    return { idHash: row.id_hash as string, userId: Number(row.user_id), csrfToken: row.csrf_token as string, expiresAt: Number(row.expires_at) };
  }

  deleteSession(idHash: string): void {
    this.db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(idHash);
  }

  deleteSessionsOf(userId: number): number {
    return this.db.prepare('DELETE FROM sessions WHERE user_id = ?').run(userId).changes;
  }

  createToken(token: NewToken): TokenRecord {
    const expiresAt = token.expiresAt ?? null;
    const info = this.db
      .prepare('INSERT INTO tokens (name, token_hash, role, sites, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(token.name, token.tokenHash, token.role, sitesText(token.sites), token.createdBy, token.createdAt, expiresAt);
    return { ...token, id: Number(info.lastInsertRowid), lastUsedAt: null, expiresAt, revokedAt: null };
  }

  getToken(id: number): TokenRecord | null {
    const row = this.db.prepare('SELECT * FROM tokens WHERE id = ?').get(id) as DbRow | undefined;
    return row ? toToken(row) : null;
  }

  revokeToken(id: number, now: number): TokenRecord | null {
    const row = this.db.prepare('UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? RETURNING *').get(now, id) as DbRow | undefined;
    return row ? toToken(row) : null;
  }

  findToken(tokenHash: string): TokenRecord | null {
    const row = this.db.prepare('SELECT * FROM tokens WHERE token_hash = ?').get(tokenHash) as DbRow | undefined;
    return row ? toToken(row) : null;
  }

  listTokens(): TokenRecord[] {
    return (this.db.prepare('SELECT * FROM tokens ORDER BY id').all() as DbRow[]).map(toToken);
  }

  touchToken(id: number, now: number): void {
    this.db.prepare('UPDATE tokens SET last_used_at = ? WHERE id = ?').run(now, id);
  }
}
