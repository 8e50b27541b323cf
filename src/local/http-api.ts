/**
 * Serves an API Gateway HTTP API (AWS::ApiGatewayV2::Api, protocol HTTP) on 127.0.0.1: its routes
 * to Lambda proxy integrations with payload format 2.0. AWS_IAM routes are authorized by a caller
 * header instead of SigV4: `x-local-caller: arn:aws:iam::123456789012:user/alice` becomes
 * `requestContext.authorizer.iam`; without it the route answers 403, as API Gateway does for an
 * unsigned request. JWT routes read `Authorization: Bearer <token>` and check what API Gateway
 * checks (issuer, audience or `client_id`, expiry, not-before, the route's scopes) against the
 * authorizer of the template, answering 401 and 403 as API Gateway does; the token's signature is
 * NOT verified locally (there is no issuer to fetch keys from), so any well-formed token with the
 * right claims passes, e.g. one with `alg: none`.
 */
import { randomUUID } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';
import type { DeliverySink } from './deliveries';
import { LocalCloudError } from './errors';
import type { LocalFunction } from './lambda';

/** The header that names the IAM caller of a request to an AWS_IAM route. */
export const CALLER_HEADER = 'x-local-caller';

export interface HttpRoute {
  /** `POST /jobs`, `GET /jobs/{jobId}`, `ANY /{proxy+}` or `$default`. */
  readonly routeKey: string;
  /** NONE, AWS_IAM, JWT or CUSTOM. */
  readonly authorizationType: string;
  /** The function of its Lambda proxy integration, or why there is none. */
  readonly target: LocalFunction | string;
  readonly payloadFormatVersion: string;
  /** JWT routes: the authorizer's issuer and audiences (undefined when the template's could not be read). */
  readonly jwt?: { readonly issuer: string; readonly audience: string[] };
  /** JWT routes: scopes of which the token must hold one. */
  readonly authorizationScopes?: string[];
}

export interface HttpApiDefinition {
  readonly stack: string;
  readonly logicalId: string;
  readonly name: string;
  readonly apiId: string;
  readonly account: string;
  readonly region: string;
  readonly routes: HttpRoute[];
}

/** A request to an API, as invokeHttp takes it. */
export interface HttpRequest {
  readonly method: string;
  /** The path, with an optional query string: `/jobs/abc?verbose=1`. */
  readonly path: string;
  readonly headers?: Record<string, string>;
  /** A string or an object (sent as JSON). */
  readonly body?: string | object;
}

/** An API's answer. */
export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  readonly json: unknown;
}

/** What the server writes back. */
export interface MappedResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string | Buffer;
  readonly cookies: string[];
}

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i;

/** One HTTP API served on 127.0.0.1. */
export class LocalHttpApi {
  private server?: http.Server;
  private url?: string;

  constructor(readonly definition: HttpApiDefinition, private readonly onDelivery: DeliverySink) {}

  /** The base URL, once started. */
  get endpoint(): string {
    if (!this.url) throw new Error(`${this.definition.logicalId} is not started`);
    return this.url;
  }

