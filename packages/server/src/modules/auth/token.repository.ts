import type { StoredRole } from '../../db/schema.js';
import { type Executor, prepared } from '../../db/executor.js';

const PUBLIC_COLUMNS = ['id', 'name', 'role', 'createdBy', 'createdAt', 'lastUsedAt', 'expiresAt'] as const;

/** API tokens; only the SHA-256 of a token is stored, and no read returns it. */
export class TokenRepository {
  constructor(private readonly db: Executor) {}

  async insert(t: {
    id: string;
    name: string;
    role: StoredRole;
    tokenHash: string;
    createdBy: string;
    createdAt: string;
    expiresAt: string | null;
  }) {
    await this.db
      .insertInto('apiTokens')
      .values({ ...t, lastUsedAt: null })
      .execute();
  }

  list(createdBy?: string) {
    let q = this.db.selectFrom('apiTokens').select(PUBLIC_COLUMNS).orderBy('createdAt', 'desc');
    if (createdBy) q = q.where('createdBy', '=', createdBy);
    return q.execute();
  }

  find(id: string) {
    return this.db.selectFrom('apiTokens').select(PUBLIC_COLUMNS).where('id', '=', id).executeTakeFirst();
  }

  /**
   * @returns the token with its creator's current role and state, or undefined. The service decides what an
   * expired token or a disabled creator means.
   */
  findByHash(tokenHash: string) {
    return this.db
      .selectFrom('apiTokens')
      .modifyFront(prepared)
      .innerJoin('users', 'users.username', 'apiTokens.createdBy')
      .select([
        'apiTokens.id',
        'apiTokens.name',
        'apiTokens.role',
        'apiTokens.createdBy',
        'apiTokens.lastUsedAt',
        'apiTokens.expiresAt',
        'users.role as creatorRole',
        'users.disabledAt as creatorDisabledAt',
      ])
      .where('apiTokens.tokenHash', '=', tokenHash)
      .executeTakeFirst();
  }

  async touch(id: string, at: string) {
    await this.db.updateTable('apiTokens').set({ lastUsedAt: at }).where('id', '=', id).execute();
  }

  /** Revokes every token a user made. @returns how many there were. */
  async deleteForUser(createdBy: string): Promise<number> {
    const r = await this.db.deleteFrom('apiTokens').where('createdBy', '=', createdBy).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('apiTokens').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
