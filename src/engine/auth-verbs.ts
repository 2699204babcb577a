import { type Actor, authorize, grantProblem, manages, type Role, SwitchyardError, SYSTEM_ACTOR } from '../model/index.js';
import { passwordProblem } from '../model/password-policy.js';
import type { TokenRecord, UserRecord } from '../store/store.js';
import type { EngineCore } from './engine-core.js';
import { hashPassword, newSecret, sha256, verifyPassword } from './passwords.js';
import { auditWorthy, SignInThrottle, type SignInThrottleOptions } from './sign-in-throttle.js';

/** How long a console session lasts. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Bearer tokens are checked for revocation on every request; their last use is written at most this often. */
const TOUCH_EVERY_MS = 60_000;

export interface SignedIn {
  actor: Actor;
  /** The session cookie's value: shown to the browser once, stored only as a hash. */
  sessionId: string;
  csrfToken: string;
  expiresAt: number;
}

/** A user as the engine answers it: the stored record without its password hash. */
export type UserView = Omit<UserRecord, 'passwordHash'>;

/** A token as the engine answers it: never its hash (the secret is shown once, at creation). */
export type TokenView = Omit<TokenRecord, 'tokenHash'>;

export interface NewUser {
  username: string;
  password: string;
  role: Role;
  sites?: string[] | null;
  email?: string | null;
}

export interface UserPatch {
  role?: Role;
  sites?: string[] | null;
  disabled?: boolean;
  /** An admin's reset of another user's password. */
  password?: string;
  email?: string | null;
}

/**
 * Credentials: signing in and out, resolving a session or bearer token to an actor, and the
 * lifecycle of users and tokens. Every change is audited; no one grants more than they hold.
 */
export class AuthVerbs {
  private readonly throttle: SignInThrottle;

  constructor(
    private readonly core: EngineCore,
    throttle?: Partial<SignInThrottleOptions>,
  ) {
    this.throttle = new SignInThrottle({ clock: core.clock, ...throttle });
  }

  // ─── Signing in ────────────────────────────────────────────────────────────────────────

