import { type Kysely, sql } from 'kysely';
import { timestampType } from './column-types.js';
import type { MigrationContext } from './index.js';

/**
 * Users can be disabled (`disabled_at`, null while enabled), API tokens can expire (`expires_at`, null: never),
 * and user names are unique whatever their case: `Alice` and `alice` cannot both exist, so no one can pass for
 * another in the audit log.
 */
export function usersTokens({ dialect }: MigrationContext) {
  return {
    async up(db: Kysely<any>) {
      const clashes = await db
        .selectFrom('users')
        .select([sql<string>`lower(username)`.as('name'), sql<number>`count(*)`.as('n')])
        .groupBy(sql`lower(username)`)
        .having(sql`count(*)`, '>', 1)
        .execute();
      if (clashes.length > 0) {
        // Which account to keep is a person's decision: stop with the names rather than guess.
        throw new Error(
          `user names must be unique whatever their case, but these exist more than once: ${clashes.map((c) => c.name).join(', ')}. ` +
            'Delete all but one of each (DELETE /api/v1/users/{username} on the previous version), then start again.',
        );
      }
      await db.schema.alterTable('users').addColumn('disabled_at', timestampType(dialect)).execute();
      await db.schema.alterTable('api_tokens').addColumn('expires_at', timestampType(dialect)).execute();
      await db.schema.createIndex('users_username_lower_key').on('users').unique().expression(sql`lower(username)`).execute();
      await db.schema.createIndex('audit_events_at_idx').on('audit_events').column('at').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropIndex('audit_events_at_idx').ifExists().execute();
      await db.schema.dropIndex('users_username_lower_key').ifExists().execute();
      await db.schema.alterTable('api_tokens').dropColumn('expires_at').execute();
      await db.schema.alterTable('users').dropColumn('disabled_at').execute();
    },
  };
}
