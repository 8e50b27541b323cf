/**
 * Environment variables the ServerlessRestApi construct sets and its CRUD handler (or a user
 * handler) reads, and the conventions both sides share. No imports: shared by synth-time and
 * run-time code.
 */
export const ENV = {
  /** The DynamoDB table of every resource of the API (partition key `pk`, sort key `sk`). */
  TABLE_NAME: 'REST_API_TABLE_NAME',
  /** The resource this function serves, e.g. `items`: the partition key of its records. */
  RESOURCE: 'REST_API_RESOURCE',
  /** The item attribute that holds the id in request and response bodies (default `id`). */
  ID_ATTRIBUTE: 'REST_API_ID_ATTRIBUTE',
  /** Optional JSON Schema (as JSON text) that items must satisfy. */
  SCHEMA: 'REST_API_SCHEMA',
  /** `true` when PUT and PATCH without `If-Match` are refused with 428. */
  REQUIRE_IF_MATCH: 'REST_API_REQUIRE_IF_MATCH',
} as const;

/** Attribute names of a record in the table. */
export const ATTR = {
  /** Partition key: the resource name (or META_PARTITION). */
  PK: 'pk',
  /** Sort key: the item id. */
  SK: 'sk',
  /** The item as the client sent it, without its id (a map). */
  DATA: 'data',
  /** A counter, 1 on create, +1 per write: the ETag with `createdAt`. */
  VERSION: 'version',
  /** ISO 8601 time of the create (part of the ETag, so a re-created item never matches an old ETag). */
  CREATED_AT: 'createdAt',
  /** ISO 8601 time of the last write. */
  UPDATED_AT: 'updatedAt',
} as const;

/**
 * The partition of the API's own records (the cursor signing key). Resource names match
 * `[a-z][a-z0-9-]*`, so no resource can collide with it.
 */
export const META_PARTITION = '#meta';
/** Sort key of the cursor signing key record. */
export const CURSOR_KEY_ID = 'cursor-key';

/** Page size of `GET /<resource>` without `limit`. */
export const DEFAULT_PAGE_SIZE = 25;
/** Largest `limit` accepted. */
export const MAX_PAGE_SIZE = 100;
/** Largest request body accepted: DynamoDB items are at most 400 KB, with room for the record's own attributes. */
export const MAX_BODY_BYTES = 350_000;
/** Deepest nesting of a body: DynamoDB allows 32 levels, the record's `data` map is one of them. */
export const MAX_JSON_DEPTH = 30;
/** Ids: URL-safe (unreserved characters), 1 to 128 of them. */
export const ID_PATTERN_SOURCE = '^[A-Za-z0-9._~-]{1,128}$';
