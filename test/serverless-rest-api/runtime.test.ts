/**
 * The ServerlessRestApi CRUD handler, run for real against dynalite (DynamoDB) on 127.0.0.1 with
 * the AWS SDK v3 clients and API Gateway HTTP API (payload 2.0) events.
 */
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { handler as stockLevels } from '../../examples/serverless-rest-api/handlers/stock-levels';
import { preconditionOf, restRouteOf } from '../../src/runtime/rest-api';
import { crudConfigFromEnvironment, CrudConfig, crudDocumentClient, CrudDependencies, handleCrudRequest, loadCursorKey, mergePatch, signCursor } from '../../src/serverless-rest-api/runtime/crud.handler';
import { ENV } from '../../src/serverless-rest-api/runtime/env';
import { httpApiEvent } from '../fixtures/events';
import { RunningEmulator, startDynalite, uniqueName } from '../helpers/emulators';

let dynamo: RunningEmulator;
let ddb: DynamoDBClient;
let client: DynamoDBDocumentClient;

beforeAll(async () => {
  dynamo = await startDynalite();
  ddb = new DynamoDBClient({});
  client = crudDocumentClient(ddb);
});
afterAll(async () => {
  await dynamo.stop();
});

const SCHEMA = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1 }, price: { type: 'number', minimum: 0 }, tags: { type: 'array', items: { type: 'string' } } },
  required: ['name', 'price'],
  additionalProperties: false,
};

interface Api {
  readonly tableName: string;
  readonly cfg: CrudConfig;
  readonly deps: CrudDependencies;
  call(method: string, path: string, options?: { body?: unknown; headers?: Record<string, string>; query?: Record<string, string> }): Promise<Reply>;
}

interface Reply {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: any;
}

/** A fresh table (pk/sk, as the construct creates it) and the configuration the construct sets. */
async function newApi(env: Record<string, string> = {}, resource = 'items'): Promise<Api> {
  const tableName = uniqueName('rest');
  await ddb.send(new CreateTableCommand({
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
  }));
  const cfg = crudConfigFromEnvironment({ [ENV.TABLE_NAME]: tableName, [ENV.RESOURCE]: resource, [ENV.SCHEMA]: JSON.stringify(SCHEMA), ...env });
  return withConfig(tableName, cfg);
}

function withConfig(tableName: string, cfg: CrudConfig): Api {
  const deps: CrudDependencies = { client, cursorKey: () => loadCursorKey(client, tableName) };
  return {
    tableName,
    cfg,
    deps,
    async call(method, path, options = {}) {
      const event = requestEvent(cfg.resource, method, path, options);
      return reply(await handleCrudRequest(event, cfg, deps));
    },
  };
}

interface RequestOptions { body?: unknown; headers?: Record<string, string>; query?: Record<string, string> }

function requestEvent(resource: string, method: string, path: string, options: RequestOptions): APIGatewayProxyEventV2 {
  const id = path.split('/')[2];
  const hasBody = options.body !== undefined;
  const event = httpApiEvent({
    method,
    path,
    routeKey: `${method} /${resource}${id === undefined ? '' : '/{id}'}`,
    body: hasBody ? (typeof options.body === 'string' ? options.body : JSON.stringify(options.body)) : undefined,
    headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...options.headers },
    pathParameters: id === undefined ? undefined : { id: decodeURIComponent(id) },
  });
  return { ...event, queryStringParameters: options.query, rawQueryString: new URLSearchParams(options.query ?? {}).toString() };
}

function reply(response: APIGatewayProxyStructuredResultV2): Reply {
  return {
    statusCode: response.statusCode!,
    headers: (response.headers ?? {}) as Record<string, string>,
    body: response.body ? JSON.parse(response.body) : undefined,
  };
}

const WIDGET = { name: 'widget', price: 3 };

