import { SwitchyardError } from '../../model/index.js';
import { createRowMapper } from '../rows.js';
import type { NewToken, NewUser, SessionRecord, TokenRecord, UserPatch, UserRecord } from '../store.js';
import { firstRow, pgJson, type Queryable, rows } from './postgres-pool.js';

const sitesJson = (sites: string[] | null) => (sites === null ? null : pgJson(sites));

const map = createRowMapper({ jsonAsText: false });
const toUser = map.user;
const toToken = map.token;

/** Users, sessions and API tokens on PostgreSQL. Secrets are stored only as hashes. */
export class PostgresAuth {
  constructor(private readonly db: Queryable) {}

  async countUsers(): Promise<number> {
    return Number((await firstRow(this.db, 'SELECT count(*) AS n FROM users'))?.n ?? 0);
  }

  /** Two hubs creating the same user at once: the unique name decides, and the loser is told. */
  async createUser(user: NewUser): Promise<UserRecord> {
    const disabled = user.disabled ?? false;
    const row = await firstRow(
      this.db,
      `INSERT INTO users (username, password_hash, role, sites, disabled, created_at, email) VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)
       ON CONFLICT (username) DO NOTHING RETURNING id`,
      [user.username, user.passwordHash, user.role, sitesJson(user.sites), disabled, user.createdAt, user.email ?? null],
    );
    if (!row) throw new SwitchyardError('SWY_ERR_USER_EXISTS', `A user named "${user.username}" exists`);
    return { ...user, id: Number(row.id), disabled, passwordChangedAt: null, email: user.email ?? null };
  }

  async findUser(username: string): Promise<UserRecord | null> {
    const row = await firstRow(this.db, 'SELECT * FROM users WHERE username = $1', [username]);
    return row ? toUser(row) : null;
  }

  async getUser(id: number): Promise<UserRecord | null> {
    const row = await firstRow(this.db, 'SELECT * FROM users WHERE id = $1', [id]);
    return row ? toUser(row) : null;
  }

  async listUsers(): Promise<UserRecord[]> {
    return (await rows(this.db, 'SELECT * FROM users ORDER BY username')).map(toUser);
  }

  async updateUser(id: number, patch: UserPatch, now: number): Promise<UserRecord | null> {
    const sets: string[] = [];
    const params: unknown[] = [];
    const set = (column: string, value: unknown, cast = '') => {
      params.push(value);
      sets.push(`${column} = $${params.length}${cast}`);
    };
    if (patch.role !== undefined) set('role', patch.role);
    if (patch.sites !== undefined) set('sites', sitesJson(patch.sites), '::jsonb');
    if (patch.email !== undefined) set('email', patch.email);
    if (patch.disabled !== undefined) set('disabled', patch.disabled);
    if (patch.passwordHash !== undefined) {
      set('password_hash', patch.passwordHash);
      set('password_changed_at', now);
    }
    if (sets.length === 0) return this.getUser(id);
    params.push(id);
    const row = await firstRow(this.db, `UPDATE users SET ${sets.join(', ')} WHERE id = $${params.length} RETURNING *`, params);
    return row ? toUser(row) : null;
  }

  async setUserPassword(id: number, passwordHash: string): Promise<void> {
    await this.db.query('UPDATE users SET password_hash = $1 WHERE id = $2', [passwordHash, id]);
  }

  async createSession(session: SessionRecord): Promise<void> {
    await this.db.query('INSERT INTO sessions (id_hash, user_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4)', [
      session.idHash,
      session.userId,
      session.csrfToken,
      session.expiresAt,
    ]);
  }

  async findSession(idHash: string, now: number): Promise<SessionRecord | null> {
    const row = await firstRow(this.db, 'SELECT * FROM sessions WHERE id_hash = $1 AND expires_at > $2', [idHash, now]);
    if (!row) return null;
    return { idHash: row.id_hash as string, userId: Number(row.user_id), csrfToken: row.csrf_token as string, expiresAt: Number(row.expires_at) };
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.db.query('DELETE FROM sessions WHERE id_hash = $1', [idHash]);
  }

  async deleteSessionsOf(userId: number): Promise<number> {
    return (await this.db.query('DELETE FROM sessions WHERE user_id = $1', [userId])).rowCount ?? 0;
  }

  async createToken(token: NewToken): Promise<TokenRecord> {
    const expiresAt = token.expiresAt ?? null;
    const row = await firstRow(
      this.db,
      `INSERT INTO tokens (name, token_hash, role, sites, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7) RETURNING id`,
      [token.name, token.tokenHash, token.role, sitesJson(token.sites), token.createdBy, token.createdAt, expiresAt],
    );
    return { ...token, id: Number(row?.id), lastUsedAt: null, expiresAt, revokedAt: null };
  }

  async getToken(id: number): Promise<TokenRecord | null> {
    const row = await firstRow(this.db, 'SELECT * FROM tokens WHERE id = $1', [id]);
    return row ? toToken(row) : null;
  }

  async revokeToken(id: number, now: number): Promise<TokenRecord | null> {
    const row = await firstRow(this.db, 'UPDATE tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 RETURNING *', [now, id]);
    return row ? toToken(row) : null;
  }

  async findToken(tokenHash: string): Promise<TokenRecord | null> {
    const row = await firstRow(this.db, 'SELECT * FROM tokens WHERE token_hash = $1', [tokenHash]);
    return row ? toToken(row) : null;
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (await rows(this.db, 'SELECT * FROM tokens ORDER BY id')).map(toToken);
  }

  async touchToken(id: number, now: number): Promise<void> {
    await this.db.query('UPDATE tokens SET last_used_at = $1 WHERE id = $2', [now, id]);
  }
}
