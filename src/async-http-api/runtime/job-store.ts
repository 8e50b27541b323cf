/**
 * The job record and every read/write of it, shared by the submit, status and dead-letter
 * handlers and by `jobWorker`. One place for the item shape and the conditional writes that keep
 * a job's lifecycle (PENDING -> RUNNING -> SUCCEEDED | FAILED) consistent under retries,
 * duplicates, crashes and concurrent deliveries.
 *
 * The table also holds one item per Idempotency-Key (partition key `idempotency#<sha256>`), which
 * maps an owner's key to the random id of its job; job ids are UUIDs, so the two never collide
 * and GET /jobs/{jobId} (which accepts UUIDs only) can never read a key item.
 */
import { createHash } from 'crypto';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

export type JobStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/** An error as recorded on a job: name and message, never a stack trace. */
export interface JobError {
  readonly name: string;
  readonly message: string;
}

/** A job as stored in the table (GET /jobs/{jobId} answers a subset of it). */
export interface JobRecord {
  readonly jobId: string;
  readonly status: JobStatus;
  /** Who submitted the job (IAM principal ARN, `iss|sub` of a JWT, a Lambda authorizer's principalId, or `anonymous`). */
  readonly owner?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** When the job's message was last sent to the queue. */
  readonly enqueuedAt?: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** Deliveries that started the job function (a delivery that found a live lease does not count). */
  readonly attempts: number;
  /** SHA-256 of the request body: tells a repeated Idempotency-Key with another body apart. */
  readonly payloadHash: string;
  /** Epoch seconds after which DynamoDB TTL deletes the record. */
  readonly expiresAt: number;
  /** While RUNNING: epoch milliseconds until which the delivery holding the lease owns the job. */
  readonly leaseExpiresAt?: number;
  /** While RUNNING: the token of the delivery holding the lease. */
  readonly leaseToken?: string;
  /** The error of the latest failed attempt (kept for the dead-letter consumer). */
  readonly lastError?: JobError;
  readonly result?: unknown;
  readonly error?: JobError;
}

/** What taking a job's lease found. */
export type LeaseOutcome =
  /** This delivery holds the lease and runs the job. */
  | { readonly kind: 'acquired'; readonly job: JobRecord }
  /** Another delivery holds a live lease (`leaseToken`, `<messageId>/<uuid>`): try again after `leaseExpiresAt`. */
  | { readonly kind: 'busy'; readonly leaseExpiresAt: number; readonly leaseToken?: string }
  /** The job is SUCCEEDED or FAILED: a duplicate delivery, to drop. */
  | { readonly kind: 'finished'; readonly status: JobStatus }
  /** No such job (expired, or not a job of this table): nothing to run. */
  | { readonly kind: 'unknown' };

/** What the dead-letter consumer's write found. */
export type DeadLetterOutcome = 'failed' | 'finished' | 'busy' | 'unknown';

/**
 * Largest result stored in the record. DynamoDB items are at most 400 KB; the rest of the record
 * needs well under 10 KB, so 350 KB of JSON is the result's share.
 */
export const MAX_RESULT_BYTES = 350_000;

/** The error name recorded when the submit handler could not enqueue a job. */
export const ENQUEUE_FAILED = 'EnqueueFailed';

/** Thrown when a result is too large to store in the job record. */
export class ResultTooLargeError extends Error {
  constructor(bytes: number) {
    super(`the job result is ${bytes} bytes of JSON; at most ${MAX_RESULT_BYTES} fit in the job record. Store large results in S3 and return a reference`);
    this.name = 'ResultTooLargeError';
  }
}

/**
 * The partition key of an owner's Idempotency-Key item: a hash of both (JSON-encoded, so no
 * separator can make two pairs collide). It never leaves the table.
 */
export function idempotencyItemKey(owner: string, idempotencyKey: string): string {
  return `idempotency#${createHash('sha256').update(JSON.stringify([owner, idempotencyKey])).digest('hex')}`;
}

/** The job an Idempotency-Key points to. */
export interface IdempotencyClaim {
  readonly jobId: string;
  readonly payloadHash: string;
  /** True when this call created the key item (a first use of the key). */
  readonly created: boolean;
}

export interface NewJob {
  readonly jobId: string;
  readonly owner: string;
  readonly payloadHash: string;
  readonly ttlSeconds: number;
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as Error | undefined)?.name === 'ConditionalCheckFailedException';
}

export class JobStore {
  private readonly client: DynamoDBDocumentClient;

