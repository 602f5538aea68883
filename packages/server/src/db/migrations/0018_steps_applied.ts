import type { Kysely } from 'kysely';
import { timestampType } from './column-types.js';
import type { MigrationContext } from './index.js';

/**
 * `releases.steps_applied_at`: the moment up to which the scheduled steps of a rollout have raised the generation of
 * its host apps' gate answers. A step changes what the gate answers when its time comes, with no write of its own;
 * the scheduled-steps job (releases/scheduled-steps.service.ts) raises the generation once the step is due and
 * records it here, in the same transaction, so that it is raised once per step on every instance and after a
 * restart. Every release operation sets it to its own moment (its own raise covers the steps due by then). Null on
 * the releases made before this: a rollout whose steps already moved it gets one raise at the first start.
 */
export function stepsApplied({ dialect }: MigrationContext) {
  const ts = timestampType(dialect);
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('releases').addColumn('steps_applied_at', ts).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('releases').dropColumn('steps_applied_at').execute();
    },
  };
}
