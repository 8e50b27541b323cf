/**
 * `jobWorker`: wraps a user's job function as the SQS handler of an AsyncHttpApi worker.
 *
 * For each record it takes the job's lease (PENDING, or RUNNING with an expired lease, becomes
 * RUNNING held by this delivery until `leaseExpiresAt`), runs the function while a heartbeat
 * extends both the lease and the message's visibility, and records SUCCEEDED with the result.
 * - a delivery that finds a live lease does not run the function: the record is reported as a
 *   batch item failure and made visible again when the lease ends;
 * - a duplicate delivery of a finished job is dropped (the message is deleted);
 * - a failed attempt gives the lease up at once and is reported as a batch item failure, so SQS
 *   retries that message alone; on the last receive (the queue's maxReceiveCount) the job is
 *   recorded FAILED. A crash or timeout on the last receive is recorded FAILED by the
 *   AsyncHttpApi's dead-letter consumer.
 * The function still runs at least once, not exactly once: a delivery whose lease expired (its
 * worker froze past the lease) can overlap with the one that took the job over. Only the
 * delivery holding the lease records the outcome.
 */
import { randomUUID } from 'crypto';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { notifyCompletion } from '../async-http-api/runtime/completion';
import { ENV } from '../async-http-api/runtime/env';
import { JobStore, ResultTooLargeError } from '../async-http-api/runtime/job-store';

/** What the job function receives. */
export interface Job<TPayload = unknown> {
  /** The id the client polls with. */
  readonly jobId: string;
  /** The JSON body of POST /jobs. */
  readonly payload: TPayload;
  /** 1 on the first delivery, then 2, 3, ... up to maxReceiveCount. */
  readonly attempt: number;
  /** True on the last delivery before the message is dead-lettered. */
  readonly isLastAttempt: boolean;
  /** A logger for this job alone: correlation id = the job id, keys `jobId` and `attempt`. */
  readonly logger: Logger;
}

/** The job function: its resolved value becomes the job's result (JSON, at most 350 KB). */
export type JobHandler<TPayload = unknown, TResult = unknown> = (job: Job<TPayload>, context: Context) => Promise<TResult>;

export interface JobWorkerOptions {
  /** Parent of each job's logger (`job.logger` is a child with the job's correlation id). @default a new Logger */
  readonly logger?: Logger;
  /** Metrics to use (JobSucceeded / JobFailed counts). @default a new Metrics */
  readonly metrics?: Metrics;
  /**
   * How long a lease lasts without a heartbeat, in seconds: after a worker dies, another delivery
   * can take the job over this long after the last heartbeat. Never beyond the invocation's end.
   * @default 60
   */
  readonly leaseSeconds?: number;
  /** Seconds between heartbeats (lease and message visibility extended). @default leaseSeconds / 3 */
  readonly heartbeatSeconds?: number;
  /** DynamoDB client for the job table (e.g. with your retry settings). @default new DynamoDBClient({}) */
  readonly dynamoDbClient?: DynamoDBClient;
  /** SQS client for the heartbeat's ChangeMessageVisibility. @default new SQSClient({}) */
  readonly sqsClient?: SQSClient;
}

/** Thrown for a delivery that found another delivery's live lease: the record is retried later. */
export class LeaseHeldError extends Error {
  constructor(jobId: string, leaseExpiresAt: number) {
    super(`job ${jobId} is running under another delivery's lease until ${new Date(leaseExpiresAt).toISOString()}; retried after it`);
    this.name = 'LeaseHeldError';
  }
}

/** Defaults of jobWorker, with their reasons. */
const WORKER_DEFAULTS = {
  /** A minute: a dead worker's job is taken over within about a minute of its last heartbeat. */
  leaseSeconds: 60,
  /** Past the invocation's end nobody extends the lease: it ends shortly after the deadline. */
  leaseGraceMs: 1_000,
  /** SQS caps a message's visibility at 12 hours from its receipt. */
  maxVisibilitySeconds: 43_200,
} as const;

const logger = new Logger();
const metrics = new Metrics();

