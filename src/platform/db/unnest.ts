import { sql, type RawBuilder } from 'kysely';

/** A column of a set-at-a-time insert: its name and PostgreSQL type. */
export type Column = readonly [name: string, type: string];

/**
 * `insert into <table> (cols) select * from unnest($1::t1[], $2::t2[], …)`: one parameter per
 * column however many rows, instead of one per value. A batch of hundreds of rows then costs
 * the server one short statement to parse and plan rather than one with thousands of
 * placeholders, and the client compiles no per-value SQL. Rows are inserted in the order
 * given, so serial keys follow it.
 */
export function unnestInsert(
  table: string,
  columns: readonly Column[],
  rows: ReadonlyArray<readonly unknown[]>,
): RawBuilder<unknown> {
  const arrays = columns.map((_, i) => rows.map((r) => r[i] ?? null));
  const names = sql.join(columns.map(([n]) => sql.ref(n)));
  const params = sql.join(
    columns.map(([, type], i) => sql`${sql.val(arrays[i])}::${sql.raw(type)}[]`),
  );
  return sql`insert into ${sql.table(table)} (${names}) select * from unnest(${params})`;
}
