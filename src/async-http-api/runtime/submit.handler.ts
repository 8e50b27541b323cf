/**
 * POST /jobs: validates the request, records a PENDING job and enqueues it; answers 202 with
 * `{ jobId, status, statusUrl }` and a Location header. Every error is `{ error, message }` JSON;
 * a rejected request writes nothing and enqueues nothing.
 */
import { createHash, randomUUID } from 'crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Validator } from '@cfworker/json-schema';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DEFAULT_STALE_PENDING_SECONDS, ENV, MAX_IDEMPOTENCY_KEY_LENGTH, MAX_JSON_DEPTH, MAX_PAYLOAD_BYTES, SQS_MAX_MESSAGE_BYTES } from './env';
import { baseUrl, errorResponse, header, json, jsonDepthExceeds, ownerOf } from './http';
import { idempotencyItemKey, JobRecord, JobStore, NewJob } from './job-store';

const logger = new Logger();
const sqs = new SQSClient({});
/** Visible ASCII only: no spaces, no control characters, nothing that needs escaping in a log line. */
const IDEMPOTENCY_KEY_PATTERN = new RegExp(`^[\\x21-\\x7e]{1,${MAX_IDEMPOTENCY_KEY_LENGTH}}$`);

/** Configuration read once per container from the environment the construct sets. */
export interface SubmitConfig {
  readonly tableName: string;
  readonly queueUrl: string;
  readonly maxPayloadBytes: number;
  readonly ttlSeconds: number;
  /** Seconds after which a PENDING job is enqueued again by a repeat of its Idempotency-Key. */
  readonly stalePendingSeconds: number;
  /** The request schema, prepared once per container (a 22 KB validator keeps the bundle small). */
  readonly validator?: Validator;
}

export function configFromEnvironment(env: NodeJS.ProcessEnv = process.env): SubmitConfig {
  const schema = env[ENV.REQUEST_SCHEMA];
  return {
    tableName: required(env, ENV.JOBS_TABLE_NAME),
    queueUrl: required(env, ENV.JOBS_QUEUE_URL),
    maxPayloadBytes: Number(env[ENV.MAX_PAYLOAD_BYTES] ?? MAX_PAYLOAD_BYTES),
    ttlSeconds: Number(env[ENV.JOB_TTL_SECONDS] ?? 7 * 24 * 3600),
    stalePendingSeconds: Number(env[ENV.STALE_PENDING_SECONDS] ?? DEFAULT_STALE_PENDING_SECONDS),
    // Prepared once per container, outside the handler; all violations are reported, not the first.
    validator: schema ? new Validator(JSON.parse(schema), '2020-12', false) : undefined,
  };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

let config: SubmitConfig | undefined;

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  try {
    config ??= configFromEnvironment();
    return await submitJob(event, config, new JobStore(config.tableName), sqs);
  } catch (error) {
    logger.error('submit failed', { error: error as Error });
    return errorResponse(500, 'InternalError', 'the job could not be accepted; try again');
  }
};

