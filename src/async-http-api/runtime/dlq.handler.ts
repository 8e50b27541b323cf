/**
 * The jobs dead-letter queue's consumer: a job whose message was dead-lettered without an
 * outcome (its last delivery crashed, ran out of memory or timed out, so `jobWorker` could not
 * record FAILED) is recorded FAILED here and `JobFailed` is sent where notifications are on. A job
 * that is already finished is left alone; one that a delivery still runs under a live lease is
 * retried later (reported as a batch item failure), so no job stays RUNNING until its TTL.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { notifyCompletion } from './completion';
import { ENV } from './env';
import { JobError, JobStore } from './job-store';

const logger = new Logger();
let store: JobStore | undefined;

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const tableName = process.env[ENV.JOBS_TABLE_NAME];
  if (!tableName) throw new Error(`environment variable ${ENV.JOBS_TABLE_NAME} is not set`);
  store ??= new JobStore(tableName);
  return recordDeadLetteredJobs(event, store, context);
};

/** Thrown for a dead-lettered job that a delivery still runs: the record is retried later. */
export class JobStillRunningError extends Error {
  constructor(jobId: string) {
    super(`job ${jobId} still runs under a live lease; its dead-lettered message is retried later`);
    this.name = 'JobStillRunningError';
  }
}

/** The work of the handler, with the job store passed in. */
export async function recordDeadLetteredJobs(event: SQSEvent, jobs: JobStore, context?: Context): Promise<SQSBatchResponse> {
  const recordHandler = async (record: SQSRecord): Promise<void> => {
    const jobId = jobIdOf(record);
    if (!jobId) {
      logger.warn('dead-lettered message is not an AsyncHttpApi job; dropped', { messageId: record.messageId });
      return;
    }
    const job = await jobs.get(jobId);
    if (!job) {
      logger.warn('dead-lettered job is unknown (expired); dropped', { jobId });
      return;
    }
    const error = deadLetterError(job.lastError);
    const outcome = await jobs.markDeadLettered(jobId, error);
    if (outcome === 'busy') throw new JobStillRunningError(jobId);
    if (outcome !== 'failed') {
      logger.info('dead-lettered job already finished; nothing to record', { jobId, status: job.status });
      return;
    }
    logger.error('job recorded FAILED: its message was dead-lettered without an outcome', { jobId, error });
    // The job is recorded: a failed notice is logged, not retried (the retry would find it finished).
    await notifyCompletion('JobFailed', { jobId, error }).catch((notifyError) =>
      logger.error('could not publish the JobFailed event', { jobId, error: notifyError as Error }));
  };
  return processPartialResponse(event, recordHandler, new BatchProcessor(EventType.SQS), { context, throwOnFullBatchFailure: false });
}

function jobIdOf(record: SQSRecord): string | undefined {
  try {
    const message = JSON.parse(record.body) as { jobId?: unknown } | null;
    return typeof message?.jobId === 'string' ? message.jobId : undefined;
  } catch {
    return undefined;
  }
}

/** What the job is recorded as having failed with: the crash, and the last error an attempt recorded. */
function deadLetterError(lastError: JobError | undefined): JobError {
  const base = 'the job\'s last delivery ended without an outcome (the worker crashed, ran out of memory or timed out) and its message was dead-lettered';
  return {
    name: 'DeliveryFailed',
    message: lastError ? `${base}; the last recorded error was ${lastError.name}: ${lastError.message}` : base,
  };
}
