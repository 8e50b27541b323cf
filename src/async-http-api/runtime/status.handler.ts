/**
 * GET /jobs/{jobId}: answers the job's status, timestamps, attempts, and its result or error to
 * the job's owner only; 404 for an unknown id and, with the same body, for another caller's job;
 * 400 for an id that is not one this API issues.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ENV } from './env';
import { errorResponse, JOB_ID_PATTERN, json, ownerOf } from './http';
import { JobStore } from './job-store';

const logger = new Logger();
let store: JobStore | undefined;

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  try {
    store ??= new JobStore(process.env[ENV.JOBS_TABLE_NAME]!);
    return await jobStatus(event, store);
  } catch (error) {
    logger.error('status lookup failed', { error: error as Error });
    return errorResponse(500, 'InternalError', 'the job status could not be read; try again');
  }
};

export async function jobStatus(event: APIGatewayProxyEventV2, jobs: JobStore): Promise<APIGatewayProxyStructuredResultV2> {
  const jobId = event.pathParameters?.jobId ?? '';
  if (!JOB_ID_PATTERN.test(jobId)) {
    return errorResponse(400, 'InvalidJobId', 'jobId must be a lower-case UUID as returned by POST /jobs');
  }
  const owner = ownerOf(event);
  const job = owner === undefined ? undefined : await jobs.get(jobId);
  // Another caller's job is answered exactly as an unknown one: its existence is not revealed.
  if (!job || job.owner === undefined || job.owner !== owner) {
    return errorResponse(404, 'JobNotFound', `no job ${jobId} (unknown, or expired)`);
  }
  return json(200, {
    jobId: job.jobId,
    status: job.status,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    attempts: job.attempts,
    result: job.result,
    error: job.error,
  });
}