  async start(port = 0): Promise<string> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.handle(req, Buffer.concat(chunks)).then(({ statusCode, headers, body, cookies }) => {
          res.statusCode = statusCode;
          for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
          if (cookies.length > 0) res.setHeader('set-cookie', cookies);
          res.end(body);
        }, (error: Error) => {
          res.statusCode = 500;
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ message: 'Internal Server Error' }));
          this.onDelivery({ service: 'http', resource: this.definition.logicalId, outcome: 'failed', detail: error.message });
        });
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE'
        ? new LocalCloudError(`port ${port} on 127.0.0.1 is in use: pick another --port for ${this.definition.logicalId}`)
        : error));
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  }

  /** Sends a request to the served API and reads the answer. */
  async request(request: HttpRequest): Promise<HttpResponse> {
    const headers: Record<string, string> = { ...(request.headers ?? {}) };
    let body: string | undefined;
    if (request.body !== undefined) {
      body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
    const response = await fetch(`${this.endpoint}${request.path}`, { method: request.method, headers, body });
    const text = await response.text();
    let json: unknown;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { statusCode: response.status, headers: Object.fromEntries(response.headers.entries()), body: text, json };
  }

  private async handle(req: http.IncomingMessage, raw: Buffer): Promise<MappedResponse> {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = (req.method ?? 'GET').toUpperCase();
    const match = matchRoute(this.definition.routes, method, url.pathname);
    const resource = `${this.definition.logicalId} ${method} ${url.pathname}`;
    const answer = (statusCode: number, message: string, outcome: 'denied' | 'failed' | 'dropped') => {
      this.onDelivery({ service: 'http', resource, outcome, detail: `${statusCode} ${message}` });
      return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message }), cookies: [] };
    };
    if (!match) return answer(404, 'Not Found', 'dropped');
    const { route, pathParameters } = match;
    const headers = lowerCaseHeaders(req.headers);
    const caller = headers[CALLER_HEADER];
    if (route.authorizationType === 'AWS_IAM' && !caller) return answer(403, 'Forbidden', 'denied');
    let jwt: { claims: Record<string, string>; scopes: string[] } | undefined;
    if (route.authorizationType === 'JWT' && route.jwt) {
      const verdict = checkJwt(headers.authorization, route.jwt, route.authorizationScopes);
      if ('status' in verdict) return answer(verdict.status, verdict.status === 401 ? 'Unauthorized' : 'Forbidden', 'denied');
      jwt = verdict;
    } else if (route.authorizationType === 'JWT' || route.authorizationType === 'CUSTOM') {
      return answer(500, `${route.authorizationType} authorizers are not emulated locally`, 'dropped');
    }
    if (typeof route.target === 'string') return answer(500, route.target, 'dropped');
    if (route.payloadFormatVersion !== '2.0') return answer(500, `payload format ${route.payloadFormatVersion} is not emulated locally`, 'dropped');

    const event = this.event(req, method, url, headers, raw, route, pathParameters, caller, jwt);
    const result = await route.target.invoke(event);
    if (!result.ok) {
      this.onDelivery({ service: 'http', resource, outcome: 'failed', detail: `500 ${result.error.errorType}: ${result.error.errorMessage}` });
      return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'Internal Server Error' }), cookies: [] };
    }
    const response = mapResponse(result.result);
    this.onDelivery({ service: 'http', resource, outcome: response.statusCode < 500 ? 'ok' : 'failed', detail: String(response.statusCode) });
    return response;
  }

  private event(
    req: http.IncomingMessage, method: string, url: URL, headers: Record<string, string>, raw: Buffer,
    route: HttpRoute, pathParameters: Record<string, string> | undefined, caller: string | undefined,
    jwt?: { claims: Record<string, string>; scopes: string[] },
  ): Record<string, unknown> {
    const { apiId, region } = this.definition;
    const now = new Date();
    const cookies = headers.cookie ? headers.cookie.split(';').map((c) => c.trim()).filter(Boolean) : undefined;
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = query[k] !== undefined ? `${query[k]},${v}` : v;
    const binary = raw.length > 0 && !TEXT_TYPES.test(headers['content-type'] ?? '');
    const domainName = `${apiId}.execute-api.${region}.amazonaws.com`;
    const callerAccount = /^arn:aws[^:]*:(?:iam|sts)::(\d{12}):/.exec(caller ?? '')?.[1] ?? this.definition.account;
    const { cookie: _cookie, ...eventHeaders } = headers;
    return {
      version: '2.0',
      routeKey: route.routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.replace(/^\?/, ''),
      ...(cookies ? { cookies } : {}),
      headers: eventHeaders,
      ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
      requestContext: {
        accountId: this.definition.account,
        apiId,
        ...(route.authorizationType === 'AWS_IAM' ? {
          authorizer: {
            iam: {
              accessKey: 'ASIALOCAL',
              accountId: callerAccount,
              callerId: `AIDALOCAL:${caller!.split('/').pop()}`,
              cognitoIdentity: null,
              principalOrgId: null,
              userArn: caller,
              userId: 'AIDALOCAL',
            },
          },
        } : {}),
        ...(jwt ? { authorizer: { jwt } } : {}),
        domainName,
        domainPrefix: apiId,
        http: {
          method,
          path: url.pathname,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
          userAgent: headers['user-agent'] ?? '',
        },
        requestId: randomUUID(),
        routeKey: route.routeKey,
        stage: '$default',
        time: now.toISOString(),
        timeEpoch: now.getTime(),
      },
      ...(pathParameters ? { pathParameters } : {}),
      ...(raw.length > 0 ? { body: binary ? raw.toString('base64') : raw.toString('utf8') } : {}),
      isBase64Encoded: binary,
    };
  }
}