describe('routes', () => {
  test('POST creates an item with a generated id: 201 with the item, its ETag and Location', async () => {
    // GIVEN
    const api = await newApi();
    // WHEN
    const created = await api.call('POST', '/items', { body: WIDGET });
    // THEN
    expect(created.statusCode).toBe(201);
    expect(created.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), ...WIDGET });
    expect(created.headers.etag).toMatch(/^"1-[0-9a-z]+"$/);
    expect(created.headers.location).toBe(`https://abc123.execute-api.us-east-1.amazonaws.com/items/${created.body.id}`);
  });

  test('POST with a client id creates the item under that id; a second create of the id gets 409 and changes nothing', async () => {
    const api = await newApi();
    const first = await api.call('POST', '/items', { body: { id: 'sku-1', ...WIDGET } });
    const second = await api.call('POST', '/items', { body: { id: 'sku-1', name: 'other', price: 9 } });
    const current = await api.call('GET', '/items/sku-1');
    expect(first.statusCode).toBe(201);
    expect(first.body).toEqual({ id: 'sku-1', ...WIDGET });
    expect(second.statusCode).toBe(409);
    expect(second.body.error.code).toBe('AlreadyExists');
    expect(current.body).toEqual({ id: 'sku-1', ...WIDGET });
  });

  test('GET /items/{id} answers the item with the ETag of its creation', async () => {
    const api = await newApi();
    const created = await api.call('POST', '/items', { body: { id: 'a', ...WIDGET } });
    const read = await api.call('GET', '/items/a');
    expect(read.statusCode).toBe(200);
    expect(read.body).toEqual({ id: 'a', ...WIDGET });
    expect(read.headers.etag).toBe(created.headers.etag);
  });

  test('GET, PUT, PATCH and DELETE of an unknown id answer 404 with a JSON error', async () => {
    const api = await newApi({ [ENV.REQUIRE_IF_MATCH]: 'false' });
    const replies = [
      await api.call('GET', '/items/nope'),
      await api.call('PUT', '/items/nope', { body: WIDGET, headers: { 'if-match': '*' } }),
      await api.call('PATCH', '/items/nope', { body: { price: 1 } }),
      await api.call('DELETE', '/items/nope'),
    ];
    expect(replies.map((r) => r.statusCode)).toEqual([404, 404, 404, 404]);
    expect(replies[0].body).toEqual({ error: { code: 'NotFound', message: 'items/nope does not exist' } });
  });

  test('PUT with the current ETag replaces the item and answers the next ETag', async () => {
    const api = await newApi();
    const created = await api.call('POST', '/items', { body: { id: 'a', ...WIDGET, tags: ['x'] } });
    const replaced = await api.call('PUT', '/items/a', { body: { name: 'gadget', price: 5 }, headers: { 'if-match': created.headers.etag } });
    const read = await api.call('GET', '/items/a');
    expect(replaced.statusCode).toBe(200);
    expect(replaced.body).toEqual({ id: 'a', name: 'gadget', price: 5 });
    expect(replaced.headers.etag).toMatch(/^"2-/);
    expect(read.body).toEqual({ id: 'a', name: 'gadget', price: 5 });
    expect(read.headers.etag).toBe(replaced.headers.etag);
  });

  test('PUT with If-None-Match: * creates the item, and gets 412 when it exists', async () => {
    const api = await newApi();
    const created = await api.call('PUT', '/items/new', { body: WIDGET, headers: { 'if-none-match': '*' } });
    const again = await api.call('PUT', '/items/new', { body: WIDGET, headers: { 'if-none-match': '*' } });
    expect(created.statusCode).toBe(201);
    expect(created.headers.etag).toMatch(/^"1-/);
    expect(created.headers.location).toMatch(/\/items\/new$/);
    expect(again.statusCode).toBe(412);
  });

  test('PATCH merges the body into the item (JSON Merge Patch: null removes a member)', async () => {
    const api = await newApi();
    const created = await api.call('POST', '/items', { body: { id: 'a', ...WIDGET, tags: ['x'] } });
    const patched = await api.call('PATCH', '/items/a', {
      body: { price: 4, tags: null },
      headers: { 'if-match': created.headers.etag, 'content-type': 'application/merge-patch+json' },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.body).toEqual({ id: 'a', name: 'widget', price: 4 });
    expect(patched.headers.etag).toMatch(/^"2-/);
  });

  test('DELETE removes the item: 204, then 404', async () => {
    const api = await newApi();
    await api.call('POST', '/items', { body: { id: 'a', ...WIDGET } });
    const deleted = await api.call('DELETE', '/items/a');
    const read = await api.call('GET', '/items/a');
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBeUndefined();
    expect(read.statusCode).toBe(404);
  });

  test('DELETE with a stale ETag gets 412 and keeps the item', async () => {
    const api = await newApi();
    const created = await api.call('POST', '/items', { body: { id: 'a', ...WIDGET } });
    await api.call('PATCH', '/items/a', { body: { price: 8 }, headers: { 'if-match': created.headers.etag } });
    const deleted = await api.call('DELETE', '/items/a', { headers: { 'if-match': created.headers.etag } });
    expect(deleted.statusCode).toBe(412);
    expect((await api.call('GET', '/items/a')).statusCode).toBe(200);
  });

  test('resources share the table without seeing each other\'s items', async () => {
    const items = await newApi();
    const orders = withConfig(items.tableName, { ...items.cfg, resource: 'orders', validator: undefined });
    await items.call('POST', '/items', { body: { id: 'same', ...WIDGET } });
    await orders.call('POST', '/orders', { body: { id: 'same', total: 1 } });
    expect((await items.call('GET', '/items/same')).body).toEqual({ id: 'same', ...WIDGET });
    expect((await orders.call('GET', '/orders')).body.items).toEqual([{ id: 'same', total: 1 }]);
  });

  test('the Lambda handler serves requests with the table and resource from its environment', async () => {
    // GIVEN
    const api = await newApi();
    process.env[ENV.TABLE_NAME] = api.tableName;
    process.env[ENV.RESOURCE] = 'items';
    process.env[ENV.SCHEMA] = JSON.stringify(SCHEMA);
    let handler: typeof import('../../src/serverless-rest-api/runtime/crud.handler').handler;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler = require('../../src/serverless-rest-api/runtime/crud.handler').handler;
    });
    // WHEN
    const created = reply(await handler!(requestEvent('items', 'POST', '/items', { body: { id: 'h', ...WIDGET } })));
    const listed = reply(await handler!(requestEvent('items', 'GET', '/items', {})));
    // THEN
    expect(created.statusCode).toBe(201);
    expect(listed.body).toEqual({ items: [{ id: 'h', ...WIDGET }] });
  });
});

