// A hand-written model of kysely 0.27: table and column names and the
// select/insert/update types of rows are checked the way kysely checks them,
// so a schema.ts that misses a migration's column is a compile error here as
// it is with the real library. Expression builders are loose (any).

export interface ColumnType<SelectType, InsertType = SelectType, UpdateType = SelectType> {
  readonly __select__: SelectType;
  readonly __insert__: InsertType;
  readonly __update__: UpdateType;
}
export type Generated<S> = ColumnType<S, S | undefined, S>;
export type GeneratedAlways<S> = ColumnType<S, never, never>;

export type SelectType<T> = T extends ColumnType<infer S, any, any> ? S : T;
export type InsertType<T> = T extends ColumnType<any, infer I, any> ? I : T;
export type UpdateType<T> = T extends ColumnType<any, any, infer U> ? U : T;

type Flatten<T> = { [K in keyof T]: T[K] } & {};
type OptionalInsertKeys<R> = {
  [K in keyof R]: undefined extends InsertType<R[K]> ? K : null extends InsertType<R[K]> ? K : never;
}[keyof R];
type NeverInsertKeys<R> = { [K in keyof R]: [InsertType<R[K]>] extends [never] ? K : never }[keyof R];

export type Selectable<R> = Flatten<{ [K in keyof R]: SelectType<R[K]> }>;
export type Insertable<R> = Flatten<
  { [K in Exclude<keyof R, OptionalInsertKeys<R> | NeverInsertKeys<R>>]: InsertType<R[K]> } & {
    [K in Exclude<OptionalInsertKeys<R>, NeverInsertKeys<R>>]?: InsertType<R[K]>;
  }
>;
export type Updateable<R> = Flatten<{ [K in keyof R]?: UpdateType<R[K]> }>;

type AnyColumn<DB, TB extends keyof DB> = { [T in TB]: keyof DB[T] & string }[TB];
type Row<DB, TB extends keyof DB> = Selectable<DB[TB]>;

export type ComparisonOperator =
  | "=" | "==" | "!=" | "<>" | ">" | ">=" | "<" | "<="
  | "in" | "not in" | "is" | "is not" | "like" | "not like" | "ilike" | "not ilike";
export type OrderByDirection = "asc" | "desc";

export interface QueryResult<O> {
  rows: O[];
  numAffectedRows?: bigint;
}
export interface InsertResult { insertId: bigint | undefined; numInsertedOrUpdatedRows: bigint | undefined }
export interface UpdateResult { numUpdatedRows: bigint }
export interface DeleteResult { numDeletedRows: bigint }

// Like kysely, a first-row result of an insert/update/delete summary is never undefined.
type SingleResult<O> = O extends InsertResult | UpdateResult | DeleteResult ? O : O | undefined;

interface Executable<O> {
  execute(): Promise<O[]>;
  executeTakeFirst(): Promise<SingleResult<O>>;
  executeTakeFirstOrThrow(): Promise<O>;
}

export interface AliasedExpression<T, A extends string> {
  readonly __alias__: A;
  readonly __type__: T;
}
export interface AliasableExpression<T> {
  as<A extends string>(alias: A): AliasedExpression<T, A>;
}
export interface FunctionModule {
  countAll<T = number | string | bigint>(): AliasableExpression<T>;
  count<T = number | string | bigint>(column: string): AliasableExpression<T>;
  sum<T = number | string | bigint>(column: string): AliasableExpression<T>;
  avg<T = number | string>(column: string): AliasableExpression<T>;
  min<T = unknown>(column: string): AliasableExpression<T>;
  max<T = unknown>(column: string): AliasableExpression<T>;
}
/** Loose on operands: comparisons built in callbacks are not checked. */
export interface ExpressionBuilder {
  (lhs: string, op: string, rhs: unknown): any;
  readonly fn: FunctionModule;
  ref(reference: string): any;
  val(value: unknown): any;
  and(expressions: readonly any[]): any;
  or(expressions: readonly any[]): any;
  not(expression: any): any;
}
type AliasedRow<E extends readonly AliasedExpression<any, string>[]> = {
  [X in E[number] as X["__alias__"]]: X["__type__"];
};

type WhereCallback = (eb: ExpressionBuilder) => any;

