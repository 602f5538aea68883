import type { StoredRole } from '../../db/schema.js';
import type { Executor } from '../../db/executor.js';

const PUBLIC_COLUMNS = ['username', 'role', 'disabledAt', 'createdAt', 'ssoSubject'] as const;

/** Console users. User names are unique whatever their case: every lookup by name ignores case. */
export class UserRepository {
  constructor(private readonly db: Executor) {}

  /** @returns the user (with the stored spelling of the name), or undefined when there is none of that name. */
  find(username: string) {
    return this.db
      .selectFrom('users')
      .selectAll()
      .where((eb) => eb(eb.fn('lower', ['username']), '=', username.toLowerCase()))
      .executeTakeFirst();
  }

  /** @returns the user created by single sign-on for this identity, or undefined. */
  findBySso(issuer: string, subject: string) {
    return this.db.selectFrom('users').selectAll().where('ssoIssuer', '=', issuer).where('ssoSubject', '=', subject).executeTakeFirst();
  }

  list() {
    return this.db.selectFrom('users').select(PUBLIC_COLUMNS).orderBy('username').execute();
  }

  async setRole(username: string, role: StoredRole) {
    await this.db.updateTable('users').set({ role }).where('username', '=', username).execute();
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Locks the rows of the enabled admins until the transaction ends, then counts them. Two admins demoted or
   * disabled at once on PostgreSQL would otherwise each see the other still enabled and both succeed, leaving
   * none. The no-op UPDATE takes the row locks on both dialects (SQLite serialises writing transactions anyway),
   * and a transaction that waited for them counts again with the committed rows.
   */
  async lockAndCountEnabledAdmins(): Promise<number> {
    await this.db
      .updateTable('users')
      .set((eb) => ({ role: eb.ref('role') }))
      .where('role', '=', 'admin')
      .where('disabledAt', 'is', null)
      .execute();
    const row = await this.db
      .selectFrom('users')
      .where('role', '=', 'admin')
      .where('disabledAt', 'is', null)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async insert(user: {
    username: string;
    passwordHash: string;
    role: StoredRole;
    createdAt: string;
    ssoIssuer?: string | null;
    ssoSubject?: string | null;
  }) {
    await this.db
      .insertInto('users')
      .values({ ...user, disabledAt: null })
      .execute();
  }

  /** Changes the named user (stored spelling). */
  async update(username: string, patch: { role?: StoredRole; passwordHash?: string; disabledAt?: string | null }) {
    await this.db.updateTable('users').set(patch).where('username', '=', username).execute();
  }

  /**
   * Replaces a password hash with one of the same password at the current cost, unless the password changed since it
   * was read (`from` is no longer the stored hash): a concurrent change is never undone.
   */
  async replacePasswordHash(username: string, from: string, to: string): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ passwordHash: to })
      .where('username', '=', username)
      .where('passwordHash', '=', from)
      .execute();
  }

  /** @returns whether a user was deleted. Their sessions and tokens go with them (foreign keys cascade). */
  async delete(username: string): Promise<boolean> {
    const r = await this.db.deleteFrom('users').where('username', '=', username).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
