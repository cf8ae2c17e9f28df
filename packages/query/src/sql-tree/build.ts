/**
 * Factories for the nodes the planner creates, with every field json_deserialize_sql expects.
 * query_location is left out: DuckDB reads it as optional and it only serves error messages.
 */
import { NUMBER_TOKEN_MARKER } from '@fedlake/sql'
import type {
  BaseTableRef, CastExpr, ColumnRef, ComparisonExpr, ConjunctionExpr, ConstantExpr, DistinctModifier, Expr, FunctionExpr,
  LimitModifier, OperatorExpr, OrderModifier, OrderTerm, QueryNode, ResultModifier, SelectNode, SelectStatement, TableRefNode
} from './nodes.js'

export function columnRef (...names: string[]): ColumnRef {
  return { class: 'COLUMN_REF', type: 'COLUMN_REF', alias: '', column_names: names }
}

export interface FunctionOptions {
  readonly distinct?: boolean
  readonly filter?: Expr | null
  readonly isOperator?: boolean
  readonly alias?: string
}

export function func (name: string, children: readonly Expr[], options: FunctionOptions = {}): FunctionExpr {
  return {
    class: 'FUNCTION',
    type: 'FUNCTION',
    alias: options.alias ?? '',
    function_name: name,
    schema: '',
    children,
    filter: options.filter ?? null,
    order_bys: { type: 'ORDER_MODIFIER', orders: [] },
    distinct: options.distinct ?? false,
    is_operator: options.isOperator ?? false,
    export_state: false,
    catalog: ''
  }
}

/** `a + b`, `a - b`, `a * b`, `a / b`, `a // b`: DuckDB's operator functions. */
export function operator (symbol: '+' | '-' | '*' | '/' | '//', left: Expr, right: Expr): FunctionExpr {
  return func(symbol, [left, right], { isOperator: true })
}

export function constant (typeId: string, value: unknown): ConstantExpr {
  return { class: 'CONSTANT', type: 'VALUE_CONSTANT', alias: '', value: { type: { id: typeId, type_info: null }, is_null: false, value } }
}

export function nullConstant (typeId = 'NULL'): ConstantExpr {
  return { class: 'CONSTANT', type: 'VALUE_CONSTANT', alias: '', value: { type: { id: typeId, type_info: null }, is_null: true } }
}

export const integer = (n: number): ConstantExpr => constant('INTEGER', n)
/** A BIGINT constant; beyond 2^53 as @fedlake/sql's exact-integer marker (printed back as digits). */
export const bigint = (n: bigint | number): ConstantExpr =>
  constant('BIGINT', typeof n === 'number' || (n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= -BigInt(Number.MAX_SAFE_INTEGER)) ? Number(n) : NUMBER_TOKEN_MARKER + String(n))
export const varchar = (s: string): ConstantExpr => constant('VARCHAR', s)
export const boolean = (b: boolean): ConstantExpr => constant('BOOLEAN', b)

export function cast (child: Expr, typeId: string): CastExpr {
  return { class: 'CAST', type: 'OPERATOR_CAST', alias: '', child, cast_type: { id: typeId, type_info: null }, try_cast: false }
}

/** `TIMESTAMP 'text'` as DuckDB parses it. */
export const timestampLiteral = (text: string): CastExpr => cast(varchar(text), 'TIMESTAMP')
/** `INTERVAL 'text'` as DuckDB parses it. */
export const intervalLiteral = (text: string): CastExpr => cast(varchar(text), 'INTERVAL')

export type ComparisonType = 'COMPARE_EQUAL' | 'COMPARE_NOTEQUAL' | 'COMPARE_LESSTHAN' | 'COMPARE_GREATERTHAN' | 'COMPARE_LESSTHANOREQUALTO' | 'COMPARE_GREATERTHANOREQUALTO'

export function compare (type: ComparisonType, left: Expr, right: Expr): ComparisonExpr {
  return { class: 'COMPARISON', type, alias: '', left, right }
}

/** AND of the given conditions (nulls skipped); undefined when none remain. */
export function and (...conditions: readonly (Expr | null | undefined)[]): Expr | undefined {
  const parts = conditions.filter((c): c is Expr => c !== null && c !== undefined)
  if (parts.length <= 1) return parts[0]
  const node: ConjunctionExpr = { class: 'CONJUNCTION', type: 'CONJUNCTION_AND', alias: '', children: parts }
  return node
}

