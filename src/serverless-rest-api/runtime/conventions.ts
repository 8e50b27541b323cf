/**
 * The HTTP conventions of a ServerlessRestApi resource, shared by the built-in CRUD handler and
 * the runtime helper users import (`cdk-serverless-patterns-runtime/rest-api`): JSON responses and
 * error bodies, the ETag of a record and `If-Match` / `If-None-Match`, JSON Merge Patch, the
 * route of a request. No dependencies beyond the Lambda event types.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { header } from '../../async-http-api/runtime/http';

type Response = APIGatewayProxyStructuredResultV2;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): Response {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

/** `{ "error": { "code", "message", "details"? } }`. */
export function errorResponse(
  statusCode: number, code: string, message: string, details?: unknown[], headers: Record<string, string> = {},
): Response {
  return json(statusCode, { error: { code, message, ...(details ? { details } : {}) } }, headers);
}


// ---------------------------------------------------------------------------------------------
// Preconditions (RFC 9110 §13): ETag `"<version>-<created>"`, strong; If-Match required on writes.
// ---------------------------------------------------------------------------------------------

export interface Version { readonly version: number; readonly createdAt: string }
export type Precondition = { expected?: Version; anyVersion: boolean; ifNoneMatch: boolean } | { response: Response };

/** The ETag of a record: its version and (as base-36 milliseconds) its creation time, strong. */
export function etagOf(record: Version): string {
  return `"${record.version}-${Date.parse(record.createdAt).toString(36)}"`;
}

/** The version an ETag names; `W/` is accepted (a proxy may weaken a strong ETag). */
export function parseEtag(value: string): Version | undefined {
  const match = /^(?:W\/)?"(\d{1,15})-([0-9a-z]{1,12})"$/.exec(value.trim());
  if (!match) return undefined;
  const ms = parseInt(match[2], 36);
  const created = new Date(ms);
  if (Number.isNaN(created.getTime())) return undefined;
  return { version: Number(match[1]), createdAt: created.toISOString() };
}

export function preconditionOf(event: APIGatewayProxyEventV2, requireIfMatch: boolean, method: 'PUT' | 'PATCH' | 'DELETE'): Precondition {
  const ifMatch = header(event, 'if-match');
  const ifNoneMatch = header(event, 'if-none-match');
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*' || ifMatch !== undefined) {
      return { response: errorResponse(400, 'InvalidPrecondition', 'If-None-Match is supported as "*" (create only), without If-Match') };
    }
    return { anyVersion: false, ifNoneMatch: true };
  }
  if (ifMatch === undefined) {
    if (requireIfMatch && method !== 'DELETE') {
      return { response: errorResponse(428, 'PreconditionRequired', `${method} needs If-Match with the item's ETag (from GET): it protects against overwriting a change you have not seen`) };
    }
    return { anyVersion: true, ifNoneMatch: false };
  }
  if (ifMatch.trim() === '*') return { anyVersion: true, ifNoneMatch: false };
  // A list of ETags is legal HTTP, but a write conditioned on "any of these versions" is not a
  // conditional write on one version: only one ETag is accepted.
  const expected = parseEtag(ifMatch);
  if (!expected) return { response: errorResponse(400, 'InvalidPrecondition', `If-Match must be one ETag this API issued (e.g. "3-lz2k1x0a") or *, got '${truncate(ifMatch)}'`) };
  return { expected, anyVersion: false, ifNoneMatch: false };
}

export function sameVersion(a: Version, b: Version): boolean {
  return a.version === b.version && a.createdAt === b.createdAt;
}

/** JSON Merge Patch (RFC 7396): objects merge, `null` removes, anything else replaces. */
export function mergePatch(target: Json, patchValue: Json): Json {
  if (patchValue === null || typeof patchValue !== 'object' || Array.isArray(patchValue)) return patchValue;
  const result: JsonObject = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patchValue)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key] ?? null, value);
  }
  return result;
}

/** Which of the six routes of a resource a request is, and its id. */
export type RestRoute = 'list' | 'create' | 'get' | 'replace' | 'patch' | 'delete';

/** The route of an API Gateway payload 2.0 request to `/<resource>` or `/<resource>/{id}`; undefined for another method. */
export function restRouteOf(event: APIGatewayProxyEventV2): { route: RestRoute; id?: string } | undefined {
  const method = (event.requestContext?.http?.method ?? '').toUpperCase();
  const id = event.pathParameters?.id;
  if (id === undefined) {
    if (method === 'GET') return { route: 'list' };
    if (method === 'POST') return { route: 'create' };
    return undefined;
  }
  const route = ({ GET: 'get', PUT: 'replace', PATCH: 'patch', DELETE: 'delete' } as Record<string, RestRoute | undefined>)[method];
  return route ? { route, id } : undefined;
}

export function truncate(text: string, max = 64): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
