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
import { ENV, MAX_PAYLOAD_BYTES } from './env';
import { baseUrl, errorResponse, header, json } from './http';
import { JobRecord, JobStore } from './job-store';

const logger = new Logger();
const sqs = new SQSClient({});

/** Configuration read once per container from the environment the construct sets. */
export interface SubmitConfig {
  readonly tableName: string;
  readonly queueUrl: string;
  readonly maxPayloadBytes: number;
  readonly ttlSeconds: number;
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
  const contentType = header(event, 'content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    return errorResponse(415, 'UnsupportedMediaType', `Content-Type must be application/json, got ${contentType ? `'${contentType}'` : 'none'}`);
  }
  const body = event.body === undefined ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const bytes = Buffer.byteLength(body);
  if (bytes > cfg.maxPayloadBytes) {
    return errorResponse(413, 'PayloadTooLarge', `the body is ${bytes} bytes; the limit is ${cfg.maxPayloadBytes}`);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch (error) {
    return errorResponse(400, 'InvalidJson', `the body is not valid JSON: ${(error as Error).message}`);
  }
  const validation = cfg.validator?.validate(payload);
  if (validation && !validation.valid) {
    // Leaf errors only: the validator also reports each enclosing keyword that failed because of them.
    const leaves = validation.errors.filter((e) => !validation.errors.some((o) => o !== e && o.keywordLocation.startsWith(`${e.keywordLocation}/`)));
    const details = leaves.map((e) => ({ path: e.instanceLocation.replace(/^#/, '') || '/', message: e.error }));
    return errorResponse(400, 'ValidationFailed', `the body does not match the request schema (${details.length} violation${details.length === 1 ? '' : 's'})`, details);
  }
  const idempotencyKey = header(event, 'idempotency-key');
  if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) {
    return errorResponse(400, 'InvalidIdempotencyKey', 'Idempotency-Key must be 1 to 255 visible ASCII characters');
  }

  const payloadHash = sha256(body);
  const jobId = idempotencyKey ? jobIdForKey(callerOf(event), idempotencyKey) : randomUUID();
  const existing = await store.createPending(jobId, payloadHash, cfg.ttlSeconds);
  if (existing) {
    if (existing.payloadHash !== payloadHash) {
      return errorResponse(422, 'IdempotencyKeyReused', 'this Idempotency-Key was already used with a different body');
    }
    logger.info('idempotent repeat', { jobId });
    return accepted(event, existing);
  }

  try {
    await queue.send(new SendMessageCommand({ QueueUrl: cfg.queueUrl, MessageBody: `{"jobId":"${jobId}","payload":${body}}` }));
  } catch (error) {
    logger.error('enqueue failed; marking the job FAILED', { jobId, error: error as Error });
    await store.markFailed(jobId, { name: 'EnqueueFailed', message: 'the job could not be queued; submit it again' })
      .catch((markError) => logger.error('could not mark the job FAILED', { jobId, error: markError as Error }));
    return errorResponse(503, 'EnqueueFailed', 'the job could not be queued; try again');
  }
  logger.info('job accepted', { jobId });
  return accepted(event, { jobId, status: 'PENDING' });
}

function accepted(event: APIGatewayProxyEventV2, job: Pick<JobRecord, 'jobId' | 'status'>): APIGatewayProxyStructuredResultV2 {
  const statusUrl = `${baseUrl(event)}/jobs/${job.jobId}`;
  return json(202, { jobId: job.jobId, status: job.status, statusUrl }, { location: statusUrl });
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The caller's identity, so two callers using the same Idempotency-Key get different jobs:
 * the IAM principal, the JWT subject, or (open API) nobody.
 */
function callerOf(event: APIGatewayProxyEventV2): string {
  type Authorizer = { iam?: { userArn?: string }; jwt?: { claims?: Record<string, unknown> }; lambda?: Record<string, unknown> };
  const authorizer = (event.requestContext as { authorizer?: Authorizer }).authorizer;
  return authorizer?.iam?.userArn ?? String(authorizer?.jwt?.claims?.sub ?? authorizer?.lambda?.principalId ?? 'anonymous');
}

/** A UUID derived from caller + key (SHA-256, formatted as an RFC 9562 version 8 UUID). */
export function jobIdForKey(caller: string, key: string): string {
  const h = createHash('sha256').update(`${caller}\n${key}`).digest('hex');
  const variant = '89ab'[parseInt(h[16], 16) % 4]; // RFC 9562 variant bits 10xx
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
