/**
 * The built-in CRUD handler of a ServerlessRestApi resource (one function per resource):
 *
 * - `GET /<r>?limit=&cursor=`: a page of items (ordered by id) and `nextCursor`, an opaque cursor
 *   signed with HMAC-SHA256 (a tampered or foreign cursor gets 400);
 * - `GET /<r>/{id}`: the item and its `ETag`;
 * - `POST /<r>`: creates the item, with the id from the body or a random UUID; an existing id
 *   gets 409 (conditional create);
 * - `PUT /<r>/{id}` (replace) and `PATCH /<r>/{id}` (JSON Merge Patch, RFC 7396): a conditional
 *   write on the `If-Match` ETag (412 on mismatch; 428 without one when it is required);
 *   `PUT` with `If-None-Match: *` creates only;
 * - `DELETE /<r>/{id}`: 204, conditional on `If-Match` when one is sent.
 *
 * Every error is `{ "error": { "code", "message", "details"? } }` JSON; a 500 says nothing of
 * the cause (the cause is logged).
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Validator } from '@cfworker/json-schema';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { errorResponse, etagOf, JsonObject, json, mergePatch, preconditionOf, restRouteOf, sameVersion, truncate, Version } from './conventions';
import {
  ATTR, CURSOR_KEY_ID, DEFAULT_PAGE_SIZE, ENV, ID_PATTERN_SOURCE, MAX_BODY_BYTES, MAX_JSON_DEPTH, MAX_PAGE_SIZE, META_PARTITION,
} from './env';
import { header, jsonDepthExceeds } from '../../async-http-api/runtime/http';

const logger = new Logger();
/**
 * The document client of the handler. JSON numbers are JavaScript numbers: they are written as
 * they are (`allowImpreciseNumbers`: an integer beyond 2^53 already lost its precision in
 * JSON.parse, and DynamoDB refuses what it cannot hold, answered 400) and read back as numbers
 * (the SDK's default turns large ones into BigInt, which JSON cannot carry).
 */
export function crudDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, allowImpreciseNumbers: true },
    unmarshallOptions: { wrapNumbers: (value: string) => Number(value) },
  });
}

const documentClient = crudDocumentClient(new DynamoDBClient({}));
const ID_PATTERN = new RegExp(ID_PATTERN_SOURCE);

type Response = APIGatewayProxyStructuredResultV2;

/** Configuration read once per container from the environment the construct sets. */
export interface CrudConfig {
  readonly tableName: string;
  readonly resource: string;
  readonly idAttribute: string;
  readonly requireIfMatch: boolean;
  /** The item schema, prepared once per container. */
  readonly validator?: Validator;
}