describe('GET /items: cursor pages', () => {
  async function seed(api: Api, count: number): Promise<string[]> {
    const ids = Array.from({ length: count }, (_, i) => `item-${String(i).padStart(3, '0')}`);
    for (const id of ids) await api.call('POST', '/items', { body: { id, name: id, price: 1 } });
    return ids;
  }

  test('pages of 25 by default, in id order, each with a cursor to the next; the last page has none', async () => {
    const api = await newApi();
    const ids = await seed(api, 30);
    const first = await api.call('GET', '/items');
    const second = await api.call('GET', '/items', { query: { cursor: first.body.nextCursor } });
    expect(first.body.items.map((i: any) => i.id)).toEqual(ids.slice(0, 25));
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect(second.body.items.map((i: any) => i.id)).toEqual(ids.slice(25));
    expect(second.body.nextCursor).toBeUndefined();
  });

  test('limit sets the page size; a page that ends the list exactly has no cursor', async () => {
    const api = await newApi();
    const ids = await seed(api, 4);
    const first = await api.call('GET', '/items', { query: { limit: '2' } });
    const second = await api.call('GET', '/items', { query: { limit: '2', cursor: first.body.nextCursor } });
    expect(first.body.items.map((i: any) => i.id)).toEqual(ids.slice(0, 2));
    expect(second.body.items.map((i: any) => i.id)).toEqual(ids.slice(2));
    expect(second.body.nextCursor).toBeUndefined();
  });

  test('fails with 400 for a limit outside 1..100', async () => {
    const api = await newApi();
    const replies = await Promise.all(['0', '101', 'ten', '2.5'].map((limit) => api.call('GET', '/items', { query: { limit } })));
    expect(replies.map((r) => r.statusCode)).toEqual([400, 400, 400, 400]);
    expect(replies[1].body.error).toEqual({ code: 'InvalidLimit', message: 'limit must be an integer between 1 and 100, got \'101\'' });
  });

  test('fails with 400 for a tampered cursor, a forged one and one of another resource', async () => {
    const api = await newApi();
    await seed(api, 3);
    const { nextCursor } = (await api.call('GET', '/items', { query: { limit: '1' } })).body;
    const [payload, signature] = (nextCursor as string).split('.');
    const tamperedPayload = Buffer.from(JSON.stringify({ r: 'items', k: 'item-002' })).toString('base64url');
    const key = await api.deps.cursorKey();
    const replies = await Promise.all([
      `${tamperedPayload}.${signature}`,
      signCursor('item-001', 'items', Buffer.alloc(32, 7)),
      signCursor('item-001', 'orders', key),
      `${payload}`,
      'not a cursor',
    ].map((cursor) => api.call('GET', '/items', { query: { cursor } })));
    expect(replies.map((r) => r.statusCode)).toEqual([400, 400, 400, 400, 400]);
    expect(replies[0].body.error.code).toBe('InvalidCursor');
  });

  test('the cursor key is created once in the table and shared by every container', async () => {
    const api = await newApi();
    const keys = await Promise.all([1, 2, 3].map(() => loadCursorKey(client, api.tableName)));
    const stored = await ddb.send(new GetItemCommand({ TableName: api.tableName, Key: { pk: { S: '#meta' }, sk: { S: 'cursor-key' } } }));
    expect(keys[0]).toHaveLength(32);
    expect(keys[1].equals(keys[0])).toBe(true);
    expect(keys[2].equals(keys[0])).toBe(true);
    expect(Buffer.from(stored.Item!.secret.B!).equals(keys[0])).toBe(true);
  });
});

