/**
 * Conventions of a ServerlessRestApi resource for your own handler (`resources: [{ name, handler }]`),
 * the same code the built-in CRUD handler runs: the route of a request, JSON bodies and
 * `{ error: { code, message, details? } }` errors, the ETag of a record (`"<version>-<created>"`)
 * and the `If-Match` / `If-None-Match` preconditions (428 when required and missing), JSON Merge
 * Patch. The environment the construct sets is named in `REST_API_ENV`.
 *
 * ```ts
 * import { preconditionOf, restError, restJson, restRouteOf, REST_API_ENV } from 'cdk-serverless-patterns-runtime/rest-api';
 * export const handler = async (event) => {
 *   const target = restRouteOf(event);
 *   if (target?.route !== 'replace') return restError(405, 'MethodNotAllowed', 'only PUT here');
 *   const condition = preconditionOf(event, process.env[REST_API_ENV.REQUIRE_IF_MATCH] !== 'false', 'PUT');
 *   if ('response' in condition) return condition.response; // 428 or 400
 *   ...
 * };
 * ```
 */
export {
  errorResponse as restError, etagOf, json as restJson, mergePatch, parseEtag, preconditionOf, restRouteOf, sameVersion,
} from '../serverless-rest-api/runtime/conventions';
export type { Json, JsonObject, Precondition, RestRoute, Version } from '../serverless-rest-api/runtime/conventions';
export { ENV as REST_API_ENV, ATTR as REST_API_RECORD } from '../serverless-rest-api/runtime/env';
