import { matchesPattern } from '../../src/local/events';
import { HttpRoute, LocalHttpApi, mapResponse, matchRoute } from '../../src/local/http-api';
import { encodeEventKey, notificationMatches } from '../../src/local/s3';

describe('EventBridge pattern matching', () => {
  const event = { 'source': 'shop', 'detail-type': 'OrderPlaced', 'detail': { status: 'created', total: 120, tags: ['vip', 'eu'], customer: { country: 'DE' } } };

  test('matches exact values (any of a list), nested fields and arrays of values', () => {
    expect(matchesPattern({ source: ['shop'], detail: { status: ['created', 'paid'], tags: ['vip'], customer: { country: ['DE'] } } }, event)).toBe(true);
    expect(matchesPattern({ source: ['warehouse'] }, event)).toBe(false);
    expect(matchesPattern({ detail: { customer: { country: ['FR'] } } }, event)).toBe(false);
  });

  test('matches prefix, suffix, anything-but, exists and numeric ranges', () => {
    expect(matchesPattern({ 'detail-type': [{ prefix: 'Order' }] }, event)).toBe(true);
    expect(matchesPattern({ 'detail-type': [{ suffix: 'Placed' }] }, event)).toBe(true);
    expect(matchesPattern({ detail: { status: [{ 'anything-but': ['cancelled'] }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { status: [{ 'anything-but': 'created' }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { coupon: [{ exists: false }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { coupon: [{ exists: true }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { total: [{ numeric: ['>', 100, '<=', 120] }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { total: [{ numeric: ['<', 100] }] } }, event)).toBe(false);
  });
});

describe('S3 notifications', () => {
  test('encode the key as S3 does in events: spaces as +, other reserved characters percent-encoded, slashes kept', () => {
    expect(encodeEventKey('uploads/march orders (1)+x.csv')).toBe('uploads/march+orders+%281%29%2Bx.csv');
  });

  test('go to a destination only for its event types and key prefix and suffix', () => {
    const target = { events: ['s3:ObjectCreated:*'], prefix: 'uploads/', suffix: '.csv' };
    expect(notificationMatches(target, 'ObjectCreated:Put', 'uploads/a.csv')).toBe(true);
    expect(notificationMatches(target, 'ObjectCreated:CompleteMultipartUpload', 'uploads/a.csv')).toBe(true);
    expect(notificationMatches(target, 'ObjectRemoved:Delete', 'uploads/a.csv')).toBe(false);
    expect(notificationMatches(target, 'ObjectCreated:Put', 'uploads/a.CSV')).toBe(false);
    expect(notificationMatches(target, 'ObjectCreated:Put', 'archive/a.csv')).toBe(false);
  });
});

describe('HTTP API routing', () => {
  const route = (routeKey: string): HttpRoute => ({ routeKey, authorizationType: 'NONE', target: 'none', payloadFormatVersion: '2.0' });
  const routes = [route('GET /jobs/{jobId}'), route('GET /jobs/latest'), route('ANY /files/{proxy+}'), route('$default')];

  test('prefers an exact path over a path parameter, and decodes parameters', () => {
    expect(matchRoute(routes, 'GET', '/jobs/latest')?.route.routeKey).toBe('GET /jobs/latest');
    expect(matchRoute(routes, 'GET', '/jobs/a%20b')).toEqual({ route: routes[0], pathParameters: { jobId: 'a b' } });
  });

  test('gives a greedy parameter the rest of the path, and falls back to $default', () => {
    expect(matchRoute(routes, 'PUT', '/files/a/b/c.txt')?.pathParameters).toEqual({ proxy: 'a/b/c.txt' });
    expect(matchRoute(routes, 'POST', '/jobs/x')?.route.routeKey).toBe('$default');
    expect(matchRoute([route('GET /jobs/{jobId}')], 'GET', '/jobs/x/y')).toBeUndefined();
  });

  test('maps a structured result (lower-casing headers, decoding base64 bodies) and a bare value as 200 JSON', () => {
    expect(mapResponse({ statusCode: 202, headers: { 'X-A': 1 }, body: Buffer.from('hi').toString('base64'), isBase64Encoded: true }))
      .toEqual({ statusCode: 202, headers: { 'x-a': '1' }, body: Buffer.from('hi'), cookies: [] });
    expect(mapResponse([1, 2])).toEqual({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '[1,2]', cookies: [] });
  });
});

describe('serving an HTTP API', () => {
  test('fails in one line when its port is taken', async () => {
    // GIVEN
    const definition = { stack: 'S', logicalId: 'Api', name: 'api', apiId: 'abc', account: '123456789012', region: 'eu-west-1', routes: [] };
    const first = new LocalHttpApi(definition, () => undefined);
    const port = Number(new URL(await first.start()).port);
    try {
      // THEN
      await expect(new LocalHttpApi(definition, () => undefined).start(port)).rejects.toThrow(`port ${port} on 127.0.0.1 is in use: pick another --port for Api`);
    } finally {
      await first.stop();
    }
  });
});
