import type { Kysely, Selectable } from 'kysely';
import type { Role, UpdateUserBody, User } from '@mpop/contracts';
import type { Database, UsersTable } from '../../db/schema.js';
import { isUniqueViolation } from '../../db/connect.js';
import { AppError, notFound, validationFailed } from '../../lib/app-error.js';
import { type PasswordHasher, sha256Hex } from '../../lib/crypto.js';
import { nowIso } from '../../lib/time.js';
import { AuditRepository } from '../audit/audit.repository.js';
import type { Principal } from './auth.service.js';
import { fromStoredRole, toStoredRole } from './roles.js';
import { SessionRepository } from './session.repository.js';
import { TokenRepository } from './token.repository.js';
import { UserRepository } from './user.repository.js';

/** The columns a user is answered from (`ssoSubject` is left out by the reads that do not need it). */
type UserRow = Pick<Selectable<UsersTable>, 'username' | 'role' | 'disabledAt' | 'createdAt'> &
  Partial<Pick<Selectable<UsersTable>, 'ssoSubject'>>;
const toUser = (u: UserRow): User => ({
  username: u.username,
  role: fromStoredRole(u.role),
  sso: (u.ssoSubject ?? null) !== null,
  disabled: u.disabledAt !== null,
  createdAt: u.createdAt,
});

/**
 * Managing console users (admins), and each user's own password. The platform always keeps one enabled admin:
 * the last one can be neither deleted, disabled nor demoted (409 LAST_ADMIN).
 */
export class UserService {
  constructor(
    private readonly db: Kysely<Database>,
    /** Password hashes at the configured cost (MPOP_PASSWORD_HASH_COST). */
    private readonly passwords: PasswordHasher,
  ) {}

  /** Creates the first admin from the environment when no user exists yet. @returns whether one was created. */
  async bootstrapAdmin(username?: string, password?: string): Promise<boolean> {
    if (!username || !password) return false;
    if ((await new UserRepository(this.db).count()) > 0) return false;
    await this.create({ username, password, role: 'admin' }, 'system');
    return true;
  }

  async hasUsers(): Promise<boolean> {
    return (await new UserRepository(this.db).count()) > 0;
  }

  async list(): Promise<User[]> {
    return (await new UserRepository(this.db).list()).map(toUser);
  }

  /**
   * Creates a user; without a role (null) a member-only user, who reaches only the organisations it is made a member
   * of. `actor` names who creates the user in the audit log (`system` at bootstrap), `address` where from.
   */
  async create(input: { username: string; password: string; role?: Role | null }, actor: string, address?: string): Promise<User> {
    const role = input.role ?? null;
    const row = {
      username: input.username,
      passwordHash: await this.passwords.hash(input.password),
      role: toStoredRole(role),
      createdAt: nowIso(),
    };
    try {
      await this.db.transaction().execute(async (trx) => {
        const users = new UserRepository(trx);
        const clash = await users.find(input.username);
        if (clash) throw userExists(input.username, clash.username);
        await users.insert(row);
        await new AuditRepository(trx).record({
          actor,
          address,
          action: 'user.created',
          target: `user:${input.username}`,
          details: { role },
        });
      });
    } catch (err) {
      throw isUniqueViolation(err) ? userExists(input.username) : err;
    }
    return toUser({ ...row, disabledAt: null });
  }