  constructor(private readonly tableName: string, client: DynamoDBClient = new DynamoDBClient({})) {
    this.client = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /**
   * Writes a new PENDING job unless one with this id exists. Returns the existing record when it
   * does, or undefined when this call created the job.
   */
  async createPending(job: NewJob, now = new Date()): Promise<JobRecord | undefined> {
    const at = now.toISOString();
    const item: JobRecord = {
      jobId: job.jobId,
      status: 'PENDING',
      owner: job.owner,
      createdAt: at,
      updatedAt: at,
      enqueuedAt: at,
      attempts: 0,
      payloadHash: job.payloadHash,
      expiresAt: Math.floor(now.getTime() / 1000) + job.ttlSeconds,
    };
    try {
      await this.client.send(new PutCommand({
        TableName: this.tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(jobId)',
      }));
      return undefined;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const existing = await this.get(job.jobId);
      if (!existing) throw error; // deleted between the two calls: let the client retry
      return existing;
    }
  }

  /**
   * Records that an owner's Idempotency-Key belongs to `candidate.jobId`, unless the key was used
   * before: then returns the job it points to (`created: false`).
   */
  async claimIdempotencyKey(
    itemKey: string, candidate: { jobId: string; payloadHash: string; ttlSeconds: number }, now = new Date(),
  ): Promise<IdempotencyClaim> {
    try {
      await this.client.send(new PutCommand({
        TableName: this.tableName,
        Item: {
          jobId: itemKey,
          targetJobId: candidate.jobId,
          payloadHash: candidate.payloadHash,
          createdAt: now.toISOString(),
          expiresAt: Math.floor(now.getTime() / 1000) + candidate.ttlSeconds,
        },
        ConditionExpression: 'attribute_not_exists(jobId)',
      }));
      return { jobId: candidate.jobId, payloadHash: candidate.payloadHash, created: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { jobId: itemKey }, ConsistentRead: true }));
      if (!Item) throw error; // expired between the two calls: let the client retry
      return { jobId: String(Item.targetJobId), payloadHash: String(Item.payloadHash), created: false };
    }
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { jobId }, ConsistentRead: true }));
    return Item as JobRecord | undefined;
  }

  /**
   * Makes a job that never reached the queue PENDING again, so it can be enqueued once more: one
   * whose enqueue failed (FAILED with `EnqueueFailed`), or one PENDING since before `staleBefore`.
   * Returns false when the job is in any other state (or another caller reopened it first).
   */
  async reopenForEnqueue(jobId: string, staleBefore: Date, now = new Date()): Promise<boolean> {
    try {
      await this.client.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { jobId },
        UpdateExpression: 'SET #status = :pending, enqueuedAt = :now, updatedAt = :now REMOVE #error, finishedAt',
        ConditionExpression: 'attribute_exists(jobId) AND ('
          + '(#status = :failed AND #error.#name = :enqueueFailed)'
          + ' OR (#status = :pending AND (enqueuedAt < :stale OR (attribute_not_exists(enqueuedAt) AND createdAt < :stale))))',
        ExpressionAttributeNames: { '#status': 'status', '#error': 'error', '#name': 'name' },
        ExpressionAttributeValues: {
          ':pending': 'PENDING',
          ':failed': 'FAILED',
          ':enqueueFailed': ENQUEUE_FAILED,
          ':now': now.toISOString(),
          ':stale': staleBefore.toISOString(),
        },
      }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Records that a PENDING job could not be enqueued (a repeat of its Idempotency-Key reopens it). */
  async markEnqueueFailed(jobId: string, now = new Date()): Promise<boolean> {
    return this.finish(jobId, 'FAILED', { error: { name: ENQUEUE_FAILED, message: 'the job could not be queued; submit it again' } }, now, 'pending');
  }

  /**
   * Takes the job's lease for one delivery: PENDING, or RUNNING with an expired lease (the
   * delivery holding it died), becomes RUNNING held by `token` until `leaseUntil` (epoch ms), and
   * the attempt is counted. A live lease, a finished job or an unknown one is reported instead.
   */
  async acquireLease(jobId: string, token: string, leaseUntil: number, now = new Date()): Promise<LeaseOutcome> {
    try {
      const { Attributes } = await this.client.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { jobId },
        UpdateExpression: 'SET #status = :running, updatedAt = :now, startedAt = if_not_exists(startedAt, :now), '
          + 'leaseToken = :token, leaseExpiresAt = :until ADD attempts :one',
        ConditionExpression: 'attribute_exists(jobId) AND (#status = :pending OR (#status = :running AND '
          + '(attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt <= :nowMs)))',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':running': 'RUNNING',
          ':pending': 'PENDING',
          ':now': now.toISOString(),
          ':nowMs': now.getTime(),
          ':token': token,
          ':until': leaseUntil,
          ':one': 1,
        },
        ReturnValues: 'ALL_NEW',
      }));
      return { kind: 'acquired', job: Attributes as JobRecord };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const job = await this.get(jobId);
      if (!job) return { kind: 'unknown' };
      if (job.status === 'SUCCEEDED' || job.status === 'FAILED') return { kind: 'finished', status: job.status };
      // RUNNING with a live lease (or PENDING again by now: the caller retries either way).
      return { kind: 'busy', leaseExpiresAt: job.leaseExpiresAt ?? now.getTime(), leaseToken: job.leaseToken };
    }
  }

  /** Extends the lease held by `token`; false when the job is no longer RUNNING under it. */
  async extendLease(jobId: string, token: string, leaseUntil: number, now = new Date()): Promise<boolean> {
    try {
      await this.client.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { jobId },
        UpdateExpression: 'SET leaseExpiresAt = :until, updatedAt = :now',
        ConditionExpression: '#status = :running AND leaseToken = :token',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':running': 'RUNNING', ':token': token, ':until': leaseUntil, ':now': now.toISOString() },
      }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Gives up the lease after a failed attempt, so the retry can take the job at once, and keeps
   * the attempt's error as `lastError`. False when the lease was no longer held by `token`.
   */
  async releaseLease(jobId: string, token: string, lastError: JobError, now = new Date()): Promise<boolean> {
    try {
      await this.client.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { jobId },
        UpdateExpression: 'SET lastError = :error, updatedAt = :now REMOVE leaseExpiresAt, leaseToken',
        ConditionExpression: '#status = :running AND leaseToken = :token',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':running': 'RUNNING', ':token': token, ':error': truncated(lastError), ':now': now.toISOString() },
      }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Records the result of the delivery holding the lease `token`; false (nothing written) when
   * that delivery no longer holds it. Fails with ResultTooLargeError before writing when the
   * result cannot fit.
   */
  async markSucceeded(jobId: string, result: unknown, token: string, now = new Date()): Promise<boolean> {
    const text = JSON.stringify(result ?? null) ?? 'null';
    const bytes = Buffer.byteLength(text);
    if (bytes > MAX_RESULT_BYTES) throw new ResultTooLargeError(bytes);
    // Stored as the JSON it was measured as: a Date becomes its ISO string, NaN null, a class
    // instance its own enumerable fields (the document client would reject them, and the job
    // would rerun on every retry).
    return this.finish(jobId, 'SUCCEEDED', { result: JSON.parse(text) }, now, token);
  }

  /** Records the final failure of the delivery holding the lease `token`; false when it no longer holds it. */
  async markFailed(jobId: string, error: JobError, token: string, now = new Date()): Promise<boolean> {
    return this.finish(jobId, 'FAILED', { error: truncated(error) }, now, token);
  }

  /**
   * The dead-letter consumer's write: a job whose message was dead-lettered becomes FAILED with
   * `error`, unless it is finished, unknown, or a delivery still holds a live lease on it.
   */
  async markDeadLettered(jobId: string, error: JobError, now = new Date()): Promise<DeadLetterOutcome> {
    try {
      await this.client.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { jobId },
        UpdateExpression: 'SET #status = :failed, #error = :error, updatedAt = :now, finishedAt = :now REMOVE leaseExpiresAt, leaseToken',
        ConditionExpression: 'attribute_exists(jobId) AND (#status = :pending OR (#status = :running AND '
          + '(attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt <= :nowMs)))',
        ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
        ExpressionAttributeValues: {
          ':failed': 'FAILED',
          ':pending': 'PENDING',
          ':running': 'RUNNING',
          ':error': truncated(error),
          ':now': now.toISOString(),
          ':nowMs': now.getTime(),
        },
      }));
      return 'failed';
    } catch (caught) {
      if (!isConditionFailure(caught)) throw caught;
      const job = await this.get(jobId);
      if (!job) return 'unknown';
      return job.status === 'SUCCEEDED' || job.status === 'FAILED' ? 'finished' : 'busy';
    }
  }

  /**
   * Writes a final state. `token` is the lease the writer must hold (a worker), or 'pending' for
   * the submit handler's enqueue failure (the job must still be PENDING). A finished job is never
   * rewritten: a late duplicate must not turn SUCCEEDED into FAILED.
   */
  private async finish(jobId: string, status: JobStatus, fields: Record<string, unknown>, now: Date, token: string): Promise<boolean> {
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':status': status, ':now': now.toISOString() };
    const sets = ['#status = :status', 'updatedAt = :now', 'finishedAt = :now'];
    for (const [key, value] of Object.entries(fields)) {
      names[`#${key}`] = key;
      values[`:${key}`] = value;
      sets.push(`#${key} = :${key}`);
    }
    let condition: string;
    if (token === 'pending') {
      condition = '#status = :pending';
      values[':pending'] = 'PENDING';
    } else {
      condition = '#status = :running AND leaseToken = :token';
      values[':running'] = 'RUNNING';
      values[':token'] = token;
    }
    try {
      await this.client.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { jobId },
        UpdateExpression: `SET ${sets.join(', ')} REMOVE leaseExpiresAt, leaseToken`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}

function truncated(error: JobError): JobError {
  return { name: String(error.name).slice(0, 200), message: String(error.message).slice(0, 4_000) };
}