export function coalesce (...children: readonly Expr[]): OperatorExpr {
  return { class: 'OPERATOR', type: 'OPERATOR_COALESCE', alias: '', children }
}

export function isNotNull (child: Expr): OperatorExpr {
  return { class: 'OPERATOR', type: 'OPERATOR_IS_NOT_NULL', alias: '', children: [child] }
}

/** `child IN (values...)`; at least one value. */
export function isIn (child: Expr, values: readonly Expr[]): OperatorExpr {
  return { class: 'OPERATOR', type: 'COMPARE_IN', alias: '', children: [child, ...values] }
}

/** CASE WHEN when THEN then [ELSE otherwise] END (no ELSE is NULL). */
export function caseWhen (when: Expr, then: Expr, otherwise: Expr = nullConstant()): Expr {
  return { class: 'CASE', type: 'CASE_EXPR', alias: '', case_checks: [{ when_expr: when, then_expr: then }], else_expr: otherwise }
}

/** `name(children) OVER (PARTITION BY partitions)`, the whole partition as the frame. */
export function windowAggregate (name: string, children: readonly Expr[], partitions: readonly Expr[]): Expr {
  return {
    class: 'WINDOW',
    type: 'WINDOW_AGGREGATE',
    alias: '',
    function_name: name,
    schema: '',
    catalog: '',
    children,
    partitions,
    orders: [],
    start: 'UNBOUNDED_PRECEDING',
    end: 'CURRENT_ROW_RANGE',
    start_expr: null,
    end_expr: null,
    offset_expr: null,
    default_expr: null,
    ignore_nulls: false,
    filter_expr: null,
    exclude_clause: 'NO_OTHER',
    distinct: false,
    arg_orders: []
  }
}

/** `*` */
export function star (): Expr {
  return { class: 'STAR', type: 'STAR', alias: '', relation_name: '', exclude_list: [], replace_list: [], columns: false, expr: null, qualified_exclude_list: [], rename_list: [] }
}

export function withAlias<T extends Expr> (expr: T, alias: string): T {
  return { ...expr, alias }
}

export function baseTable (name: string, alias = ''): BaseTableRef {
  return { type: 'BASE_TABLE', alias, sample: null, schema_name: '', table_name: name, column_name_alias: [], catalog_name: '', at_clause: null }
}

export function subqueryTable (node: QueryNode, alias: string): TableRefNode {
  return { type: 'SUBQUERY', alias, sample: null, subquery: { node, named_param_map: [] }, column_name_alias: [] }
}

export function orderTerm (expression: Expr, descending: boolean, nullsFirst: boolean): OrderTerm {
  return { type: descending ? 'DESCENDING' : 'ASCENDING', null_order: nullsFirst ? 'NULLS FIRST' : 'NULLS LAST', expression }
}

export function orderModifier (orders: readonly OrderTerm[]): OrderModifier {
  return { type: 'ORDER_MODIFIER', orders }
}

export function limitModifier (limit: Expr | null, offset: Expr | null): LimitModifier {
  return { type: 'LIMIT_MODIFIER', limit, offset }
}

export function distinctModifier (): DistinctModifier {
  return { type: 'DISTINCT_MODIFIER', distinct_on_targets: [] }
}

export interface SelectParts {
  readonly selectList: readonly Expr[]
  readonly from: TableRefNode
  readonly where?: Expr | null
  readonly groupBy?: readonly Expr[]
  readonly having?: Expr | null
  readonly modifiers?: readonly ResultModifier[]
}

export function selectNode (parts: SelectParts): SelectNode {
  const groupBy = parts.groupBy ?? []
  return {
    type: 'SELECT_NODE',
    modifiers: parts.modifiers ?? [],
    cte_map: { map: [] },
    select_list: parts.selectList,
    from_table: parts.from,
    where_clause: parts.where ?? null,
    group_expressions: groupBy,
    group_sets: groupBy.length === 0 ? [] : [groupBy.map((_, i) => i)],
    aggregate_handling: 'STANDARD_HANDLING',
    having: parts.having ?? null,
    sample: null,
    qualify: null
  }
}

export function statement (node: QueryNode): SelectStatement {
  return { node, named_param_map: [] }
}
