import type { Role } from '@mpop/contracts';
import type { Executor } from '../../db/executor.js';

export class UserRepository {
  constructor(private readonly db: Executor) {}

  /** @returns the user, or undefined when there is none of that name. */
  find(username: string) {
    return this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  }

  /** @returns the user created by single sign-on for this identity, or undefined. */
  findBySso(issuer: string, subject: string) {
    return this.db.selectFrom('users').selectAll().where('ssoIssuer', '=', issuer).where('ssoSubject', '=', subject).executeTakeFirst();
  }

  async list() {
    const rows = await this.db.selectFrom('users').select(['username', 'role', 'createdAt', 'ssoSubject']).orderBy('username').execute();
    return rows.map(({ ssoSubject, ...u }) => ({ ...u, sso: ssoSubject !== null }));
  }

  async setRole(username: string, role: Role) {
    await this.db.updateTable('users').set({ role }).where('username', '=', username).execute();
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async countAdmins(): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .where('role', '=', 'admin')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async insert(user: {
    username: string;
    passwordHash: string;
    role: Role;
    createdAt: string;
    ssoIssuer?: string | null;
    ssoSubject?: string | null;
  }) {
    await this.db.insertInto('users').values(user).execute();
  }

  /** @returns whether a user was deleted. Their sessions and tokens go with them (foreign keys cascade). */
  async delete(username: string): Promise<boolean> {
    const r = await this.db.deleteFrom('users').where('username', '=', username).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
