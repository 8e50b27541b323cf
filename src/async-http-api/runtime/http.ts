/** JSON responses for API Gateway HTTP API (payload format 2.0). Errors never carry a stack trace. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ANONYMOUS_OWNER } from './env';

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

/** `{ error, message }` with an optional list of details (e.g. schema violations). */
export function errorResponse(statusCode: number, error: string, message: string, details?: unknown[]): APIGatewayProxyStructuredResultV2 {
  return json(statusCode, details ? { error, message, details } : { error, message });
}

/** Case-insensitive header lookup (HTTP API lower-cases names, direct invokes may not). */
export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** The public base URL of the API as the client called it, including a named stage. */
export function baseUrl(event: APIGatewayProxyEventV2): string {
  const stage = event.requestContext.stage;
  const stagePath = !stage || stage === '$default' ? '' : `/${stage}`;
  return `https://${event.requestContext.domainName}${stagePath}`;
}

/** UUID, the only job id form the API issues. */
export const JOB_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The job owner: who the authorizer says the caller is. IAM: the principal's ARN (or its caller
 * id); JWT: `<iss>|<sub>`; Lambda authorizer: its `principalId`. An API without authorization has
 * one owner, `anonymous`. Undefined when an authorizer ran but named nobody: such a caller can
 * neither submit nor read jobs.
 */
export function ownerOf(event: APIGatewayProxyEventV2): string | undefined {
  type Authorizer = {
    iam?: { userArn?: string; callerId?: string; principalOrgId?: string };
    jwt?: { claims?: Record<string, unknown> };
    lambda?: Record<string, unknown>;
  };
  const authorizer = (event.requestContext as { authorizer?: Authorizer } | undefined)?.authorizer;
  if (!authorizer) return ANONYMOUS_OWNER;
  const text = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined);
  if (authorizer.iam) return text(authorizer.iam.userArn) ?? text(authorizer.iam.callerId);
  if (authorizer.jwt) {
    const iss = text(authorizer.jwt.claims?.iss);
    const sub = text(authorizer.jwt.claims?.sub);
    return iss && sub ? `${iss}|${sub}` : undefined;
  }
  // An HTTP API passes a Lambda authorizer's `context` as `authorizer.lambda`: the owner is the
  // `principalId` the authorizer puts there (a simple-response authorizer has nothing else).
  if (authorizer.lambda) return text(authorizer.lambda.principalId) ?? text((authorizer as { principalId?: unknown }).principalId);
  return undefined;
}

/**
 * The deepest nesting of arrays and objects in a JSON text, counted without parsing it, and
 * stopping once `limit` is passed (so a hostile body costs one pass at most).
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}
