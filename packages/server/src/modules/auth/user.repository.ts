import type { Role } from '@mpop/contracts';
import type { Executor } from '../../db/executor.js';

export class UserRepository {
  constructor(private readonly db: Executor) {}

  /** @returns the user, or undefined when there is none of that name. */
  find(username: string) {
    return this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  }

  list() {
    return this.db.selectFrom('users').select(['username', 'role', 'createdAt']).orderBy('username').execute();
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

  async insert(user: { username: string; passwordHash: string; role: Role; createdAt: string }) {
    await this.db.insertInto('users').values(user).execute();
  }

  /** @returns whether a user was deleted. Their sessions and tokens go with them (foreign keys cascade). */
  async delete(username: string): Promise<boolean> {
    const r = await this.db.deleteFrom('users').where('username', '=', username).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