/** Creates the SQS handler for an AsyncHttpApi worker. */
export function jobWorker<TPayload = unknown, TResult = unknown>(
  work: JobHandler<TPayload, TResult>,
  options: JobWorkerOptions = {},
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const log = options.logger ?? logger;
  const metric = options.metrics ?? metrics;
  const leaseMs = (options.leaseSeconds ?? WORKER_DEFAULTS.leaseSeconds) * 1000;
  const heartbeatMs = options.heartbeatSeconds !== undefined ? options.heartbeatSeconds * 1000 : leaseMs / 3;
  if (!(leaseMs > 0) || !(heartbeatMs > 0) || heartbeatMs >= leaseMs) {
    throw new Error(`jobWorker: heartbeatSeconds (${heartbeatMs / 1000}) must be positive and shorter than leaseSeconds (${leaseMs / 1000})`);
  }
  const sqs = options.sqsClient ?? new SQSClient({});
  let store: JobStore | undefined;

  return async (event, context) => {
    store ??= new JobStore(requiredEnv(ENV.JOBS_TABLE_NAME), options.dynamoDbClient);
    const maxReceiveCount = Number(process.env[ENV.MAX_RECEIVE_COUNT] ?? '5');
    const jobs = store;
    const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : Number.POSITIVE_INFINITY;
    const deadline = Date.now() + remaining;
    const leaseUntil = (now: number) => Math.min(now + leaseMs, deadline + WORKER_DEFAULTS.leaseGraceMs);
    const processor = new BatchProcessor(EventType.SQS);

    const recordHandler = async (record: SQSRecord): Promise<void> => {
      const message = parseMessage(record);
      const attempt = Number(record.attributes.ApproximateReceiveCount ?? '1');
      const isLastAttempt = attempt >= maxReceiveCount;
      // One child per record: the batch runs in parallel, a shared logger would mix correlation ids.
      const jobLog = log.createChild();
      jobLog.setCorrelationId(message.jobId);
      jobLog.appendKeys({ jobId: message.jobId, attempt });
      const setVisibility = (seconds: number) => sqs.send(new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrlOf(record),
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: Math.max(0, Math.min(WORKER_DEFAULTS.maxVisibilitySeconds, Math.ceil(seconds))),
      }));

      const token = `${record.messageId}/${randomUUID()}`;
      const lease = await jobs.acquireLease(message.jobId, token, leaseUntil(Date.now()));
      if (lease.kind === 'unknown') {
        jobLog.warn('no such job (expired, or not of this table); message dropped');
        return;
      }
      if (lease.kind === 'finished') {
        jobLog.info('job already finished; duplicate delivery dropped', { status: lease.status });
        return;
      }
      if (lease.kind === 'busy' && lease.leaseToken !== undefined && !lease.leaseToken.startsWith(`${record.messageId}/`)) {
        // Another message of this job (a second enqueue) holds the lease: that message carries the
        // job to its end, or back to the queue if its worker dies. Retrying this one would only
        // count its receives until it is dead-lettered while the job is fine: drop it.
        jobLog.info('job running under another message\'s lease; this duplicate message is dropped', { leaseExpiresAt: lease.leaseExpiresAt });
        return;
      }
      if (lease.kind === 'busy') {
        // The same message delivered again (SQS at-least-once): come back when the lease ends, not
        // at once: each receive counts towards maxReceiveCount.
        await setVisibility((lease.leaseExpiresAt - Date.now()) / 1000 + 1)
          .catch((error) => jobLog.warn('could not delay the duplicate delivery', { error: asError(error) }));
        jobLog.info('job running under another delivery\'s lease; retried later', { leaseExpiresAt: lease.leaseExpiresAt });
        throw new LeaseHeldError(message.jobId, lease.leaseExpiresAt);
      }

      const heartbeat = startHeartbeat(heartbeatMs, deadline, async () => {
        const until = leaseUntil(Date.now());
        if (!(await jobs.extendLease(message.jobId, token, until))) {
          jobLog.warn('lease lost: another delivery took the job over; this attempt\'s outcome will not be recorded');
          return false;
        }
        // The message stays hidden until just after the lease: a redelivery then finds it expired.
        await setVisibility((until - Date.now()) / 1000 + 1);
        return true;
      }, (error) => jobLog.warn('heartbeat failed; retrying at the next beat', { error: asError(error) }));

      let result: TResult;
      try {
        result = await work({ jobId: message.jobId, payload: message.payload as TPayload, attempt, isLastAttempt, logger: jobLog }, context);
      } catch (error) {
        heartbeat.stop();
        const err = asError(error);
        if (isLastAttempt) {
          if (await jobs.markFailed(message.jobId, err, token)) {
            metric.addMetric('JobFailed', MetricUnit.Count, 1);
            await notify(jobLog, metric, 'JobFailed', { jobId: message.jobId, error: { name: err.name, message: err.message } });
          }
          jobLog.error('job failed on its last attempt; the message goes to the dead-letter queue', { error: err });
        } else {
          await jobs.releaseLease(message.jobId, token, err)
            .catch((releaseError) => jobLog.warn('could not release the lease; it expires on its own', { error: asError(releaseError) }));
          jobLog.warn('job attempt failed; SQS will retry', { error: err });
        }
        throw err;
      }
      heartbeat.stop();

      let recorded: boolean;
      try {
        recorded = await jobs.markSucceeded(message.jobId, result, token);
      } catch (error) {
        if (!(error instanceof ResultTooLargeError)) {
          // The result could not be written (e.g. throttled): give the job to the retry at once.
          await jobs.releaseLease(message.jobId, token, asError(error)).catch(() => undefined);
          throw error;
        }
        // Retrying cannot make the result smaller: fail the job now, and succeed the message.
        if (await jobs.markFailed(message.jobId, error, token)) {
          metric.addMetric('JobFailed', MetricUnit.Count, 1);
          await notify(jobLog, metric, 'JobFailed', { jobId: message.jobId, error: { name: error.name, message: error.message } });
        }
        jobLog.error('job result too large', { error });
        return;
      }
      if (!recorded) {
        jobLog.warn('lease lost before the result was recorded: the delivery that took the job over records it');
        return;
      }
      metric.addMetric('JobSucceeded', MetricUnit.Count, 1);
      jobLog.info('job succeeded');
      // The job is recorded: a failed notification must not rerun it (the retry would be dropped
      // as a duplicate anyway), so it is logged and counted for the alarm instead.
      await notify(jobLog, metric, 'JobSucceeded', { jobId: message.jobId });
    };
    try {
      // A batch whose every record failed is reported item by item, like any other: throwing would
      // make the invocation an error and retry the batch whole.
      return await processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });
    } finally {
      metric.publishStoredMetrics();
    }
  };
}