  /**
   * Changes a user's role, enables or disables them, or sets a new password. Disabling and a new password end
   * the user's sessions; a new password also revokes every API token the user made (the audit event counts them);
   * a disabled user's tokens stop working until they are enabled again.
   */
  async update(username: string, patch: UpdateUserBody, actor: Principal): Promise<User> {
    const passwordHash = patch.password === undefined ? undefined : await this.passwords.hash(patch.password);
    return this.db.transaction().execute(async (trx) => {
      const users = new UserRepository(trx);
      const user = await users.find(username);
      if (!user) throw notFound(`User "${username}"`);
      if (passwordHash && user.ssoSubject !== null) {
        throw validationFailed('password', 'cannot be set: this user signs in with single sign-on, through the identity provider');
      }
      const demoted = patch.role !== undefined && patch.role !== 'admin';
      const disabling = patch.disabled === true && user.disabledAt === null;
      if (user.role === 'admin' && user.disabledAt === null && (demoted || disabling) && (await users.lockAndCountEnabledAdmins()) <= 1) {
        throw lastAdmin(user.username, demoted ? 'change the role of' : 'disable');
      }
      const disabledAt = patch.disabled === undefined ? undefined : patch.disabled ? (user.disabledAt ?? nowIso()) : null;
      await users.update(user.username, {
        role: patch.role === undefined ? undefined : toStoredRole(patch.role),
        passwordHash,
        disabledAt,
      });
      if (disabling || passwordHash) await new SessionRepository(trx).deleteForUser(user.username);
      // A new password is the answer to a suspected compromise: tokens the user made could be the thief's, so they
      // end too (disabling only suspends them).
      const tokensRevoked = passwordHash ? await new TokenRepository(trx).deleteForUser(user.username) : 0;
      await new AuditRepository(trx).record({
        actor: actor.actor,
        address: actor.address,
        action: 'user.updated',
        target: `user:${user.username}`,
        // Never the password: only that it was reset.
        details: {
          ...(patch.role !== undefined && toStoredRole(patch.role) !== user.role
            ? { role: patch.role, previousRole: fromStoredRole(user.role) }
            : {}),
          ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
          ...(passwordHash ? { passwordReset: true, tokensRevoked } : {}),
        },
      });
      return toUser({
        ...user,
        role: patch.role === undefined ? user.role : toStoredRole(patch.role),
        disabledAt: disabledAt === undefined ? user.disabledAt : disabledAt,
      });
    });
  }

  async delete(username: string, actor: Principal): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const users = new UserRepository(trx);
      const user = await users.find(username);
      if (!user) throw notFound(`User "${username}"`);
      if (user.role === 'admin' && user.disabledAt === null && (await users.lockAndCountEnabledAdmins()) <= 1) {
        throw lastAdmin(user.username, 'delete');
      }
      await users.delete(user.username);
      await new AuditRepository(trx).record({
        actor: actor.actor,
        address: actor.address,
        action: 'user.deleted',
        target: `user:${user.username}`,
      });
    });
  }

  /**
   * The signed-in user changes their own password, proving the current one. Only a console session may do this
   * (an API token cannot), every other session of the user ends (`sessionCookie` is the one that stays), and every
   * API token the user made is revoked.
   */
  async changeOwnPassword(principal: Principal, sessionCookie: string | undefined, currentPassword: string, newPassword: string) {
    if (principal.via !== 'session' || !sessionCookie) {
      throw new AppError('FORBIDDEN', 'An API token cannot change a password. Sign in to the console and change it there.');
    }
    if (currentPassword === newPassword) throw validationFailed('newPassword', 'must differ from the current password');
    const user = await new UserRepository(this.db).find(principal.username);
    if (!user) throw new AppError('UNAUTHENTICATED', 'Sign in first.');
    if (user.ssoSubject !== null) {
      throw new AppError('FORBIDDEN', 'You sign in with single sign-on: change your password at your identity provider.');
    }
    if (!(await this.passwords.verify(currentPassword, user.passwordHash))) {
      throw new AppError('WRONG_CURRENT_PASSWORD', 'The current password is wrong; nothing was changed.', {
        errors: [{ path: 'currentPassword', message: 'is wrong' }],
      });
    }
    const passwordHash = await this.passwords.hash(newPassword);
    await this.db.transaction().execute(async (trx) => {
      await new UserRepository(trx).update(user.username, { passwordHash });
      await new SessionRepository(trx).deleteForUser(user.username, sha256Hex(sessionCookie));
      const tokensRevoked = await new TokenRepository(trx).deleteForUser(user.username);
      await new AuditRepository(trx).record({
        actor: principal.actor,
        address: principal.address,
        action: 'user.password-changed',
        target: `user:${user.username}`,
        details: { tokensRevoked },
      });
    });
  }
}

const userExists = (username: string, existing = username) =>
  new AppError(
    'USER_EXISTS',
    existing === username
      ? `A user named "${username}" already exists; choose another user name.`
      : `A user named "${existing}" already exists, and user names do not differ by case alone; choose another user name.`,
    { params: { username: existing } },
  );

const lastAdmin = (username: string, what: string) =>
  new AppError(
    'LAST_ADMIN',
    `"${username}" is the last enabled admin; make another user an admin before you ${what} this one, so someone can still manage the platform.`,
  );