describe('ETag and If-Match', () => {
  test('fails with 428 for PUT and PATCH without If-Match', async () => {
    const api = await newApi();
    await api.call('POST', '/items', { body: { id: 'a', ...WIDGET } });
    const put = await api.call('PUT', '/items/a', { body: WIDGET });
    const patched = await api.call('PATCH', '/items/a', { body: { price: 1 } });
    expect(put.statusCode).toBe(428);
    expect(put.body.error.code).toBe('PreconditionRequired');
    expect(patched.statusCode).toBe(428);
    expect((await api.call('GET', '/items/a')).body.price).toBe(3);
  });

  test('PUT and PATCH without If-Match apply when requireIfMatch is off', async () => {
    const api = await newApi({ [ENV.REQUIRE_IF_MATCH]: 'false' });
    await api.call('POST', '/items', { body: { id: 'a', ...WIDGET } });
    const put = await api.call('PUT', '/items/a', { body: { name: 'b', price: 2 } });
    const patched = await api.call('PATCH', '/items/a', { body: { price: 7 } });
    expect(put.statusCode).toBe(200);
    expect(patched.body).toEqual({ id: 'a', name: 'b', price: 7 });
    expect(patched.headers.etag).toMatch(/^"3-/);
  });

  test('fails with 412 for a stale ETag, answering the current one; the item keeps the newer write', async () => {
    const api = await newApi();
    const created = await api.call('POST', '/items', { body: { id: 'a', ...WIDGET } });
    const updated = await api.call('PATCH', '/items/a', { body: { price: 4 }, headers: { 'if-match': created.headers.etag } });
    const stale = await api.call('PUT', '/items/a', { body: { name: 'late', price: 1 }, headers: { 'if-match': created.headers.etag } });
    expect(stale.statusCode).toBe(412);
    expect(stale.body.error.code).toBe('PreconditionFailed');
    expect(stale.headers.etag).toBe(updated.headers.etag);
    expect((await api.call('GET', '/items/a')).body.price).toBe(4);
  });

  test('an ETag of a deleted item does not match the item re-created under the same id', async () => {
    const api = await newApi();
    const old = await api.call('POST', '/items', { body: { id: 'a', ...WIDGET } });
    await api.call('DELETE', '/items/a');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const recreated = await api.call('POST', '/items', { body: { id: 'a', name: 'new', price: 1 } });
    const stale = await api.call('PATCH', '/items/a', { body: { price: 2 }, headers: { 'if-match': old.headers.etag } });
    expect(recreated.headers.etag).not.toBe(old.headers.etag);
    expect(stale.statusCode).toBe(412);
  });

  test('two concurrent PATCHes with the same ETag: exactly one 200 and one 412', async () => {
    const api = await newApi();
    const created = await api.call('POST', '/items', { body: { id: 'a', ...WIDGET } });
    const [one, two] = await Promise.all([
      api.call('PATCH', '/items/a', { body: { price: 10 }, headers: { 'if-match': created.headers.etag } }),
      api.call('PATCH', '/items/a', { body: { price: 20 }, headers: { 'if-match': created.headers.etag } }),
    ]);
    const statuses = [one.statusCode, two.statusCode].sort();
    const winner = one.statusCode === 200 ? one : two;
    const current = await api.call('GET', '/items/a');
    expect(statuses).toEqual([200, 412]);
    expect(current.body.price).toBe(winner.body.price);
    expect(current.headers.etag).toBe(winner.headers.etag);
  });

  test('ten concurrent PATCHes with the same ETag: exactly one applies', async () => {
    const api = await newApi();
    const created = await api.call('POST', '/items', { body: { id: 'a', ...WIDGET } });
    const replies = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      api.call('PATCH', '/items/a', { body: { price: i }, headers: { 'if-match': created.headers.etag } })));
    expect(replies.filter((r) => r.statusCode === 200)).toHaveLength(1);
    expect(replies.filter((r) => r.statusCode === 412)).toHaveLength(9);
  });

  test('fails with 400 for an If-Match that is not an ETag of this API', async () => {
    const api = await newApi();
    await api.call('POST', '/items', { body: { id: 'a', ...WIDGET } });
    const reply1 = await api.call('PATCH', '/items/a', { body: { price: 1 }, headers: { 'if-match': '"abc"' } });
    expect(reply1.statusCode).toBe(400);
    expect(reply1.body.error.code).toBe('InvalidPrecondition');
  });
});