/** The work of POST /jobs, with its dependencies passed in. */
export async function submitJob(
  event: APIGatewayProxyEventV2, cfg: SubmitConfig, store: JobStore, queue: SQSClient,
): Promise<APIGatewayProxyStructuredResultV2> {
  const owner = ownerOf(event);
  if (owner === undefined) {
    return errorResponse(403, 'UnknownCaller', 'the authorizer named no caller (IAM principal, JWT iss and sub, or principalId); jobs need an owner');
  }
  const contentType = header(event, 'content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    return errorResponse(415, 'UnsupportedMediaType', `Content-Type must be application/json, got ${contentType ? `'${contentType}'` : 'none'}`);
  }
  const body = event.body === undefined ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const bytes = Buffer.byteLength(body);
  if (bytes > cfg.maxPayloadBytes) {
    return errorResponse(413, 'PayloadTooLarge', `the body is ${bytes} bytes; the limit is ${cfg.maxPayloadBytes}`);
  }
  if (jsonDepthExceeds(body, MAX_JSON_DEPTH)) {
    return errorResponse(400, 'NestingTooDeep', `the body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch (error) {
    return errorResponse(400, 'InvalidJson', `the body is not valid JSON: ${(error as Error).message}`);
  }
  // Escaping what SQS cannot carry (U+FFFE, U+FFFF) makes the message longer than the body.
  const messageBytes = Buffer.byteLength(messageBody('00000000-0000-0000-0000-000000000000', body));
  if (messageBytes > SQS_MAX_MESSAGE_BYTES) {
    return errorResponse(413, 'PayloadTooLarge', `the body needs ${messageBytes} bytes as a queue message (U+FFFE and U+FFFF are escaped); the limit is ${SQS_MAX_MESSAGE_BYTES}`);
  }
  const validation = cfg.validator?.validate(payload);
  if (validation && !validation.valid) {
    // Leaf errors only: the validator also reports each enclosing keyword that failed because of them.
    const leaves = validation.errors.filter((e) => !validation.errors.some((o) => o !== e && o.keywordLocation.startsWith(`${e.keywordLocation}/`)));
    const details = leaves.map((e) => ({ path: e.instanceLocation.replace(/^#/, '') || '/', message: e.error }));
    return errorResponse(400, 'ValidationFailed', `the body does not match the request schema (${details.length} violation${details.length === 1 ? '' : 's'})`, details);
  }
  const idempotencyKey = header(event, 'idempotency-key');
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
    return errorResponse(400, 'InvalidIdempotencyKey', `Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters (no spaces or control characters)`);
  }

  const payloadHash = sha256(body);
  let jobId: string = randomUUID();
  if (idempotencyKey !== undefined) {
    const claim = await store.claimIdempotencyKey(idempotencyItemKey(owner, idempotencyKey), { jobId, payloadHash, ttlSeconds: cfg.ttlSeconds });
    if (!claim.created) {
      if (claim.payloadHash !== payloadHash) {
        return errorResponse(422, 'IdempotencyKeyReused', 'this Idempotency-Key was already used with a different body');
      }
      return repeat(event, cfg, store, queue, { jobId: claim.jobId, owner, payloadHash, ttlSeconds: cfg.ttlSeconds }, body);
    }
    jobId = claim.jobId;
  }
  const existing = await store.createPending({ jobId, owner, payloadHash, ttlSeconds: cfg.ttlSeconds });
  // A concurrent repeat of the key recorded (and enqueued) the job first: answer it, send nothing.
  if (existing) return accepted(event, existing);
  return enqueue(event, cfg, store, queue, jobId, body);
}

/**
 * A repeated Idempotency-Key: answers the job it points to, and enqueues it again when it never
 * reached the queue (its enqueue failed, or it has been PENDING for longer than
 * `stalePendingSeconds`, or the submit function died between recording the key and the job).
 */
async function repeat(
  event: APIGatewayProxyEventV2, cfg: SubmitConfig, store: JobStore, queue: SQSClient, job: NewJob, body: string,
): Promise<APIGatewayProxyStructuredResultV2> {
  const existing = await store.get(job.jobId);
  if (!existing) {
    // The key was recorded but not the job: record it now (a concurrent repeat may win the race).
    const raced = await store.createPending(job);
    if (raced) return accepted(event, raced);
    return enqueue(event, cfg, store, queue, job.jobId, body);
  }
  const staleBefore = new Date(Date.now() - cfg.stalePendingSeconds * 1000);
  if (await store.reopenForEnqueue(job.jobId, staleBefore)) {
    logger.info('idempotent repeat of a job that never reached the queue; enqueueing it again', { jobId: job.jobId });
    return enqueue(event, cfg, store, queue, job.jobId, body);
  }
  logger.info('idempotent repeat', { jobId: job.jobId });
  return accepted(event, existing);
}

async function enqueue(
  event: APIGatewayProxyEventV2, cfg: SubmitConfig, store: JobStore, queue: SQSClient, jobId: string, body: string,
): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    await queue.send(new SendMessageCommand({ QueueUrl: cfg.queueUrl, MessageBody: messageBody(jobId, body) }));
  } catch (error) {
    logger.error('enqueue failed; marking the job FAILED', { jobId, error: error as Error });
    await store.markEnqueueFailed(jobId)
      .catch((markError) => logger.error('could not mark the job FAILED', { jobId, error: markError as Error }));
    return errorResponse(503, 'EnqueueFailed', 'the job could not be queued; try again (with the same Idempotency-Key, if you sent one)');
  }
  logger.info('job accepted', { jobId });
  return accepted(event, { jobId, status: 'PENDING' });
}

/**
 * The queue message: the body is embedded as sent (numbers keep their precision). U+FFFE and
 * U+FFFF are valid in JSON strings but not in SQS messages; they can only occur inside strings,
 * so they are written as escapes.
 */
export function messageBody(jobId: string, body: string): string {
  return `{"jobId":"${jobId}","payload":${body.replace(/[\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`)}}`;
}

function accepted(event: APIGatewayProxyEventV2, job: Pick<JobRecord, 'jobId' | 'status'>): APIGatewayProxyStructuredResultV2 {
  const statusUrl = `${baseUrl(event)}/jobs/${job.jobId}`;
  return json(202, { jobId: job.jobId, status: job.status, statusUrl }, { location: statusUrl });
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
