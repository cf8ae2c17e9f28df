/**
 * @packageDocumentation
 * The composition root: a fedlake node with its roles, its REST server and its command router.
 */
export { createFedlakeNode } from './fedlake-node.js'
export type { FedlakeNode, FedlakeNodeComponents } from './fedlake-node.js'
export { createCommandRouter } from './command-router.js'
export type { CommandRouter } from './command-router.js'
export { NODE_ERRORS } from './errors.js'
export { buildRestApp, createRestServer, errorBody, renderReply } from './http/rest-app.js'
export type { PutHandler, PutRequest, PutResult, RestAppInit, RestPlugin, RestServer } from './http/rest-app.js'
export { bearerCredentials, isPublicRoute, restTokenGuard } from './http/auth.js'
export type { RestTokenGuard, RestTokenGuardInit } from './http/auth.js'
export { healthRoutes, LIVENESS_PATH, READINESS_PATH } from './http/health-routes.js'
export { readinessOf } from './readiness.js'
export type { Readiness } from './readiness.js'
export type { NodeServices } from './node-services.js'
export { readEdgeLakeRequest, parseUrlPairs, parsePostBody, agentProduct } from './http/edgelake-request.js'