/**
 * What API Gateway's JWT authorizer checks, except the signature: 401 without a well-formed bearer
 * token, a wrong issuer or audience, or outside its validity; 403 without one of the route's
 * scopes. Claims are passed as strings, as API Gateway does.
 */
export function checkJwt(
  authorization: string | undefined, authorizer: { issuer: string; audience: string[] }, scopes: string[] | undefined, now = Date.now(),
): { claims: Record<string, string>; scopes: string[] } | { status: 401 | 403 } {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  const parts = token?.split('.');
  if (!parts || parts.length !== 3) return { status: 401 };
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return { status: 401 };
  }
  if (payload === null || typeof payload !== 'object' || payload.iss !== authorizer.issuer) return { status: 401 };
  const audiences = [payload.aud, payload.client_id].flat().filter((a): a is string => typeof a === 'string');
  if (!audiences.some((a) => authorizer.audience.includes(a))) return { status: 401 };
  const seconds = now / 1000;
  if (typeof payload.exp !== 'number' || payload.exp <= seconds) return { status: 401 };
  if (typeof payload.nbf === 'number' && payload.nbf > seconds) return { status: 401 };
  const granted = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean)
    : Array.isArray(payload.scp) ? payload.scp.map(String) : [];
  if (scopes && scopes.length > 0 && !scopes.some((s) => granted.includes(s))) return { status: 403 };
  const claims = Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, typeof v === 'string' ? v : Array.isArray(v) ? `[${v.join(' ')}]` : String(v)]));
  return { claims, scopes: granted };
}

export interface RouteMatch {
  readonly route: HttpRoute;
  readonly pathParameters?: Record<string, string>;
}

/** The route API Gateway picks: the most specific (exact segments before parameters), then $default. */
export function matchRoute(routes: readonly HttpRoute[], method: string, path: string): RouteMatch | undefined {
  const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
  let best: { route: HttpRoute; pathParameters?: Record<string, string>; score: number } | undefined;
  for (const route of routes) {
    if (route.routeKey === '$default') continue;
    const [routeMethod, routePath] = route.routeKey.split(' ');
    if (routeMethod !== 'ANY' && routeMethod !== method) continue;
    const parts = routePath.split('/').filter(Boolean);
    const params: Record<string, string> = {};
    let score = routeMethod === 'ANY' ? 0 : 1;
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const part = parts[i];
      const greedy = /^\{(.+)\+\}$/.exec(part);
      if (greedy) {
        if (i !== parts.length - 1 || segments.length <= i) { ok = false; break; }
        params[greedy[1]] = segments.slice(i).join('/');
        score += 1;
        break;
      }
      if (i >= segments.length) { ok = false; break; }
      const param = /^\{(.+)\}$/.exec(part);
      if (param) { params[param[1]] = segments[i]; score += 10; } else if (part === segments[i]) { score += 100; } else { ok = false; }
      if (i === parts.length - 1 && segments.length !== parts.length) ok = false;
    }
    if (parts.length === 0 && segments.length !== 0) ok = false;
    if (ok && (!best || score > best.score)) best = { route, pathParameters: Object.keys(params).length ? params : undefined, score };
  }
  if (best) return { route: best.route, pathParameters: best.pathParameters };
  const fallback = routes.find((r) => r.routeKey === '$default');
  return fallback ? { route: fallback } : undefined;
}

/** Payload 2.0 response mapping: a structured result, or any other value as a 200 JSON body. */
export function mapResponse(result: unknown): MappedResponse {
  if (result !== null && typeof result === 'object' && 'statusCode' in result) {
    const r = result as { statusCode: number; headers?: Record<string, unknown>; body?: string; isBase64Encoded?: boolean; cookies?: string[] };
    const headers = Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
    const body = r.body === undefined ? '' : r.isBase64Encoded ? Buffer.from(r.body, 'base64') : String(r.body);
    return { statusCode: Number(r.statusCode), headers, body, cookies: r.cookies ?? [] };
  }
  const body = typeof result === 'string' ? result : JSON.stringify(result);
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body, cookies: [] };
}

function lowerCaseHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  return out;
}