export function crudConfigFromEnvironment(env: NodeJS.ProcessEnv = process.env): CrudConfig {
  const schema = env[ENV.SCHEMA];
  return {
    tableName: required(env, ENV.TABLE_NAME),
    resource: required(env, ENV.RESOURCE),
    idAttribute: env[ENV.ID_ATTRIBUTE] || 'id',
    requireIfMatch: env[ENV.REQUIRE_IF_MATCH] !== 'false',
    validator: schema ? new Validator(JSON.parse(schema), '2020-12', false) : undefined,
  };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

/** What the handler needs beyond its configuration (the table client and the cursor key), passed in for tests. */
export interface CrudDependencies {
  readonly client: DynamoDBDocumentClient;
  /** The cursor signing key (32 bytes). */
  readonly cursorKey: () => Promise<Buffer>;
}

export { etagOf, errorResponse, mergePatch, parseEtag } from './conventions';

let config: CrudConfig | undefined;
let cursorKeyPromise: Promise<Buffer> | undefined;

export const handler = async (event: APIGatewayProxyEventV2): Promise<Response> => {
  try {
    config ??= crudConfigFromEnvironment();
    const cfg = config;
    return await handleCrudRequest(event, cfg, {
      client: documentClient,
      cursorKey: () => {
        // Once per container; a failed read is retried by the next request.
        cursorKeyPromise ??= loadCursorKey(documentClient, cfg.tableName).catch((error) => {
          cursorKeyPromise = undefined;
          throw error;
        });
        return cursorKeyPromise;
      },
    });
  } catch (error) {
    logger.error('request failed', { error: error as Error, routeKey: event.routeKey });
    return errorResponse(500, 'InternalError', 'the request could not be completed; try again');
  }
};

/**
 * The cursor signing key: 32 random bytes kept in the table itself (`pk = '#meta'`), created by
 * the first container that needs it (a conditional put: concurrent creators agree on the first
 * one) and read once per container. Whoever can read the key can read the table, and a cursor
 * only carries a position inside the resource the route names, so the key needs no secret store.
 */
export async function loadCursorKey(client: DynamoDBDocumentClient, tableName: string): Promise<Buffer> {
  const key = { [ATTR.PK]: META_PARTITION, [ATTR.SK]: CURSOR_KEY_ID };
  const readKey = async () => {
    const found = await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
    const value = found.Item?.secret as Uint8Array | undefined;
    return value ? Buffer.from(value) : undefined;
  };
  const existing = await readKey();
  if (existing) return existing;
  const fresh = randomBytes(32);
  try {
    await client.send(new PutCommand({
      TableName: tableName,
      Item: { ...key, secret: fresh, createdAt: new Date().toISOString() },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': ATTR.PK },
    }));
    return fresh;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const winner = await readKey();
    if (!winner) throw new Error('the cursor key record vanished after a concurrent create');
    return winner;
  }
}

/** The work of every route, with its dependencies passed in. */
export async function handleCrudRequest(event: APIGatewayProxyEventV2, cfg: CrudConfig, deps: CrudDependencies): Promise<Response> {
  const method = (event.requestContext?.http?.method ?? '').toUpperCase();
  const id = event.pathParameters?.id;
  if (id !== undefined && !ID_PATTERN.test(id)) {
    return errorResponse(400, 'InvalidId', `the id must be 1 to 128 letters, digits, '.', '_', '~' or '-', got '${truncate(id)}'`);
  }
  const store = new ItemStore(deps.client, cfg);
  const target = restRouteOf(event);
  try {
    switch (target?.route) {
      case 'list': return await list(event, cfg, store, deps);
      case 'create': return await create(event, cfg, store);
      case 'get': return await read(cfg, store, id!);
      case 'replace': return await replace(event, cfg, store, id!);
      case 'patch': return await patch(event, cfg, store, id!);
      case 'delete': return await remove(event, cfg, store, id!);
    }
  } catch (error) {
    if (error instanceof UnstorableItemError) {
      return errorResponse(400, 'UnstorableItem', `the item is valid JSON but DynamoDB cannot store it: ${truncate(error.message, 200)}`);
    }
    throw error;
  }
  return errorResponse(405, 'MethodNotAllowed', `${method} is not a route of /${cfg.resource}${id === undefined ? '' : '/{id}'}`);
}

async function list(event: APIGatewayProxyEventV2, cfg: CrudConfig, store: ItemStore, deps: CrudDependencies): Promise<Response> {
  const query = event.queryStringParameters ?? {};
  let limit = DEFAULT_PAGE_SIZE;
  if (query.limit !== undefined) {
    limit = Number(query.limit);
    if (!/^\d+$/.test(query.limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      return errorResponse(400, 'InvalidLimit', `limit must be an integer between 1 and ${MAX_PAGE_SIZE}, got '${truncate(query.limit)}'`);
    }
  }
  let after: string | undefined;
  if (query.cursor !== undefined) {
    after = verifyCursor(query.cursor, cfg.resource, await deps.cursorKey());
    if (after === undefined) {
      return errorResponse(400, 'InvalidCursor', 'the cursor is not one this API issued for this resource; start again without it');
    }
  }
  const page = await store.page(limit, after);
  const nextCursor = page.lastId === undefined ? undefined : signCursor(page.lastId, cfg.resource, await deps.cursorKey());
  return json(200, { items: page.records.map((r) => itemOf(cfg, r)), ...(nextCursor ? { nextCursor } : {}) });
}

async function read(cfg: CrudConfig, store: ItemStore, id: string): Promise<Response> {
  const record = await store.get(id);
  if (!record) return notFound(cfg, id);
  return json(200, itemOf(cfg, record), { etag: etagOf(record) });
}

async function create(event: APIGatewayProxyEventV2, cfg: CrudConfig, store: ItemStore): Promise<Response> {
  const body = parseBody(event, cfg, ['application/json']);
  if ('response' in body) return body.response;
  const given = body.item[cfg.idAttribute];
  if (given !== undefined && (typeof given !== 'string' || !ID_PATTERN.test(given))) {
    return errorResponse(400, 'InvalidId', `${cfg.idAttribute} must be a string of 1 to 128 letters, digits, '.', '_', '~' or '-' (or absent, for a generated id)`);
  }
  const id = (given as string | undefined) ?? randomUUID();
  const invalid = validate(cfg, body.item);
  if (invalid) return invalid;
  const record = await store.put(id, body.item, { create: true });
  if (!record) return errorResponse(409, 'AlreadyExists', `${cfg.resource}/${id} already exists; update it with PUT or PATCH and its ETag`);
  return json(201, itemOf(cfg, record), { etag: etagOf(record), location: `${baseUrl(event)}/${cfg.resource}/${encodeURIComponent(id)}` });
}

async function replace(event: APIGatewayProxyEventV2, cfg: CrudConfig, store: ItemStore, id: string): Promise<Response> {
  const condition = preconditionOf(event, cfg.requireIfMatch, 'PUT');
  if ('response' in condition) return condition.response;
  const body = parseBody(event, cfg, ['application/json']);
  if ('response' in body) return body.response;
  const mismatch = idMismatch(cfg, body.item, id);
  if (mismatch) return mismatch;
  const invalid = validate(cfg, body.item);
  if (invalid) return invalid;
  const write = condition.ifNoneMatch ? { create: true } : { expected: condition.expected, anyVersion: condition.anyVersion };
  const record = await store.put(id, body.item, write);
  if (record && condition.ifNoneMatch) return json(201, itemOf(cfg, record), { etag: etagOf(record), location: `${baseUrl(event)}/${cfg.resource}/${encodeURIComponent(id)}` });
  if (record) return json(200, itemOf(cfg, record), { etag: etagOf(record) });
  return failedPrecondition(cfg, store, id, condition.ifNoneMatch);
}

async function patch(event: APIGatewayProxyEventV2, cfg: CrudConfig, store: ItemStore, id: string): Promise<Response> {
  const condition = preconditionOf(event, cfg.requireIfMatch, 'PATCH');
  if ('response' in condition) return condition.response;
  if (condition.ifNoneMatch) return errorResponse(400, 'InvalidPrecondition', 'PATCH changes an existing item: If-None-Match: * does not apply');
  const body = parseBody(event, cfg, ['application/merge-patch+json', 'application/json']);
  if ('response' in body) return body.response;
  const mismatch = idMismatch(cfg, body.item, id);
  if (mismatch) return mismatch;
  // Without If-Match (when allowed) the patch applies to whatever is current: a concurrent write
  // between the read and the write is retried on the new state, never overwritten.
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await store.get(id);
    if (!current) return notFound(cfg, id);
    if (condition.expected && !sameVersion(condition.expected, current)) return preconditionFailed(cfg, id, current);
    const merged = mergePatch(current.data, body.item) as JsonObject;
    delete merged[cfg.idAttribute];
    const invalid = validate(cfg, merged);
    if (invalid) return invalid;
    const record = await store.put(id, merged, { expected: versionOf(current), createdAt: current.createdAt });
    if (record) return json(200, itemOf(cfg, record), { etag: etagOf(record) });
    if (condition.expected) return failedPrecondition(cfg, store, id, false);
  }
  return errorResponse(409, 'Conflict', `${cfg.resource}/${id} changed during the patch three times in a row; try again`);
}

async function remove(event: APIGatewayProxyEventV2, cfg: CrudConfig, store: ItemStore, id: string): Promise<Response> {
  const condition = preconditionOf(event, cfg.requireIfMatch, 'DELETE');
  if ('response' in condition) return condition.response;
  if (condition.ifNoneMatch) return errorResponse(400, 'InvalidPrecondition', 'DELETE removes an existing item: If-None-Match: * does not apply');
  const deleted = await store.delete(id, condition.expected);
  if (deleted) return { statusCode: 204, headers: { 'cache-control': 'no-store' } };
  return failedPrecondition(cfg, store, id, false);
}

// ---------------------------------------------------------------------------------------------
// Failed preconditions
// ---------------------------------------------------------------------------------------------

function versionOf(record: Version): Version {
  return { version: record.version, createdAt: record.createdAt };
}

/** A conditional write failed: tell 404 (nothing there), 412 (another version) or 409 (If-None-Match: * on an existing item) apart. */
async function failedPrecondition(cfg: CrudConfig, store: ItemStore, id: string, ifNoneMatch: boolean): Promise<Response> {
  const current = await store.get(id);
  if (ifNoneMatch) return errorResponse(412, 'PreconditionFailed', `${cfg.resource}/${id} already exists (If-None-Match: *)`);
  if (!current) return notFound(cfg, id);
  return preconditionFailed(cfg, id, current);
}

function preconditionFailed(cfg: CrudConfig, id: string, current: Version): Response {
  return errorResponse(412, 'PreconditionFailed', `${cfg.resource}/${id} has changed since that ETag: GET it again, reapply your change and send its new ETag`,
    undefined, { etag: etagOf(current) });
}

// ---------------------------------------------------------------------------------------------
// Bodies
// ---------------------------------------------------------------------------------------------

function parseBody(event: APIGatewayProxyEventV2, cfg: CrudConfig, mediaTypes: string[]): { item: JsonObject } | { response: Response } {
  const contentType = (header(event, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (!mediaTypes.includes(contentType)) {
    return { response: errorResponse(415, 'UnsupportedMediaType', `Content-Type must be ${mediaTypes.join(' or ')}, got ${contentType ? `'${truncate(contentType)}'` : 'none'}`) };
  }
  const text = event.body === undefined ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_BODY_BYTES) {
    return { response: errorResponse(413, 'PayloadTooLarge', `the body is ${bytes} bytes; the limit is ${MAX_BODY_BYTES} (DynamoDB items hold at most 400 KB)`) };
  }
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    return { response: errorResponse(400, 'NestingTooDeep', `the body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`) };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { response: errorResponse(400, 'InvalidJson', `the body is not valid JSON: ${(error as Error).message}`) };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { response: errorResponse(400, 'InvalidBody', `a ${cfg.resource} item is a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}`) };
  }
  return { item: value as JsonObject };
}

function idMismatch(cfg: CrudConfig, item: JsonObject, id: string): Response | undefined {
  const given = item[cfg.idAttribute];
  if (given === undefined || given === id) return undefined;
  return errorResponse(400, 'IdMismatch', `${cfg.idAttribute} in the body must be the id in the path ('${id}') or absent; ids cannot change`);
}

/** 400 listing every violation (the innermost ones, not each enclosing keyword that failed because of them). */
function validate(cfg: CrudConfig, item: JsonObject): Response | undefined {
  if (!cfg.validator) return undefined;
  const { [cfg.idAttribute]: _id, ...rest } = item;
  const result = cfg.validator.validate(rest);
  if (result.valid) return undefined;
  const keywords = result.errors.map((e) => e.keywordLocation);
  const innermost = result.errors.filter((e) => !keywords.some((k) => k !== e.keywordLocation && k.startsWith(`${e.keywordLocation}/`)));
  // A `false` subschema (`additionalProperties: false`) reports after the keyword that applied it,
  // with the member's location: one violation, the keyword's message at the member.
  const details: { path: string; message: string }[] = [];
  for (const e of innermost) {
    const path = e.instanceLocation.replace(/^#/, '') || '/';
    if (e.keyword === 'false' && details.length > 0) details[details.length - 1].path = path;
    else details.push({ path, message: e.error });
  }
  return errorResponse(400, 'ValidationFailed', `the ${cfg.resource} item does not match its schema (${details.length} violation${details.length === 1 ? '' : 's'})`, details);
}

// ---------------------------------------------------------------------------------------------
// Cursors: base64url(JSON { r, k }) "." base64url(HMAC-SHA256(key, "v1." + payload))
// ---------------------------------------------------------------------------------------------

export function signCursor(lastId: string, resource: string, key: Buffer): string {
  const payload = Buffer.from(JSON.stringify({ r: resource, k: lastId })).toString('base64url');
  return `${payload}.${mac(payload, key).toString('base64url')}`;
}

/** The id a cursor continues after, or undefined when it was not issued (with this key) for this resource. */
export function verifyCursor(cursor: string, resource: string, key: Buffer): string | undefined {
  const [payload, signature, ...rest] = cursor.split('.');
  if (!payload || !signature || rest.length > 0 || cursor.length > 1024) return undefined;
  const expected = mac(payload, key);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return decoded.r === resource && typeof decoded.k === 'string' && ID_PATTERN.test(decoded.k) ? decoded.k : undefined;
  } catch {
    return undefined;
  }
}

function mac(payload: string, key: Buffer): Buffer {
  return createHmac('sha256', key).update(`v1.${payload}`).digest();
}

// ---------------------------------------------------------------------------------------------
// The table: pk = resource, sk = id, data = the item without its id
// ---------------------------------------------------------------------------------------------

/** DynamoDB refused an item the API accepted as JSON (a client error, not a server one). */
class UnstorableItemError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnstorableItemError';
  }
}