export interface SelectQueryBuilder<DB, TB extends keyof DB, O> extends Executable<O> {
  selectAll(): SelectQueryBuilder<DB, TB, O & Row<DB, TB>>;
  select<C extends AnyColumn<DB, TB>>(columns: readonly C[] | C): SelectQueryBuilder<DB, TB, O & Pick<Row<DB, TB>, C & keyof Row<DB, TB>>>;
  select<const E extends readonly AliasedExpression<any, string>[]>(callback: (eb: ExpressionBuilder) => E): SelectQueryBuilder<DB, TB, O & AliasedRow<E>>;
  where<C extends AnyColumn<DB, TB>>(column: C, op: ComparisonOperator, value: unknown): SelectQueryBuilder<DB, TB, O>;
  where(callback: WhereCallback): SelectQueryBuilder<DB, TB, O>;
  orderBy(column: AnyColumn<DB, TB>, direction?: OrderByDirection): SelectQueryBuilder<DB, TB, O>;
  groupBy(column: AnyColumn<DB, TB> | readonly AnyColumn<DB, TB>[]): SelectQueryBuilder<DB, TB, O>;
  innerJoin<T extends keyof DB & string>(table: T, left: string, right: string): SelectQueryBuilder<DB, TB | T, O>;
  leftJoin<T extends keyof DB & string>(table: T, left: string, right: string): SelectQueryBuilder<DB, TB | T, O>;
  limit(limit: number): SelectQueryBuilder<DB, TB, O>;
  offset(offset: number): SelectQueryBuilder<DB, TB, O>;
  $if(condition: boolean, fn: (qb: SelectQueryBuilder<DB, TB, O>) => SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O>;
}

export interface InsertQueryBuilder<DB, TB extends keyof DB, O> extends Executable<O> {
  values(row: Insertable<DB[TB]> | readonly Insertable<DB[TB]>[]): InsertQueryBuilder<DB, TB, O>;
  returningAll(): InsertQueryBuilder<DB, TB, Row<DB, TB>>;
  returning<C extends keyof DB[TB] & string>(columns: C | readonly C[]): InsertQueryBuilder<DB, TB, Pick<Row<DB, TB>, C & keyof Row<DB, TB>>>;
  onConflict(callback: (oc: any) => any): InsertQueryBuilder<DB, TB, O>;
}

export interface UpdateQueryBuilder<DB, TB extends keyof DB, O> extends Executable<O> {
  set(values: Updateable<DB[TB]> | ((eb: ExpressionBuilder) => { [K in keyof DB[TB]]?: unknown })): UpdateQueryBuilder<DB, TB, O>;
  where<C extends AnyColumn<DB, TB>>(column: C, op: ComparisonOperator, value: unknown): UpdateQueryBuilder<DB, TB, O>;
  where(callback: WhereCallback): UpdateQueryBuilder<DB, TB, O>;
  returningAll(): UpdateQueryBuilder<DB, TB, Row<DB, TB>>;
  returning<C extends keyof DB[TB] & string>(columns: C | readonly C[]): UpdateQueryBuilder<DB, TB, Pick<Row<DB, TB>, C & keyof Row<DB, TB>>>;
}

export interface DeleteQueryBuilder<DB, TB extends keyof DB, O> extends Executable<O> {
  where<C extends AnyColumn<DB, TB>>(column: C, op: ComparisonOperator, value: unknown): DeleteQueryBuilder<DB, TB, O>;
  where(callback: WhereCallback): DeleteQueryBuilder<DB, TB, O>;
  returningAll(): DeleteQueryBuilder<DB, TB, Row<DB, TB>>;
}

// --- schema builder (migrations) ---

export type DataTypeExpression =
  | "text" | "integer" | "real" | "numeric" | "blob" | "boolean"
  | "date" | "datetime" | "timestamp" | "timestamptz" | "json" | "jsonb"
  | "bigint" | "double precision" | "uuid" | "serial" | "bigserial"
  | `varchar(${number})` | `char(${number})` | `decimal(${number}, ${number})`
  | RawBuilder<unknown>;

export interface ColumnDefinitionBuilder {
  primaryKey(): ColumnDefinitionBuilder;
  autoIncrement(): ColumnDefinitionBuilder;
  notNull(): ColumnDefinitionBuilder;
  unique(): ColumnDefinitionBuilder;
  defaultTo(value: unknown): ColumnDefinitionBuilder;
  references(ref: string): ColumnDefinitionBuilder;
  onDelete(action: "cascade" | "set null" | "set default" | "restrict" | "no action"): ColumnDefinitionBuilder;
  onUpdate(action: "cascade" | "set null" | "set default" | "restrict" | "no action"): ColumnDefinitionBuilder;
  check(expression: RawBuilder<unknown>): ColumnDefinitionBuilder;
}
type ColumnBuilderCallback = (col: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;

interface Compilable { execute(): Promise<void> }

export interface CreateTableBuilder<TB extends string = string> extends Compilable {
  ifNotExists(): CreateTableBuilder<TB>;
  addColumn(name: string, type: DataTypeExpression, build?: ColumnBuilderCallback): CreateTableBuilder<TB>;
  addPrimaryKeyConstraint(name: string, columns: string[]): CreateTableBuilder<TB>;
  addUniqueConstraint(name: string, columns: string[]): CreateTableBuilder<TB>;
  addForeignKeyConstraint(name: string, columns: string[], table: string, refColumns: string[]): CreateTableBuilder<TB>;
}
export interface AlterTableBuilder extends Compilable {
  addColumn(name: string, type: DataTypeExpression, build?: ColumnBuilderCallback): AlterTableBuilder;
  dropColumn(name: string): AlterTableBuilder;
  renameColumn(from: string, to: string): AlterTableBuilder;
  renameTo(name: string): AlterTableBuilder;
}
export interface DropTableBuilder extends Compilable { ifExists(): DropTableBuilder; cascade(): DropTableBuilder }
export interface CreateIndexBuilder extends Compilable {
  ifNotExists(): CreateIndexBuilder;
  unique(): CreateIndexBuilder;
  on(table: string): CreateIndexBuilder;
  column(column: string): CreateIndexBuilder;
  columns(columns: string[]): CreateIndexBuilder;
}
export interface DropIndexBuilder extends Compilable { ifExists(): DropIndexBuilder }

export interface SchemaModule {
  createTable<TB extends string>(table: TB): CreateTableBuilder<TB>;
  alterTable(table: string): AlterTableBuilder;
  dropTable(table: string): DropTableBuilder;
  createIndex(index: string): CreateIndexBuilder;
  dropIndex(index: string): DropIndexBuilder;
}

// --- raw SQL ---

export interface RawBuilder<O> {
  readonly __raw__: O;
  as(alias: string): any;
  execute(db: Kysely<any>): Promise<QueryResult<O>>;
}
export interface Sql {
  <T = unknown>(strings: TemplateStringsArray, ...values: unknown[]): RawBuilder<T>;
  raw<T = unknown>(sql: string): RawBuilder<T>;
  ref(reference: string): RawBuilder<unknown>;
  lit(value: unknown): RawBuilder<unknown>;
}
export declare const sql: Sql;

// --- the instance ---

export interface Dialect { readonly __dialect__?: true }
export interface KyselyConfig { dialect: Dialect; log?: unknown }

export declare class Kysely<DB> {
  constructor(config: KyselyConfig);
  readonly schema: SchemaModule;
  readonly fn: FunctionModule;
  selectFrom<T extends keyof DB & string>(table: T): SelectQueryBuilder<DB, T, {}>;
  insertInto<T extends keyof DB & string>(table: T): InsertQueryBuilder<DB, T, InsertResult>;
  updateTable<T extends keyof DB & string>(table: T): UpdateQueryBuilder<DB, T, UpdateResult>;
  deleteFrom<T extends keyof DB & string>(table: T): DeleteQueryBuilder<DB, T, DeleteResult>;
  transaction(): { execute<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> };
  withTables<T extends Record<string, Record<string, any>>>(): Kysely<DB & T>;
  destroy(): Promise<void>;
}
export declare class Transaction<DB> extends Kysely<DB> {}

export interface SqliteDatabase {
  close(): void;
  prepare(sql: string): unknown;
}
export declare class SqliteDialect implements Dialect {
  constructor(config: { database: SqliteDatabase | (() => Promise<SqliteDatabase>) });
}

export interface Migration {
  up(db: Kysely<any>): Promise<void>;
  down?(db: Kysely<any>): Promise<void>;
}
