import { join } from 'node:path';
import { sql } from 'kysely';
import ts from 'typescript';
import { connectDatabase, type DbHandle } from '../../src/db/connect';
import { createTestDatabase } from '../support/testStack';

/**
 * src/db/schema.ts is written by hand; the migrations are the truth. Every table and column of
 * the migrated database, with its nullability, must be what the Kysely `Database` interface says
 * (read with the TypeScript compiler, so a column added to one side only fails here).
 */
const ROOT = join(__dirname, '../..');
const SCHEMA = join(ROOT, 'src/db/schema.ts');
/** Kysely's own bookkeeping, not part of the application's schema. */
const MIGRATOR_TABLES = ['kysely_migration', 'kysely_migration_lock'];

type Shape = Record<string, string[]>;

/** `table → ["column", "column?" (nullable), …]` as the interface declares them (the select type). */
function declaredShape(): Shape {
  const { config } = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
  const program = ts.createProgram([SCHEMA], options);
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(SCHEMA)!;
  const database = file.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'Database')!;
  const typeOf = (symbol: ts.Symbol) => checker.getTypeOfSymbolAtLocation(symbol, database);
  // ColumnType<S, I, U> (and Generated<T>) carry the select type as `__select__`.
  const selected = (t: ts.Type) => {
    const select = t.getProperty('__select__');
    return select ? typeOf(select) : t;
  };
  const nullable = (t: ts.Type) => (t.isUnion() ? t.types : [t]).some((member) => (member.flags & ts.TypeFlags.Null) !== 0);
  const shape: Shape = {};
  for (const table of checker.getTypeAtLocation(database).getProperties()) {
    shape[table.name] = typeOf(table)
      .getProperties()
      .map((column) => `${column.name}${nullable(selected(typeOf(column))) ? '?' : ''}`)
      .sort();
  }
  return shape;
}

async function migratedShape(db: DbHandle['db']): Promise<Shape> {
  const { rows } = await sql<{ table_name: string; column_name: string; is_nullable: 'YES' | 'NO' }>`
    select table_name, column_name, is_nullable from information_schema.columns
    where table_schema = 'public' and not (table_name = any(${MIGRATOR_TABLES}))`.execute(db);
  const shape: Shape = {};
  for (const r of rows) (shape[r.table_name] ??= []).push(`${r.column_name}${r.is_nullable === 'YES' ? '?' : ''}`);
  for (const columns of Object.values(shape)) columns.sort();
  return shape;
}

describe('src/db/schema.ts against the migrated database', () => {
  let handle: DbHandle;
  beforeAll(async () => {
    handle = connectDatabase(await createTestDatabase(), 1);
  });
  afterAll(async () => {
    await handle.close();
  });

  it('declares every table and column, with the nullability the migrations give it', async () => {
    const declared = declaredShape();
    expect(Object.keys(declared).length).toBeGreaterThan(10);
    expect(declared).toEqual(await migratedShape(handle.db));
  });
});
