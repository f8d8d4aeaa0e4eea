import { quotedIdentifier as q, quotedString, type DuckDBConnection } from '@duckdb/node-api';
import { MaasflowError } from '../../engine/errors.ts';

export interface TableSpec {
  /** Catalog (database) name of the file, as DuckDB named it. */
  readonly catalog: string;
  readonly table: string;
  /** Column name -> DuckDB type, in table order. */
  readonly columns: readonly (readonly [string, string])[];
  /** Primary-key columns; empty for none. */
  readonly key: readonly string[];
}

export const qualified = (t: TableSpec): string => `${q(t.catalog)}.main.${q(t.table)}`;

export function columnsDdl(t: TableSpec, extra = ''): string {
  const cols = t.columns.map(([name, type]) => `${q(name)} ${type}`);
  if (t.key.length > 0) cols.push(`PRIMARY KEY (${t.key.map(q).join(', ')})`);
  return `(${cols.join(', ')}${extra})`;
}

const describe = (columns: readonly (readonly [string, string])[], key: readonly string[]): string =>
  `(${columns.map(([n, t]) => `${n} ${t}`).join(', ')})${key.length > 0 ? ` primary key (${key.join(', ')})` : ' no primary key'}`;

/**
 * Makes sure the table exists with exactly the declared columns (names, types,
 * order) and primary key: creates it when `create` is set, otherwise refuses
 * to write into a table of another shape.
 */
export async function ensureTable(conn: DuckDBConnection, t: TableSpec, create: boolean, where: string): Promise<void> {
  const found = await conn.runAndReadAll(
    `SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = ${quotedString(t.catalog)} AND table_schema = 'main' AND lower(table_name) = lower(${quotedString(t.table)}) ORDER BY ordinal_position`,
  );
  const actual = found.getRowsJS().map(([name, type]) => [String(name), String(type)] as const);
  if (actual.length === 0) {
    if (!create) throw new MaasflowError('CONFIG', `${where}: table ${t.table} does not exist and create is false`);
    await conn.run(`CREATE TABLE IF NOT EXISTS ${qualified(t)} ${columnsDdl(t)}`);
    return;
  }
  const pk = await conn.runAndReadAll(
    `SELECT constraint_column_names FROM duckdb_constraints() WHERE database_name = ${quotedString(t.catalog)} AND schema_name = 'main' AND lower(table_name) = lower(${quotedString(t.table)}) AND constraint_type = 'PRIMARY KEY'`,
  );
  const actualKey = (pk.getRowsJS()[0]?.[0] as string[] | undefined) ?? [];
  const same =
    actual.length === t.columns.length &&
    actual.every(([name, type], i) => name.toLowerCase() === t.columns[i]![0].toLowerCase() && type === t.columns[i]![1]) &&
    actualKey.length === t.key.length &&
    actualKey.every((k, i) => k.toLowerCase() === t.key[i]!.toLowerCase());
  if (!same) {
    throw new MaasflowError(
      'CONFIG',
      `${where}: table ${t.table} exists with columns ${describe(actual, actualKey)}, but the sink declares ${describe(t.columns, t.key)}; ` +
        'alter or drop the table, or write to another table',
    );
  }
}
