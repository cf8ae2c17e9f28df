/**
 * A typed view of the parts of DuckDB's parse tree (json_serialize_sql) the planner reads and writes.
 * Only the fields the planner touches are typed; every node keeps the rest of its fields untouched, so a tree
 * read from DuckDB prints back the same. Field names and values are DuckDB's (learnt from real dumps).
 */

/** Any expression node: `class` says which kind (COLUMN_REF, FUNCTION, CONSTANT, ...). */
export interface Expr {
  readonly class: string
  readonly type: string
  readonly alias: string
  readonly [field: string]: unknown
}

export interface ColumnRef extends Expr {
  readonly class: 'COLUMN_REF'
  readonly column_names: readonly string[]
}

export interface OrderTerm {
  readonly type: 'ORDER_DEFAULT' | 'ASCENDING' | 'DESCENDING'
  readonly null_order: 'ORDER_DEFAULT' | 'NULLS FIRST' | 'NULLS LAST'
  readonly expression: Expr
}

export interface OrderModifier {
  readonly type: 'ORDER_MODIFIER'
  readonly orders: readonly OrderTerm[]
}

export interface FunctionExpr extends Expr {
  readonly class: 'FUNCTION'
  readonly function_name: string
  readonly schema: string
  readonly catalog: string
  readonly children: readonly Expr[]
  readonly filter: Expr | null
  readonly order_bys: OrderModifier
  readonly distinct: boolean
  readonly is_operator: boolean
  readonly export_state: boolean
}

export interface LogicalType {
  readonly id: string
  readonly type_info: unknown
}

export interface ConstantExpr extends Expr {
  readonly class: 'CONSTANT'
  readonly value: { readonly type: LogicalType, readonly is_null: boolean, readonly value?: unknown }
}

export interface CastExpr extends Expr {
  readonly class: 'CAST'
  readonly child: Expr
  readonly cast_type: LogicalType
  readonly try_cast: boolean
}

export interface ComparisonExpr extends Expr {
  readonly class: 'COMPARISON'
  readonly left: Expr
  readonly right: Expr
}

export interface ConjunctionExpr extends Expr {
  readonly class: 'CONJUNCTION'
  readonly type: 'CONJUNCTION_AND' | 'CONJUNCTION_OR'
  readonly children: readonly Expr[]
}

/** OPERATOR_NOT, OPERATOR_IS_NULL, OPERATOR_IS_NOT_NULL, COMPARE_IN, COMPARE_NOT_IN, ... */
export interface OperatorExpr extends Expr {
  readonly class: 'OPERATOR'
  readonly children: readonly Expr[]
}

export interface BetweenExpr extends Expr {
  readonly class: 'BETWEEN'
  readonly input: Expr
  readonly lower: Expr
  readonly upper: Expr
}

export interface StarExpr extends Expr {
  readonly class: 'STAR'
  readonly relation_name?: string
  readonly exclude_list?: readonly unknown[]
  readonly replace_list?: readonly { readonly key: string, readonly value: Expr }[]
  readonly rename_list?: readonly unknown[]
  readonly qualified_exclude_list?: readonly unknown[]
  readonly columns: boolean
  readonly expr?: Expr | null
}

export interface LimitModifier {
  readonly type: 'LIMIT_MODIFIER'
  readonly limit: Expr | null
  readonly offset: Expr | null
}

export interface DistinctModifier {
  readonly type: 'DISTINCT_MODIFIER'
  readonly distinct_on_targets: readonly Expr[]
}

export type ResultModifier = OrderModifier | LimitModifier | DistinctModifier | { readonly type: string }

export interface TableRefNode {
  readonly type: string
  readonly alias: string
  readonly [field: string]: unknown
}

export interface BaseTableRef extends TableRefNode {
  readonly type: 'BASE_TABLE'
  readonly table_name: string
  readonly schema_name: string
  readonly catalog_name: string
  readonly sample: unknown
}

export interface QueryNode {
  readonly type: string
  readonly modifiers: readonly ResultModifier[]
  readonly cte_map: { readonly map: readonly unknown[] }
  readonly [field: string]: unknown
}

export interface SelectNode extends QueryNode {
  readonly type: 'SELECT_NODE'
  readonly select_list: readonly Expr[]
  readonly from_table: TableRefNode
  readonly where_clause: Expr | null
  readonly group_expressions: readonly Expr[]
  readonly group_sets: readonly (readonly number[])[]
  readonly aggregate_handling: 'STANDARD_HANDLING' | 'FORCE_AGGREGATES' | string
  readonly having: Expr | null
  readonly sample: unknown
  readonly qualify: Expr | null
}

/** One entry of `statements` in json_serialize_sql's output. */
export interface SelectStatement {
  readonly node: QueryNode
  readonly named_param_map: readonly unknown[]
}

export function isExpr (value: unknown): value is Expr {
  return typeof value === 'object' && value !== null && typeof (value as { class?: unknown }).class === 'string' && typeof (value as { type?: unknown }).type === 'string'
}

export const isColumnRef = (e: Expr): e is ColumnRef => e.class === 'COLUMN_REF'
export const isFunction = (e: Expr): e is FunctionExpr => e.class === 'FUNCTION'
export const isConstant = (e: Expr): e is ConstantExpr => e.class === 'CONSTANT'
export const isCast = (e: Expr): e is CastExpr => e.class === 'CAST'
export const isComparison = (e: Expr): e is ComparisonExpr => e.class === 'COMPARISON'
export const isConjunction = (e: Expr): e is ConjunctionExpr => e.class === 'CONJUNCTION'
export const isOperator = (e: Expr): e is OperatorExpr => e.class === 'OPERATOR'
export const isBetween = (e: Expr): e is BetweenExpr => e.class === 'BETWEEN'
export const isStar = (e: Expr): e is StarExpr => e.class === 'STAR'

export function isSelectNode (node: QueryNode): node is SelectNode {
  return node.type === 'SELECT_NODE'
}

/** The last name of a column reference (`l.pod_name` → pod_name), lower case as DuckDB binds names. */
export function columnName (ref: ColumnRef): string {
  return (ref.column_names[ref.column_names.length - 1] ?? '').toLowerCase()
}
