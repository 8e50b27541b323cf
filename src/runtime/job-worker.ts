/**
 * `jobWorker`: wraps a user's job function as the SQS handler of an AsyncHttpApi worker.
 *
 * For each record it marks the job RUNNING (a conditional write: a duplicate delivery of a
 * finished job does not run the function again), runs the function, and records SUCCEEDED with
 * the result. A failure is reported as a batch item failure so SQS retries that message alone; on
 * the last receive (the queue's maxReceiveCount) the job is recorded FAILED before the message
 * moves to the dead-letter queue, so no job stays RUNNING.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { COMPLETION_EVENT_SOURCE, ENV } from '../async-http-api/runtime/env';
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
}

/** The job function: its resolved value becomes the job's result (JSON, at most 350 KB). */
export type JobHandler<TPayload = unknown, TResult = unknown> = (job: Job<TPayload>, context: Context) => Promise<TResult>;

export interface JobWorkerOptions {
  /** Logger to use (its correlation id is set to the job id per record). @default a new Logger */
  readonly logger?: Logger;
  /** Metrics to use (JobSucceeded / JobFailed counts). @default a new Metrics */
  readonly metrics?: Metrics;
}

const logger = new Logger();
const metrics = new Metrics();
const eventBridge = new EventBridgeClient({});
const sns = new SNSClient({});

/** Creates the SQS handler for an AsyncHttpApi worker. */
export function jobWorker<TPayload = unknown, TResult = unknown>(
  work: JobHandler<TPayload, TResult>,
  options: JobWorkerOptions = {},
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const log = options.logger ?? logger;
  const metric = options.metrics ?? metrics;
  let store: JobStore | undefined;

  return async (event, context) => {
    store ??= new JobStore(requiredEnv(ENV.JOBS_TABLE_NAME));
    const maxReceiveCount = Number(process.env[ENV.MAX_RECEIVE_COUNT] ?? '5');
    const jobs = store;
    const processor = new BatchProcessor(EventType.SQS);
    const recordHandler = async (record: SQSRecord): Promise<void> => {
      const message = parseMessage(record);
      const attempt = Number(record.attributes.ApproximateReceiveCount ?? '1');
      const isLastAttempt = attempt >= maxReceiveCount;
      log.setCorrelationId(message.jobId);
      log.appendKeys({ jobId: message.jobId, attempt });
      try {
        if (!(await jobs.markRunning(message.jobId))) {
          log.info('job already finished or unknown; duplicate delivery skipped');
          return;
        }
        let result: TResult;
        try {
          result = await work({ jobId: message.jobId, payload: message.payload as TPayload, attempt, isLastAttempt }, context);
        } catch (error) {
          const err = asError(error);
          if (isLastAttempt) {
            await jobs.markFailed(message.jobId, err);
            metric.addMetric('JobFailed', MetricUnit.Count, 1);
            await notify('JobFailed', { jobId: message.jobId, error: { name: err.name, message: err.message } });
            log.error('job failed on its last attempt; the message goes to the dead-letter queue', { error: err });
          } else {
            log.warn('job attempt failed; SQS will retry', { error: err });
          }
          throw err;
        }
        try {
          await jobs.markSucceeded(message.jobId, result);
        } catch (error) {
          if (!(error instanceof ResultTooLargeError)) throw error;
          // Retrying cannot make the result smaller: fail the job now, and succeed the message.
          await jobs.markFailed(message.jobId, error);
          metric.addMetric('JobFailed', MetricUnit.Count, 1);
          await notify('JobFailed', { jobId: message.jobId, error: { name: error.name, message: error.message } });
          log.error('job result too large', { error });
          return;
        }
        metric.addMetric('JobSucceeded', MetricUnit.Count, 1);
        log.info('job succeeded');
        // The job is recorded: a failed notification must not rerun it (the retry would be skipped
        // as a duplicate anyway), so it is logged and counted for the alarm instead.
        await notify('JobSucceeded', { jobId: message.jobId }).catch((error) => {
          metric.addMetric('CompletionEventFailed', MetricUnit.Count, 1);
          log.error('could not publish the JobSucceeded event', { error: asError(error) });
        });
      } finally {
        log.removeKeys(['jobId', 'attempt']);
      }
    };
    try {
      return await processPartialResponse(event, recordHandler, processor, { context });
    } finally {
      metric.publishStoredMetrics();
    }
  };
}

interface JobMessage { readonly jobId: string; readonly payload: unknown }

function parseMessage(record: SQSRecord): JobMessage {
  const message = JSON.parse(record.body) as Partial<JobMessage>;
  if (typeof message.jobId !== 'string') {
    throw new Error(`message ${record.messageId} carries no jobId; it is not an AsyncHttpApi job`);
  }
  return { jobId: message.jobId, payload: message.payload };
}

/** Publishes JobSucceeded / JobFailed to the completion bus and/or topic, when configured. */
async function notify(detailType: 'JobSucceeded' | 'JobFailed', detail: Record<string, unknown>): Promise<void> {
  const busName = process.env[ENV.COMPLETION_EVENT_BUS_NAME];
  const topicArn = process.env[ENV.COMPLETION_TOPIC_ARN];
  const tasks: Promise<unknown>[] = [];
  if (busName) {
    tasks.push(eventBridge.send(new PutEventsCommand({
      Entries: [{ EventBusName: busName, Source: COMPLETION_EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail) }],
    })).then((out) => {
      if (out.FailedEntryCount) throw new Error(`EventBridge rejected the ${detailType} event: ${out.Entries?.[0]?.ErrorMessage}`);
    }));
  }
  if (topicArn) {
    tasks.push(sns.send(new PublishCommand({
      TopicArn: topicArn,
      Message: JSON.stringify({ type: detailType, ...detail }),
      MessageAttributes: { type: { DataType: 'String', StringValue: detailType } },
    })));
  }
  await Promise.all(tasks);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`jobWorker: environment variable ${name} is not set; the AsyncHttpApi construct sets it on the worker`);
  return value;
}