interface ItemRecord extends Version {
  readonly id: string;
  readonly data: JsonObject;
  readonly updatedAt: string;
}

interface PutCondition {
  /** Create only: fails when the id exists. */
  readonly create?: boolean;
  /** Only over this version. */
  readonly expected?: Version;
  /** Over any existing version (If-Match: *, or no If-Match when allowed): fails when the id does not exist. */
  readonly anyVersion?: boolean;
  /** The creation time to keep (known from a read); otherwise that of `expected`, or now for a create. */
  readonly createdAt?: string;
}

class ItemStore {
  constructor(private readonly client: DynamoDBDocumentClient, private readonly cfg: CrudConfig) {}

  private key(id: string) {
    return { [ATTR.PK]: this.cfg.resource, [ATTR.SK]: id };
  }

  /** Strongly consistent: a client that just wrote reads its write (and its ETag). */
  public async get(id: string): Promise<ItemRecord | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.cfg.tableName, Key: this.key(id), ConsistentRead: true }));
    return result.Item ? recordOf(result.Item) : undefined;
  }

  /**
   * Up to `limit` items after `after`, in id order, and the id to continue after when there are
   * more. One item more than the page is read, so the last page never ends in an empty one.
   */
  public async page(limit: number, after: string | undefined): Promise<{ records: ItemRecord[]; lastId?: string }> {
    const result = await this.client.send(new QueryCommand({
      TableName: this.cfg.tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': ATTR.PK },
      ExpressionAttributeValues: { ':pk': this.cfg.resource },
      Limit: limit + 1,
      ExclusiveStartKey: after === undefined ? undefined : this.key(after),
    }));
    const records = (result.Items ?? []).map(recordOf);
    if (records.length > limit) return { records: records.slice(0, limit), lastId: records[limit - 1].id };
    // DynamoDB stops at 1 MB read: more may follow although the page is short.
    return { records, lastId: result.LastEvaluatedKey ? records[records.length - 1]?.id ?? String(result.LastEvaluatedKey[ATTR.SK]) : undefined };
  }

  /** Writes the item under its condition; undefined when the condition failed. */
  public async put(id: string, data: JsonObject, condition: PutCondition): Promise<ItemRecord | undefined> {
    const now = new Date().toISOString();
    const { [this.cfg.idAttribute]: _id, ...stored } = data;
    let version: number;
    let createdAt: string;
    let expression: string;
    const values: Record<string, unknown> = {};
    const names: Record<string, string> = { '#pk': ATTR.PK };
    if (condition.create) {
      version = 1;
      createdAt = now;
      expression = 'attribute_not_exists(#pk)';
    } else if (condition.expected) {
      version = condition.expected.version + 1;
      createdAt = condition.createdAt ?? condition.expected.createdAt;
      expression = '#version = :version AND #createdAt = :createdAt';
      Object.assign(names, { '#version': ATTR.VERSION, '#createdAt': ATTR.CREATED_AT });
      Object.assign(values, { ':version': condition.expected.version, ':createdAt': condition.expected.createdAt });
      delete names['#pk'];
    } else {
      // Any version: read it to carry the counter and creation time (a conditional write on it).
      const current = await this.get(id);
      if (!current) return undefined;
      return this.put(id, data, { expected: versionOf(current) });
    }
    const item = { ...this.key(id), [ATTR.DATA]: stored, [ATTR.VERSION]: version, [ATTR.CREATED_AT]: createdAt, [ATTR.UPDATED_AT]: now };
    try {
      await this.client.send(new PutCommand({
        TableName: this.cfg.tableName,
        Item: item,
        ConditionExpression: expression,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: Object.keys(values).length > 0 ? values : undefined,
      }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      // What JSON allows and DynamoDB does not: numbers beyond 38 digits or 1E+125, items over 400 KB once marshalled.
      if ((error as Error).name === 'ValidationException') throw new UnstorableItemError((error as Error).message);
      throw error;
    }
    return recordOf(item);
  }

  /** Deletes the item (only at `expected`, when given); false when there was none or the version differs. */
  public async delete(id: string, expected: Version | undefined): Promise<boolean> {
    try {
      await this.client.send(new DeleteCommand({
        TableName: this.cfg.tableName,
        Key: this.key(id),
        ConditionExpression: expected ? '#version = :version AND #createdAt = :createdAt' : 'attribute_exists(#pk)',
        ExpressionAttributeNames: expected ? { '#version': ATTR.VERSION, '#createdAt': ATTR.CREATED_AT } : { '#pk': ATTR.PK },
        ExpressionAttributeValues: expected ? { ':version': expected.version, ':createdAt': expected.createdAt } : undefined,
      }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

function recordOf(item: Record<string, unknown>): ItemRecord {
  return {
    id: String(item[ATTR.SK]),
    data: (item[ATTR.DATA] ?? {}) as JsonObject,
    version: Number(item[ATTR.VERSION]),
    createdAt: String(item[ATTR.CREATED_AT]),
    updatedAt: String(item[ATTR.UPDATED_AT]),
  };
}

/** The item as clients see it: its id first, then what they stored. */
function itemOf(cfg: CrudConfig, record: ItemRecord): JsonObject {
  return { [cfg.idAttribute]: record.id, ...record.data };
}

function notFound(cfg: CrudConfig, id: string): Response {
  return errorResponse(404, 'NotFound', `${cfg.resource}/${id} does not exist`);
}

function baseUrl(event: APIGatewayProxyEventV2): string {
  const stage = event.requestContext?.stage;
  const host = header(event, 'host') ?? event.requestContext?.domainName;
  return `https://${host}${!stage || stage === '$default' ? '' : `/${stage}`}`;
}
