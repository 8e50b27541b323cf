/**
 * The job record and every read/write of it, shared by the submit and status handlers and by
 * `jobWorker`. One place for the item shape and the conditional writes that keep a job's
 * lifecycle (PENDING -> RUNNING -> SUCCEEDED | FAILED) consistent under retries and duplicates.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

export type JobStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/** A job as stored in the table and as returned by GET /jobs/{jobId}. */
export interface JobRecord {
  readonly jobId: string;
  readonly status: JobStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly attempts: number;
  /** SHA-256 of the request body: tells a repeated Idempotency-Key with another body apart. */
  readonly payloadHash: string;
  /** Epoch seconds after which DynamoDB TTL deletes the record. */
  readonly expiresAt: number;
  readonly result?: unknown;
  readonly error?: { readonly name: string; readonly message: string };
}

/**
 * Largest result stored in the record. DynamoDB items are at most 400 KB; the rest of the record
 * needs well under 10 KB, so 350 KB of JSON is the result's share.
 */
export const MAX_RESULT_BYTES = 350_000;

/** Thrown when a result is too large to store in the job record. */
export class ResultTooLargeError extends Error {
  constructor(bytes: number) {
    super(`the job result is ${bytes} bytes of JSON; at most ${MAX_RESULT_BYTES} fit in the job record. Store large results in S3 and return a reference`);
    this.name = 'ResultTooLargeError';
  }
}

export class JobStore {
  private readonly client: DynamoDBDocumentClient;

  constructor(private readonly tableName: string, client: DynamoDBClient = new DynamoDBClient({})) {
    this.client = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /**
   * Writes a new PENDING job unless one with this id exists. Returns the existing record when it
   * does (an Idempotency-Key repeat), or undefined when this call created the job.
   */
  async createPending(jobId: string, payloadHash: string, ttlSeconds: number, now = new Date()): Promise<JobRecord | undefined> {
    const at = now.toISOString();
    const item: JobRecord = {
      jobId,
      status: 'PENDING',
      createdAt: at,
      updatedAt: at,
      attempts: 0,
      payloadHash,
      expiresAt: Math.floor(now.getTime() / 1000) + ttlSeconds,
    };
    try {
      await this.client.send(new PutCommand({
        TableName: this.tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(jobId)',
      }));
      return undefined;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.get(jobId);
      if (!existing) throw error; // deleted between the two calls: let the client retry
      return existing;
    }
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { jobId }, ConsistentRead: true }));
    return Item as JobRecord | undefined;
  }

  /**
   * Marks a job RUNNING and counts the attempt, unless it is finished (or unknown). Returns false
   * when the job must not run: a duplicate delivery of a SUCCEEDED or FAILED job.
   */
  async markRunning(jobId: string, now = new Date()): Promise<boolean> {
    try {
      await this.client.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { jobId },
        UpdateExpression: 'SET #status = :running, updatedAt = :now, startedAt = if_not_exists(startedAt, :now) ADD attempts :one',
        ConditionExpression: 'attribute_exists(jobId) AND #status IN (:pending, :running)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':running': 'RUNNING', ':pending': 'PENDING', ':now': now.toISOString(), ':one': 1 },
      }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Records the result; fails with ResultTooLargeError before writing when it cannot fit. */
  async markSucceeded(jobId: string, result: unknown, now = new Date()): Promise<void> {
    const bytes = Buffer.byteLength(JSON.stringify(result ?? null));
    if (bytes > MAX_RESULT_BYTES) throw new ResultTooLargeError(bytes);
    await this.finish(jobId, 'SUCCEEDED', { result: result ?? null }, now);
  }

  /** Records the final failure of a PENDING (never enqueued) or RUNNING job. */
  async markFailed(jobId: string, error: { name: string; message: string }, now = new Date()): Promise<void> {
    await this.finish(jobId, 'FAILED', { error: { name: error.name, message: error.message.slice(0, 4_000) } }, now);
  }

  private async finish(jobId: string, status: JobStatus, fields: Record<string, unknown>, now: Date): Promise<void> {
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':status': status, ':now': now.toISOString(), ':pending': 'PENDING', ':running': 'RUNNING' };
    const sets = ['#status = :status', 'updatedAt = :now', 'finishedAt = :now'];
    for (const [key, value] of Object.entries(fields)) {
      names[`#${key}`] = key;
      values[`:${key}`] = value;
      sets.push(`#${key} = :${key}`);
    }
    await this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: { jobId },
      UpdateExpression: `SET ${sets.join(', ')}`,
      // Never rewrite a finished job: a late duplicate must not turn SUCCEEDED into FAILED.
      ConditionExpression: 'attribute_exists(jobId) AND #status IN (:pending, :running)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    }));
  }
}
