import type { Kysely } from 'kysely';

/**
 * A company's admins found by index. Every message's audience includes them, and with an
 * index on `company_id` alone each lookup read every operator of the company to keep the
 * admins. `(company_id, role)` serves that lookup and, by its prefix, everything that
 * `operators_company` served, which goes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('operators_company_role').on('operators').columns(['company_id', 'role']).execute();
  await db.schema.dropIndex('operators_company').execute();
}
