/** JSON responses for API Gateway HTTP API (payload format 2.0). Errors never carry a stack trace. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

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
