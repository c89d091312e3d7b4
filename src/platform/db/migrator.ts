import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import type { Database } from './database.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url));

export interface Migration {
  name: string;
  script: string;
  checksum: string;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((name) => {
      const script = readFileSync(join(dir, name), 'utf8');
      return { name, script, checksum: createHash('sha256').update(script).digest('hex') };
    });
}

/**
 * Applies pending migrations in one transaction under an advisory lock, so that several
 * processes starting at once apply each migration exactly once. An applied migration whose
 * file changed afterwards stops start-up: the schema would no longer match the code.
 */
export async function migrate(
  database: Database,
  migrations = loadMigrations(),
): Promise<string[]> {
  const applied: string[] = [];
  await database.db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(7262771)`.execute(tx);
    await sql`create table if not exists schema_migrations (
      name text primary key,
      checksum text not null,
      applied_at timestamptz not null default now()
    )`.execute(tx);
    const rows = await tx.selectFrom('schema_migrations').select(['name', 'checksum']).execute();
    const done = new Map(rows.map((r: { name: string; checksum: string }) => [r.name, r.checksum]));
    for (const m of migrations) {
      const sum = done.get(m.name);
      if (sum !== undefined) {
        if (sum !== m.checksum) {
          throw new Error(
            `migration ${m.name} was changed after it was applied; add a new migration instead`,
          );
        }
        continue;
      }
      await database.execScript(tx, m.script);
      await tx
        .insertInto('schema_migrations')
        .values({ name: m.name, checksum: m.checksum })
        .execute();
      applied.push(m.name);
    }
  });
  return applied;
}