  /**
   * Checks a user name and password. Throttled per name, address and pair (SWY_ERR_AUTH_THROTTLED
   * with the wait); failures are audited in aggregate (the 1st, 2nd, 4th… of a pair).
   */
  async signIn(input: { username: string; password: string; address: string }): Promise<SignedIn> {
    const { store, clock } = this.core;
    const attempt = { username: input.username, address: input.address };
    const waitMs = this.throttle.retryAfterMs(attempt);
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      const error = new SwitchyardError('SWY_ERR_AUTH_THROTTLED', `Too many failed sign-ins; try again in ${seconds} s`);
      Object.assign(error, { retryAfterSeconds: seconds });
      throw error;
    }
    const user = await store.findUser(input.username);
    // Verify against a dummy hash when the user is unknown so timing does not reveal which names exist.
    const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok || user.disabled) {
      const failures = this.throttle.fail(attempt);
      if (auditWorthy(failures)) {
        await store.appendAudit({
          at: clock(),
          actor: input.username.slice(0, 200),
          action: 'login.failed',
          data: { address: input.address, failures, ...(user?.disabled && ok ? { disabled: true } : {}) },
        });
      }
      throw new SwitchyardError('SWY_ERR_AUTH_CREDENTIALS');
    }
    this.throttle.succeed(attempt);
    const sessionId = newSecret();
    const csrfToken = newSecret();
    const now = clock();
    const expiresAt = now + SESSION_TTL_MS;
    await store.createSession({ idHash: sha256(sessionId), userId: user.id, csrfToken, expiresAt });
    const actor = userActor(user);
    await this.core.audit(actor, 'login', `user:${user.username}`, null, { address: input.address });
    return { actor, sessionId, csrfToken, expiresAt };
  }

  async signOut(sessionId: string): Promise<void> {
    await this.core.store.deleteSession(sha256(sessionId));
  }

  /** The actor behind a bearer token; unknown, revoked and expired tokens are refused alike. */
  async fromBearer(secret: string): Promise<Actor> {
    const { store, clock } = this.core;
    const token = await store.findToken(sha256(secret));
    const now = clock();
    if (!token || token.revokedAt !== null || (token.expiresAt !== null && token.expiresAt <= now)) {
      throw new SwitchyardError('SWY_ERR_AUTH_REQUIRED', 'Unknown, revoked or expired token');
    }
    // Coarse: one write per token a minute is enough to show when a token was last used.
    if (token.lastUsedAt === null || now - token.lastUsedAt > TOUCH_EVERY_MS) await store.touchToken(token.id, now);
    return tokenActor(token);
  }

  /** The actor and CSRF token behind a session cookie, or null when it is unknown, expired or its user disabled. */
  async fromSession(sessionId: string): Promise<{ actor: Actor; csrfToken: string } | null> {
    const { store, clock } = this.core;
    const session = await store.findSession(sha256(sessionId), clock());
    if (!session) return null;
    const user = await store.getUser(session.userId);
    if (!user || user.disabled) return null;
    return { actor: userActor(user), csrfToken: session.csrfToken };
  }

  // ─── Users ─────────────────────────────────────────────────────────────────────────────

  /** Users the actor manages: all for an all-sites admin, else those within its sites. */
  async listUsers(actor: Actor): Promise<UserView[]> {
    authorize(actor, 'users.manage');
    return (await this.core.store.listUsers()).filter((user) => manages(actor, user.sites)).map(userView);
  }

  async createUser(actor: Actor, input: NewUser): Promise<UserView> {
    authorize(actor, 'users.manage');
    const sites = input.sites === undefined ? (actor.sites === null ? null : [...actor.sites]) : input.sites;
    if (input.role === 'worker') throw grantError('people are viewer, operator or admin; worker is a token role');
    const problem = grantProblem(actor, input.role, sites);
    if (problem) throw grantError(problem);
    requireStrong(input.password, input.username);
    const user = await this.core.store.createUser({
      username: input.username,
      passwordHash: await hashPassword(input.password),
      role: input.role,
      sites,
      email: input.email ?? null,
      createdAt: this.core.clock(),
    });
    await this.core.audit(actor, 'user.create', `user:${user.username}`, null, { role: user.role, sites: user.sites });
    return userView(user);
  }

  /** Changes role, sites, disabled or (an admin's reset) the password; signs the user out everywhere. */
  async updateUser(actor: Actor, username: string, patch: UserPatch): Promise<UserView> {
    authorize(actor, 'users.manage');
    const { store, clock } = this.core;
    const user = await store.findUser(username);
    if (!user || !manages(actor, user.sites)) throw new SwitchyardError('SWY_ERR_USER_NOT_FOUND', `No user named "${username}"`);
    const role = patch.role ?? user.role;
    const sites = patch.sites === undefined ? user.sites : patch.sites;
    if (role === 'worker') throw grantError('people are viewer, operator or admin; worker is a token role');
    const problem = patch.role !== undefined || patch.sites !== undefined ? grantProblem(actor, role, sites) : null;
    if (problem) throw grantError(problem);
    if (patch.disabled === true && actor.ref === `user:${user.id}`) throw grantError('you cannot disable yourself');
    if (patch.password !== undefined) requireStrong(patch.password, user.username);
    const stillAdmin = role === 'admin' && sites === null && !(patch.disabled ?? user.disabled);
    if (isAllSitesAdmin(user) && !stillAdmin && !(await store.listUsers()).some((other) => other.id !== user.id && isAllSitesAdmin(other))) {
      throw grantError(`"${user.username}" is the last enabled administrator of every site; make another one first`);
    }
    const updated = await store.updateUser(
      user.id,
      {
        ...(patch.role !== undefined ? { role: patch.role } : {}),
        ...(patch.sites !== undefined ? { sites: patch.sites } : {}),
        ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
        ...(patch.email !== undefined ? { email: patch.email } : {}),
        ...(patch.password !== undefined ? { passwordHash: await hashPassword(patch.password) } : {}),
      },
      clock(),
    );
    if (!updated) throw new SwitchyardError('SWY_ERR_USER_NOT_FOUND', `No user named "${username}"`);
    await store.deleteSessionsOf(user.id);
    await this.revokeBeyond(actor, updated);
    await this.core.audit(actor, patch.password !== undefined ? 'user.reset-password' : 'user.update', `user:${user.username}`, null, {
      ...(patch.role !== undefined ? { role: patch.role } : {}),
      ...(patch.sites !== undefined ? { sites: patch.sites } : {}),
      ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
    });
    return userView(updated);
  }

  /**
   * A user's tokens hold no more than the user: once the user is disabled, every token they
   * made is revoked; once their role or sites narrow, those granting more than they now hold.
   */
  private async revokeBeyond(actor: Actor, user: UserRecord): Promise<void> {
    const { store, clock } = this.core;
    const holder = userActor(user);
    for (const token of await store.listTokens()) {
      if (token.createdBy !== user.username || token.revokedAt !== null) continue;
      if (!user.disabled && grantProblem(holder, token.role, token.sites) === null) continue;
      await store.revokeToken(token.id, clock());
      await this.core.audit(actor, 'token.revoke', `token:${token.id}`, null, {
        name: token.name,
        reason: user.disabled ? `its creator ${user.username} was disabled` : `its creator ${user.username} no longer holds what it grants`,
      });
    }
  }

  /** A signed-in user changes their own password, proving the current one; other sessions end. */
  async changeOwnPassword(actor: Actor, current: string, next: string): Promise<void> {
    authorize(actor, 'self.password');
    const { store, clock } = this.core;
    const id = actor.ref.startsWith('user:') ? Number(actor.ref.slice(5)) : Number.NaN;
    const user = Number.isInteger(id) ? await store.getUser(id) : null;
    if (!user) throw new SwitchyardError('SWY_ERR_AUTH_FORBIDDEN', 'Only a signed-in user has a password to change');
    if (!(await verifyPassword(current, user.passwordHash))) throw new SwitchyardError('SWY_ERR_AUTH_PASSWORD');
    requireStrong(next, user.username);
    await store.updateUser(user.id, { passwordHash: await hashPassword(next) }, clock());
    await store.deleteSessionsOf(user.id);
    await this.core.audit(actor, 'user.change-password', `user:${user.username}`, null);
  }

  /**
   * Recovery of a lost password by whoever runs the hub's own data directory or database
   * (`switchyard users reset-password NAME`): no actor but the system, audited as such.
   * Re-enables the user. Answers the password set (a random one when none is given).
   */
  async resetPassword(username: string, password: string | null): Promise<string> {
    const { store, clock } = this.core;
    const user = await store.findUser(username);
    if (!user) throw new SwitchyardError('SWY_ERR_USER_NOT_FOUND', `No user named "${username}"`);
    const chosen = password ?? newSecret().slice(0, 24);
    requireStrong(chosen, user.username);
    await store.updateUser(user.id, { passwordHash: await hashPassword(chosen), disabled: false }, clock());
    await store.deleteSessionsOf(user.id);
    await this.core.audit(SYSTEM_ACTOR, 'user.reset-password', `user:${user.username}`, null, { offline: true });
    return chosen;
  }

  /**
   * Creates the first `admin` when there are no users. A password from the environment must
   * pass the policy; otherwise a random one is made and answered (shown once).
   */
  async bootstrapAdmin(password: string | null): Promise<string | null> {
    const { store, clock } = this.core;
    if ((await store.countUsers()) > 0) return null;
    if (password !== null) {
      const problem = passwordProblem(password, { username: 'admin' });
      if (problem) throw new SwitchyardError('SWY_ERR_PASSWORD_WEAK', `SWITCHYARD_ADMIN_PASSWORD is too weak: ${problem}`);
    }
    const chosen = password ?? newSecret().slice(0, 20);
    try {
      await store.createUser({ username: 'admin', passwordHash: await hashPassword(chosen), role: 'admin', sites: null, createdAt: clock() });
    } catch (error) {
      // Another hub on the same database started at the same moment and made it first.
      if (error instanceof SwitchyardError && error.code === 'SWY_ERR_USER_EXISTS') return null;
      throw error;
    }
    await this.core.audit(SYSTEM_ACTOR, 'user.create', 'user:admin', null, { role: 'admin', bootstrap: true });
    return password ? null : chosen;
  }

  // ─── Tokens ────────────────────────────────────────────────────────────────────────────

  async listTokens(actor: Actor): Promise<TokenView[]> {
    authorize(actor, 'tokens.manage');
    return (await this.core.store.listTokens()).filter((token) => manages(actor, token.sites)).map(tokenView);
  }

  /** Creates a token; the secret is answered once and stored only as a hash. */
  async createToken(
    actor: Actor,
    input: { name: string; role: Role; sites?: string[] | null; expiresAt?: number | null },
  ): Promise<TokenView & { token: string }> {
    authorize(actor, 'tokens.manage');
    const sites = input.sites === undefined ? (actor.sites === null ? null : [...actor.sites]) : input.sites;
    const problem = grantProblem(actor, input.role, sites);
    if (problem) throw grantError(problem);
    const now = this.core.clock();
    if (input.expiresAt !== undefined && input.expiresAt !== null && input.expiresAt <= now) {
      throw new SwitchyardError('SWY_ERR_VALIDATION', 'body.expiresAt: must be in the future', [{ path: 'body.expiresAt', message: 'must be in the future' }]);
    }
    const secret = newSecret('swy_');
    const token = await this.core.store.createToken({
      name: input.name,
      tokenHash: sha256(secret),
      role: input.role,
      sites,
      createdBy: actor.name,
      createdAt: now,
      expiresAt: input.expiresAt ?? null,
    });
    await this.core.audit(actor, 'token.create', `token:${token.id}`, null, { name: token.name, role: token.role, sites: token.sites });
    return { ...tokenView(token), token: secret };
  }

  /** Revokes a token at once: the next request that carries it is refused. */
  async revokeToken(actor: Actor, id: number): Promise<TokenView> {
    authorize(actor, 'tokens.manage');
    const { store, clock } = this.core;
    const token = await store.getToken(id);
    if (!token || !manages(actor, token.sites)) throw new SwitchyardError('SWY_ERR_TOKEN_NOT_FOUND', `No token with id ${id}`);
    const revoked = await store.revokeToken(id, clock());
    if (!revoked) throw new SwitchyardError('SWY_ERR_TOKEN_NOT_FOUND', `No token with id ${id}`);
    await this.core.audit(actor, 'token.revoke', `token:${id}`, null, { name: token.name });
    return tokenView(revoked);
  }

  /**
   * The admin token the CLI on the hub's machine uses: the saved one while it stays valid,
   * else a new one (the caller writes it to the data directory, readable by its owner only).
   */
  async localCliToken(saved: string | null): Promise<string> {
    const { store, clock } = this.core;
    if (saved) {
      const token = await store.findToken(sha256(saved));
      if (token && token.revokedAt === null && (token.expiresAt === null || token.expiresAt > clock())) return saved;
    }
    const secret = newSecret('swy_');
    await store.createToken({
      name: 'local-cli',
      tokenHash: sha256(secret),
      role: 'admin',
      sites: null,
      createdBy: 'system',
      createdAt: clock(),
      expiresAt: null,
    });
    return secret;
  }
}

function isAllSitesAdmin(user: UserRecord): boolean {
  return user.role === 'admin' && user.sites === null && !user.disabled;
}

export function userActor(user: UserRecord): Actor {
  return { name: user.username, role: user.role, sites: user.sites, ref: `user:${user.id}` };
}

export function tokenActor(token: TokenRecord): Actor {
  return { name: `token:${token.name}`, role: token.role, sites: token.sites, ref: `token:${token.id}` };
}

function userView({ passwordHash: _hash, ...user }: UserRecord): UserView {
  return user;
}

function tokenView({ tokenHash: _hash, ...token }: TokenRecord): TokenView {
  return token;
}

function requireStrong(password: string, username: string): void {
  const problem = passwordProblem(password, { username });
  if (problem) throw new SwitchyardError('SWY_ERR_PASSWORD_WEAK', problem, [{ path: 'body.password', message: problem }]);
}

function grantError(problem: string): SwitchyardError {
  return new SwitchyardError('SWY_ERR_AUTH_GRANT', problem);
}

const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