describe('request errors: JSON bodies, never a stack trace', () => {
  test('fails with 400 for a body that is not JSON', async () => {
    const api = await newApi();
    const bad = await api.call('POST', '/items', { body: '{"name": ' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body.error.code).toBe('InvalidJson');
    expect(bad.body.error.message).toMatch(/^the body is not valid JSON: /);
  });

  test('fails with 400 listing every schema violation', async () => {
    const api = await newApi();
    const bad = await api.call('POST', '/items', { body: { name: '', price: -1, colour: 'red' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.body.error.code).toBe('ValidationFailed');
    expect(bad.body.error.details).toEqual(expect.arrayContaining([
      expect.objectContaining({ path: '/name' }),
      expect.objectContaining({ path: '/price' }),
      expect.objectContaining({ path: '/colour' }),
    ]));
    expect(bad.body.error.details).toHaveLength(3);
  });

  test('fails with 400 when a PATCH would leave the item violating its schema', async () => {
    const api = await newApi();
    const created = await api.call('POST', '/items', { body: { id: 'a', ...WIDGET } });
    const bad = await api.call('PATCH', '/items/a', { body: { name: null }, headers: { 'if-match': created.headers.etag } });
    expect(bad.statusCode).toBe(400);
    expect(bad.body.error.details).toEqual([expect.objectContaining({ path: '/' })]);
    expect((await api.call('GET', '/items/a')).body.name).toBe('widget');
  });

  test('fails with 400 for a body that is not an object, an invalid id or an id that differs from the path', async () => {
    const api = await newApi();
    const created = await api.call('POST', '/items', { body: { id: 'a', ...WIDGET } });
    const replies = [
      await api.call('POST', '/items', { body: [WIDGET] }),
      await api.call('POST', '/items', { body: { id: 'has space', ...WIDGET } }),
      await api.call('POST', '/items', { body: { id: 42, ...WIDGET } }),
      await api.call('PUT', '/items/a', { body: { id: 'b', ...WIDGET }, headers: { 'if-match': created.headers.etag } }),
      await api.call('GET', `/items/${encodeURIComponent('a#b')}`),
    ];
    expect(replies.map((r) => [r.statusCode, r.body.error.code])).toEqual([
      [400, 'InvalidBody'], [400, 'InvalidId'], [400, 'InvalidId'], [400, 'IdMismatch'], [400, 'InvalidId'],
    ]);
  });

  test('fails with 400 for JSON that DynamoDB cannot store (a number beyond its range), not 500', async () => {
    const api = await newApi({}, 'things');
    const noSchema = withConfig(api.tableName, { ...api.cfg, validator: undefined });
    const bad = await noSchema.call('POST', '/things', { body: '{"n": 1e200}' });
    const large = await noSchema.call('POST', '/things', { body: '{"id": "big", "n": 12345678901234567890, "f": 1.5e100}' });
    const read = await noSchema.call('GET', '/things/big');
    expect(bad.statusCode).toBe(400);
    expect(bad.body.error.code).toBe('UnstorableItem');
    expect(large.statusCode).toBe(201);
    expect(read.body).toEqual({ id: 'big', n: 12345678901234567000, f: 1.5e100 });
  });

  test('fails with 415 for a body that is not declared JSON', async () => {
    const api = await newApi();
    const bad = await api.call('POST', '/items', { body: WIDGET, headers: { 'content-type': 'text/plain' } });
    expect(bad.statusCode).toBe(415);
    expect(bad.body.error.code).toBe('UnsupportedMediaType');
  });

  test('answers 500 with a generic message when the table fails, without the cause', async () => {
    const api = await newApi();
    process.env[ENV.TABLE_NAME] = 'no-such-table';
    process.env[ENV.RESOURCE] = 'items';
    let handler: typeof import('../../src/serverless-rest-api/runtime/crud.handler').handler;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler = require('../../src/serverless-rest-api/runtime/crud.handler').handler;
    });
    const failed = reply(await handler!(requestEvent('items', 'GET', '/items/a', {})));
    expect(api.tableName).not.toBe('no-such-table');
    expect(failed.statusCode).toBe(500);
    expect(failed.body).toEqual({ error: { code: 'InternalError', message: 'the request could not be completed; try again' } });
  });
});

describe('the runtime helper (cdk-serverless-patterns-runtime/rest-api)', () => {
  test('restRouteOf names the six routes of a resource and nothing else', () => {
    const routes = [['GET', '/items'], ['POST', '/items'], ['GET', '/items/a'], ['PUT', '/items/a'], ['PATCH', '/items/a'], ['DELETE', '/items/a'], ['DELETE', '/items']]
      .map(([method, path]) => restRouteOf(requestEvent('items', method, path, {})));
    expect(routes).toEqual([
      { route: 'list' }, { route: 'create' }, { route: 'get', id: 'a' }, { route: 'replace', id: 'a' }, { route: 'patch', id: 'a' }, { route: 'delete', id: 'a' }, undefined,
    ]);
  });

  test('preconditionOf answers 428 without If-Match when required, and parses ETags, * and If-None-Match', () => {
    const event = (headers: Record<string, string>) => requestEvent('items', 'PUT', '/items/a', { headers });
    const missing = preconditionOf(event({}), true, 'PUT');
    expect('response' in missing && missing.response.statusCode).toBe(428);
    expect(preconditionOf(event({}), false, 'PUT')).toEqual({ anyVersion: true, ifNoneMatch: false });
    expect(preconditionOf(event({ 'if-match': '*' }), true, 'PUT')).toEqual({ anyVersion: true, ifNoneMatch: false });
    expect(preconditionOf(event({ 'if-none-match': '*' }), true, 'PUT')).toEqual({ anyVersion: false, ifNoneMatch: true });
    expect(preconditionOf(event({ 'if-match': 'W/"3-lz2k1x0a"' }), true, 'PUT')).toEqual({
      expected: { version: 3, createdAt: new Date(parseInt('lz2k1x0a', 36)).toISOString() }, anyVersion: false, ifNoneMatch: false,
    });
  });

  test('the example user handler (stock-levels) reads what the built-in handler wrote, with the helper\'s JSON errors', async () => {
    // GIVEN products written by the built-in handler
    const products = await newApi({}, 'products');
    const noSchema = { ...products.cfg, validator: undefined };
    await withConfig(products.tableName, noSchema).call('POST', '/products', { body: { id: 'p1', name: 'widget', stock: 4 } });
    process.env[ENV.TABLE_NAME] = products.tableName;
    // WHEN
    const level = reply(await stockLevels(requestEvent('stock-levels', 'GET', '/stock-levels/p1', {})));
    const unknown = reply(await stockLevels(requestEvent('stock-levels', 'GET', '/stock-levels/nope', {})));
    const post = reply(await stockLevels(requestEvent('stock-levels', 'POST', '/stock-levels', { body: {} })));
    // THEN
    expect(level).toMatchObject({ statusCode: 200, body: { id: 'p1', stock: 4, status: 'low' } });
    expect(unknown).toMatchObject({ statusCode: 404, body: { error: { code: 'NotFound' } } });
    expect(post).toMatchObject({ statusCode: 405, body: { error: { code: 'MethodNotAllowed' } } });
  });
});

describe('mergePatch (RFC 7396)', () => {
  test('merges objects recursively, removes members set to null and replaces arrays and scalars', () => {
    expect(mergePatch({ a: 'b', c: { d: 'e', f: 'g' }, l: [1] }, { a: 'z', c: { f: null }, l: [2] })).toEqual({ a: 'z', c: { d: 'e' }, l: [2] });
  });
});