interface Heartbeat { stop(): void }

/**
 * Calls `beat` every `everyMs` until stopped, until `beat` answers false (the lease is lost), or
 * until the invocation's deadline: after it, nothing may extend the lease of a dead invocation.
 */
function startHeartbeat(everyMs: number, deadline: number, beat: () => Promise<boolean>, onError: (error: unknown) => void): Heartbeat {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped || Date.now() + everyMs >= deadline) return;
    timer = setTimeout(() => {
      beat().then((keep) => {
        if (keep) schedule();
      }, (error) => {
        onError(error);
        schedule();
      });
    }, everyMs);
    timer.unref?.();
  };
  schedule();
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

/**
 * The record's queue URL: the one the construct configured when it is that queue, otherwise
 * derived from the queue ARN (arn:aws:sqs:region:account:name).
 */
function queueUrlOf(record: SQSRecord): string {
  const [, partition, , region, account, name] = record.eventSourceARN.split(':');
  const configured = process.env[ENV.JOBS_QUEUE_URL];
  if (configured?.endsWith(`/${account}/${name}`)) return configured;
  const suffix = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://sqs.${region}.${suffix}/${account}/${name}`;
}

interface JobMessage { readonly jobId: string; readonly payload: unknown }

function parseMessage(record: SQSRecord): JobMessage {
  const message = JSON.parse(record.body) as Partial<JobMessage>;
  if (typeof message.jobId !== 'string') {
    throw new Error(`message ${record.messageId} carries no jobId; it is not an AsyncHttpApi job`);
  }
  return { jobId: message.jobId, payload: message.payload };
}

/** Sends a completion notice; a failure is logged and counted (CompletionEventFailed), never rethrown. */
async function notify(log: Logger, metric: Metrics, type: 'JobSucceeded' | 'JobFailed', detail: Record<string, unknown>): Promise<void> {
  await notifyCompletion(type, detail).catch((error) => {
    metric.addMetric('CompletionEventFailed', MetricUnit.Count, 1);
    log.error(`could not publish the ${type} event`, { error: asError(error) });
  });
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`jobWorker: environment variable ${name} is not set; the AsyncHttpApi construct sets it on the worker`);
  return value;
}
