export { planNetworkQuery, PERIOD_PROBE_COLUMN } from './plan-network-query.js'
export { bindableStatement } from './bindable-statement.js'
export type { DerivedTable, EmptyPlan, Fragment, KeyShipping, Merge, NetworkPlan, OrderKey, PeriodPlan, PlanCatalog, PlanOptions, QueryPlan } from './plan.js'
