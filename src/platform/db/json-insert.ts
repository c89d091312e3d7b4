import { sql, type RawBuilder } from 'kysely';

/**
 * `insert into <table> (cols) select cols from json_populate_recordset(null::<table>, $1)`:
 * a whole batch of rows as one JSON parameter. The server parses one statement with one
 * parameter however many rows there are (a multi-row VALUES list has one placeholder per value
 * and grows past PostgreSQL's 65,535-parameter cap), and the client serialises the batch with
 * the runtime's native JSON encoder instead of escaping every value into SQL array literals.
 * Values take the table's own column types; json/jsonb columns take nested JSON as is. Rows
 * are inserted in the order given, so serial keys follow it.
 */
export function jsonInsert(
  table: string,
  columns: readonly string[],
  rows: readonly object[],
): RawBuilder<unknown> {
  const names = sql.join(columns.map((n) => sql.ref(n)));
  return sql`insert into ${sql.table(table)} (${names})
    select ${names} from json_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(rows)}::json)`;
}

/**
 * `jsonInsert` with the rows already serialised: a JSON array of objects keyed by column, as
 * `JSON.stringify(rows)` would give, for a caller that holds parts of it as text already.
 */
export function jsonInsertText(
  table: string,
  columns: readonly string[],
  rowsJson: string,
): RawBuilder<unknown> {
  const names = sql.join(columns.map((n) => sql.ref(n)));
  return sql`insert into ${sql.table(table)} (${names})
    select ${names} from json_populate_recordset(null::${sql.table(table)}, ${rowsJson}::json)`;
}
