/**
 * Lambda's DynamoDB Streams event source mapping, reproduced on a real stream (DynamoDB Local):
 * DescribeStream / GetShardIterator / GetRecords with the AWS SDK v3 streams client, one poller per
 * shard (a child shard waits for its parent to be read to its end), records filtered with the
 * mapping's FilterCriteria before batching, the Lambda event built as AWS builds it, and the
 * stream error semantics:
 *
 * - a shard is processed in order, one batch at a time: a failing batch blocks its shard until it
 *   succeeds, is bisected down to the failing record, or runs out of retries or record age;
 * - function error + BisectBatchOnFunctionError: the batch is split in two halves, the first half
 *   is retried first; splitting does not count as a retry (AWS documents this);
 * - ReportBatchItemFailures: the checkpoint moves to just before the lowest failed sequence number
 *   and only the records from there are retried (a counted retry); an empty, null or unknown
 *   itemIdentifier fails the whole batch; an empty/null response or list is success;
 * - MaximumRetryAttempts (-1 = until the record expires) and MaximumRecordAgeInSeconds
 *   (-1 = infinite): then the batch is discarded and, with an on-failure destination, the AWS
 *   invocation record (requestContext, responseContext, version, timestamp, DDBStreamBatchInfo) is
 *   sent to the SQS queue; the shard goes on after it.
 *
 * Local differences, each on purpose: retries wait `retryDelayMs` (AWS retries at once, with
 * backoff on throttles); a record's age is measured from when this poller first read it, because
 * DynamoDB Local rounds ApproximateCreationDateTime down to the minute; checkpoints live in memory.
 * DynamoDB Local writes its TTL deletes with the eventName "UNKNOWN_TO_SDK_VERSION" and no
 * userIdentity; they are delivered as AWS delivers TTL deletes: eventName REMOVE with
 * userIdentity { type: "Service", principalId: "dynamodb.amazonaws.com" }.
 */
import { randomUUID } from 'crypto';
import {
  _Record as StreamRecord, AttributeValue, DescribeStreamCommand, DynamoDBStreamsClient, ExpiredIteratorException,
  GetRecordsCommand, GetShardIteratorCommand, Shard, ShardIteratorType, TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { DeliverySink } from './deliveries';
import { matchesPattern } from './events';
import type { InvokeResult } from './lambda';

/** An AttributeValue as it appears in the Lambda event (JSON: binary as base64). */
export type EventAttributeValue =
  | { S: string } | { N: string } | { B: string } | { SS: string[] } | { NS: string[] } | { BS: string[] }
  | { M: Record<string, EventAttributeValue> } | { L: EventAttributeValue[] } | { NULL: boolean } | { BOOL: boolean };

/** One record of the Lambda DynamoDB Streams event (aws-lambda's DynamoDBRecord, as JSON). */
export interface DynamoDbStreamEventRecord {
  readonly eventID: string;
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly eventVersion: string;
  readonly eventSource: 'aws:dynamodb';
  readonly awsRegion: string;
  readonly dynamodb: {
    readonly ApproximateCreationDateTime?: number;
    readonly Keys?: Record<string, EventAttributeValue>;
    readonly NewImage?: Record<string, EventAttributeValue>;
    readonly OldImage?: Record<string, EventAttributeValue>;
    readonly SequenceNumber: string;
    readonly SizeBytes?: number;
    readonly StreamViewType?: string;
  };
  readonly eventSourceARN: string;
  readonly userIdentity?: { readonly type: string; readonly principalId: string };
}

export interface DynamoDbStreamEvent {
  readonly Records: DynamoDbStreamEventRecord[];
}

/** The event source mapping's settings (CreateEventSourceMapping's names, defaults as AWS's). */
export interface DynamoDbStreamEventSourceSettings {
  /** @default 100 */
  readonly batchSize?: number;
  /** Wait up to this long to fill a batch. @default 0 */
  readonly maximumBatchingWindowSeconds?: number;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /** FilterCriteria: a record is delivered when it matches any pattern (Lambda's filter syntax). */
  readonly filterCriteria?: { readonly filters: { readonly pattern: string }[] };
  /** @default false */
  readonly bisectBatchOnFunctionError?: boolean;
  /** -1: retry until the record expires. @default -1 */
  readonly maximumRetryAttempts?: number;
  /** -1: no limit. @default -1 */
  readonly maximumRecordAgeInSeconds?: number;
  /** @default [] */
  readonly functionResponseTypes?: 'ReportBatchItemFailures'[];
  /** On-failure destination: a standard SQS queue. */
  readonly onFailure?: { readonly queueUrl: string };
}

/** A stream event source mapping: which stream, what it is called, the settings. */
export interface DynamoDbStreamEventSourceDefinition extends DynamoDbStreamEventSourceSettings {
  /** The stream's ARN as DynamoDB Local answers it (DescribeStream). */
  readonly streamArn: string;
  /** The ARN the function sees as eventSourceARN and the failure record as streamArn. @default streamArn */
  readonly eventSourceArn?: string;
  /** The function's ARN, for the on-failure record's requestContext. */
  readonly functionArn: string;
  /** A name for the delivery log. @default the stream ARN */
  readonly name?: string;
}

/** Invokes the function synchronously with the event (LocalFunction.invoke fits). */
export type StreamInvoker = (event: DynamoDbStreamEvent) => Promise<InvokeResult>;

export interface DynamoDbStreamPollerOptions {
  readonly streams: DynamoDBStreamsClient;
  /** For the on-failure destination. */
  readonly sqs?: SQSClient;
  /** The awsRegion of the records. */
  readonly region: string;
  /** Told about each settled invocation and discarded batch. */
  readonly onDelivery?: DeliverySink;
  /** Between polls of a shard with nothing new (AWS: 4 times a second). @default 250 */
  readonly pollIntervalMs?: number;
  /** Before retrying a failed batch. @default 50 */
  readonly retryDelayMs?: number;
  /** Between DescribeStream calls that look for new shards. @default 1000 */
  readonly shardDiscoveryIntervalMs?: number;
  /** The clock (ms since the epoch), for tests of MaximumRecordAgeInSeconds. @default Date.now */
  readonly now?: () => number;
}

/** The on-failure record AWS sends for a stream event source (services-dynamodb-errors). */
export interface StreamOnFailureRecord {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
    readonly approximateInvokeCount: number;
  };
  readonly responseContext: { readonly statusCode: number; readonly executedVersion: string; readonly functionError?: string };
  readonly version: '1.0';
  readonly timestamp: string;
  readonly DDBStreamBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
}

/** A record read from the shard, with when this poller first read it. */
interface Buffered {
  readonly record: DynamoDbStreamEventRecord;
  readonly readAt: number;
  /** The last record the filter dropped after this one (before the next match): checkpointed with it. */
  skippedThrough?: string;
}

/** A batch being delivered: its records and how often it was retried (bisection does not count). */
interface PendingBatch {
  records: Buffered[];
  retries: number;
  invokes: number;
}

/** What one invocation concluded. */
type Outcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'partial'; readonly failedAt: number }
  | { readonly kind: 'error'; readonly detail: string; readonly timedOut: boolean };

const TTL_PRINCIPAL = { type: 'Service', principalId: 'dynamodb.amazonaws.com' } as const;

/** The Lambda event form of an AttributeValue the SDK parsed (binary back to base64). */
export function toEventAttributeValue(value: AttributeValue): EventAttributeValue {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (value.M !== undefined) return { M: toEventImage(value.M)! };
  if (value.L !== undefined) return { L: value.L.map(toEventAttributeValue) };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  throw new Error(`unsupported attribute value ${JSON.stringify(value)}`);
}

function toEventImage(image: Record<string, AttributeValue> | undefined): Record<string, EventAttributeValue> | undefined {
  if (image === undefined) return undefined;
  return Object.fromEntries(Object.entries(image).map(([k, v]) => [k, toEventAttributeValue(v)]));
}

/** Builds the Lambda event record from a GetRecords record, as AWS does (field order included). */
export function toEventRecord(record: StreamRecord, eventSourceArn: string, region: string): DynamoDbStreamEventRecord {
  const d = record.dynamodb ?? {};
  let eventName = record.eventName as string | undefined;
  let userIdentity = record.userIdentity?.Type ? { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId ?? '' } : undefined;
  // DynamoDB Local's TTL deletes: an unknown event name, only the old image, no userIdentity.
  if (eventName !== 'INSERT' && eventName !== 'MODIFY' && eventName !== 'REMOVE' && d.OldImage && !d.NewImage) {
    eventName = 'REMOVE';
    userIdentity = { ...TTL_PRINCIPAL };
  }
  if (eventName !== 'INSERT' && eventName !== 'MODIFY' && eventName !== 'REMOVE') {
    throw new Error(`stream record ${d.SequenceNumber} has an unknown eventName ${String(record.eventName)}`);
  }
  const dynamodb: Record<string, unknown> = {};
  if (d.ApproximateCreationDateTime) dynamodb.ApproximateCreationDateTime = Math.floor(d.ApproximateCreationDateTime.getTime() / 1000);
  if (d.Keys) dynamodb.Keys = toEventImage(d.Keys);
  if (d.NewImage) dynamodb.NewImage = toEventImage(d.NewImage);
  if (d.OldImage) dynamodb.OldImage = toEventImage(d.OldImage);
  dynamodb.SequenceNumber = d.SequenceNumber;
  if (d.SizeBytes !== undefined) dynamodb.SizeBytes = d.SizeBytes;
  if (d.StreamViewType) dynamodb.StreamViewType = d.StreamViewType;
  return {
    eventID: record.eventID ?? randomUUID().replace(/-/g, ''),
    eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb: dynamodb as unknown as DynamoDbStreamEventRecord['dynamodb'],
    eventSourceARN: eventSourceArn,
    ...(userIdentity ? { userIdentity } : {}),
  };
}

/** Does the record match the FilterCriteria (any of its patterns)? No criteria: every record. */
export function matchesFilterCriteria(filters: { readonly pattern: string }[] | undefined, record: DynamoDbStreamEventRecord): boolean {
  if (!filters || filters.length === 0) return true;
  return filters.some((f) => matchesPattern(JSON.parse(f.pattern) as Record<string, unknown>, record));
}

function isoSeconds(epochSeconds: number | undefined, fallbackMs: number): string {
  return new Date(epochSeconds !== undefined ? epochSeconds * 1000 : fallbackMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The checkpoint once a record is done: past the records the filter dropped after it. */
function checkpointOf(buffered: Buffered): string {
  return buffered.skippedThrough ?? buffered.record.dynamodb.SequenceNumber;
}

/** Compares DynamoDB stream sequence numbers (decimal strings, possibly of different lengths). */
function compareSequence(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** One shard's reader and deliverer. */
class ShardPoller {
  private iterator?: string;
  private lastRead?: string;
  private readonly buffer: Buffered[] = [];
  /** The last sequence number checkpointed (delivered, filtered out or discarded). */
  checkpoint?: string;
  /** The shard is closed and read to its end. */
  finished = false;
  /** The last GetRecords started after this time answered nothing new. */
  caughtUpAt = 0;
  delivering = false;
  private loop?: Promise<void>;

  constructor(
    readonly shard: Shard,
    private readonly owner: DynamoDbStreamPoller,
    private readonly startAt: ShardIteratorType,
  ) {}

  get idle(): boolean {
    return this.buffer.length === 0 && !this.delivering;
  }

  start(): void {
    this.loop = this.run();
  }

  async stopped(): Promise<void> {
    await this.loop;
  }

  /** Positions the iterator where the mapping starts (LATEST: now, so later writes are seen). */
  async position(): Promise<void> {
    this.iterator = await this.newIterator();
  }

  private async newIterator(): Promise<string | undefined> {
    const { streams } = this.owner.options;
    const after = this.lastRead;
    const out = await streams.send(new GetShardIteratorCommand({
      StreamArn: this.owner.definition.streamArn,
      ShardId: this.shard.ShardId!,
      ShardIteratorType: after ? 'AFTER_SEQUENCE_NUMBER' : this.startAt,
      SequenceNumber: after,
    }));
    return out.ShardIterator;
  }

  private async run(): Promise<void> {
    const o = this.owner;
    const batchSize = o.definition.batchSize ?? 100;
    const windowMs = (o.definition.maximumBatchingWindowSeconds ?? 0) * 1000;
    try {
      if (this.iterator === undefined && !this.finished) await this.position();
      while (o.running && !(this.finished && this.buffer.length === 0)) {
        let gotNew = false;
        if (!this.finished && this.buffer.length < batchSize) gotNew = await this.read();
        if (this.buffer.length === 0) {
          if (!gotNew && !this.finished) await o.sleep(o.pollIntervalMs);
          continue;
        }
        // The batching window: from the first buffered record, wait for a full batch.
        if (windowMs > 0 && this.buffer.length < batchSize && !this.finished && o.now() - this.buffer[0].readAt < windowMs) {
          if (!gotNew) await o.sleep(Math.min(o.pollIntervalMs, windowMs));
          continue;
        }
        this.delivering = true;
        try {
          await this.deliver({ records: this.buffer.splice(0, batchSize), retries: 0, invokes: 0 });
        } finally {
          this.delivering = false;
        }
      }
    } catch (error) {
      if (o.running) o.report('failed', `${this.shard.ShardId}: poller stopped: ${(error as Error).message}`);
    }
  }

  /** One GetRecords: filters the new records into the buffer; true when it read any record. */
  private async read(): Promise<boolean> {
    const o = this.owner;
    const started = o.now();
    if (this.iterator === undefined) {
      this.finished = true;
      return false;
    }
    let out;
    try {
      out = await o.options.streams.send(new GetRecordsCommand({ ShardIterator: this.iterator, Limit: 1000 }));
    } catch (error) {
      if (error instanceof ExpiredIteratorException || error instanceof TrimmedDataAccessException
        || (error as Error).name === 'ExpiredIteratorException') {
        this.iterator = await this.newIterator();
        return false;
      }
      throw error;
    }
    this.iterator = out.NextShardIterator;
    const records = out.Records ?? [];
    for (const raw of records) {
      const record = toEventRecord(raw, o.eventSourceArn, o.options.region);
      this.lastRead = record.dynamodb.SequenceNumber;
      if (matchesFilterCriteria(o.definition.filterCriteria?.filters, record)) {
        this.buffer.push({ record, readAt: o.now() });
      } else if (this.buffer.length === 0) {
        this.checkpoint = record.dynamodb.SequenceNumber;
      } else {
        this.buffer[this.buffer.length - 1].skippedThrough = record.dynamodb.SequenceNumber;
      }
    }
    if (out.NextShardIterator === undefined) this.finished = true;
    if (records.length === 0) this.caughtUpAt = started;
    return records.length > 0;
  }

  /** Delivers a batch until it succeeds or is discarded, bisecting and retrying as configured. */
  private async deliver(first: PendingBatch): Promise<void> {
    const o = this.owner;
    const d = o.definition;
    const work: PendingBatch[] = [first];
    const maxRetries = d.maximumRetryAttempts ?? -1;
    const maxAgeMs = (d.maximumRecordAgeInSeconds ?? -1) * 1000;
    let lastError: Outcome | undefined;
    while (work.length > 0) {
      const batch = work[0];
      if (!o.running) {
        // Not delivered: read again from the checkpoint after a restart of the mapping.
        this.buffer.unshift(...work.flatMap((b) => b.records));
        return;
      }
      // Records past the maximum age are discarded before the invocation.
      if (maxAgeMs >= 0) {
        const expired = batch.records.filter((r) => o.now() - r.readAt > maxAgeMs).length;
        if (expired > 0) {
          await this.discard(batch.records.slice(0, expired), 'RecordAgeExceeded', batch.invokes, lastError);
          batch.records = batch.records.slice(expired);
          if (batch.records.length === 0) { work.shift(); continue; }
        }
      }
      batch.invokes++;
      const outcome = await this.invoke(batch.records);
      if (outcome.kind === 'ok') {
        this.checkpoint = checkpointOf(batch.records[batch.records.length - 1]);
        o.report('ok', `${this.shard.ShardId}: ${batch.records.length} records`);
        work.shift();
        lastError = undefined;
        continue;
      }
      lastError = outcome;
      if (outcome.kind === 'partial') {
        // Checkpoint before the first failed record; retry from it (a counted retry).
        if (outcome.failedAt > 0) this.checkpoint = checkpointOf(batch.records[outcome.failedAt - 1]);
        o.report('partial', `${this.shard.ShardId}: ${outcome.failedAt} of ${batch.records.length} records succeeded; retrying from ${batch.records[outcome.failedAt].record.dynamodb.SequenceNumber}`);
        batch.records = batch.records.slice(outcome.failedAt);
      } else if (d.bisectBatchOnFunctionError && batch.records.length > 1) {
        const half = Math.ceil(batch.records.length / 2);
        o.report('failed', `${this.shard.ShardId}: ${outcome.detail}; bisecting ${batch.records.length} records`);
        work.splice(0, 1,
          { records: batch.records.slice(0, half), retries: batch.retries, invokes: 0 },
          { records: batch.records.slice(half), retries: batch.retries, invokes: 0 });
        await o.sleep(o.retryDelayMs);
        continue;
      } else {
        o.report('failed', `${this.shard.ShardId}: ${outcome.detail}`);
      }
      if (maxRetries >= 0 && batch.retries >= maxRetries) {
        await this.discard(batch.records, 'RetryAttemptsExhausted', batch.invokes, outcome);
        work.shift();
        continue;
      }
      batch.retries++;
      await o.sleep(o.retryDelayMs);
    }
  }

  private async invoke(records: Buffered[]): Promise<Outcome> {
    const o = this.owner;
    const result = await o.invoker({ Records: records.map((r) => r.record) });
    if (!result.ok) {
      return { kind: 'error', detail: `${result.error.errorType}: ${result.error.errorMessage}`, timedOut: result.error.errorType === 'Sandbox.Timedout' };
    }
    if (!(o.definition.functionResponseTypes ?? []).includes('ReportBatchItemFailures')) return { kind: 'ok' };
    const response = result.result as { batchItemFailures?: { itemIdentifier?: unknown }[] | null } | null | undefined;
    const failures = response?.batchItemFailures;
    if (!failures || failures.length === 0) return { kind: 'ok' };
    const positions = failures.map((f) => typeof f?.itemIdentifier === 'string' && f.itemIdentifier !== ''
      ? records.findIndex((r) => r.record.dynamodb.SequenceNumber === f.itemIdentifier) : -1);
    // An empty, null or unknown identifier: the whole batch failed, as Lambda treats it.
    if (positions.some((p) => p < 0)) return { kind: 'error', detail: 'the batch item failures name an empty or unknown itemIdentifier', timedOut: false };
    const sequenceAt = (i: number) => records[i].record.dynamodb.SequenceNumber;
    const failedAt = positions.reduce((min, p) => (compareSequence(sequenceAt(p), sequenceAt(min)) < 0 ? p : min), positions[0]);
    return { kind: 'partial', failedAt };
  }

  /** Gives up on records: checkpoints past them and sends the on-failure record. */
  private async discard(records: Buffered[], condition: StreamOnFailureRecord['requestContext']['condition'], invokes: number, last: Outcome | undefined): Promise<void> {
    const o = this.owner;
    const d = o.definition;
    const firstRecord = records[0];
    const lastRecord = records[records.length - 1];
    this.checkpoint = checkpointOf(lastRecord);
    const failure: StreamOnFailureRecord = {
      requestContext: { requestId: randomUUID(), functionArn: d.functionArn, condition, approximateInvokeCount: invokes },
      responseContext: {
        statusCode: 200,
        executedVersion: '$LATEST',
        // A partial batch response is a successful invocation: no functionError.
        ...(last && last.kind === 'error' ? { functionError: 'Unhandled' } : {}),
      },
      version: '1.0',
      timestamp: new Date(o.now()).toISOString(),
      DDBStreamBatchInfo: {
        shardId: this.shard.ShardId!,
        startSequenceNumber: firstRecord.record.dynamodb.SequenceNumber,
        endSequenceNumber: lastRecord.record.dynamodb.SequenceNumber,
        approximateArrivalOfFirstRecord: isoSeconds(firstRecord.record.dynamodb.ApproximateCreationDateTime, firstRecord.readAt),
        approximateArrivalOfLastRecord: isoSeconds(lastRecord.record.dynamodb.ApproximateCreationDateTime, lastRecord.readAt),
        batchSize: records.length,
        streamArn: o.eventSourceArn,
      },
    };
    o.failures.push(failure);
    let detail = `${this.shard.ShardId}: ${condition}: discarded ${records.length} records ${failure.DDBStreamBatchInfo.startSequenceNumber}..${failure.DDBStreamBatchInfo.endSequenceNumber}`;
    if (d.onFailure) {
      if (!o.options.sqs) throw new Error('an on-failure destination needs the sqs client option');
      try {
        await o.options.sqs.send(new SendMessageCommand({ QueueUrl: d.onFailure.queueUrl, MessageBody: JSON.stringify(failure) }));
        detail += '; sent to the on-failure destination';
      } catch (error) {
        detail += `; the on-failure destination failed: ${(error as Error).message}`;
      }
    }
    o.report('dropped', detail);
  }
}

/**
 * A DynamoDB Streams event source mapping, polling while started. `drain()` waits until every
 * record written before it was called has been delivered or discarded.
 */
export class DynamoDbStreamPoller {
  /** Every on-failure record this mapping produced (also when no destination is configured). */
  readonly failures: StreamOnFailureRecord[] = [];
  running = false;
  readonly pollIntervalMs: number;
  readonly retryDelayMs: number;
  readonly eventSourceArn: string;
  private readonly shards = new Map<string, ShardPoller>();
  private discovery?: Promise<void>;
  private wake?: () => void;

  constructor(
    readonly definition: DynamoDbStreamEventSourceDefinition,
    readonly invoker: StreamInvoker,
    readonly options: DynamoDbStreamPollerOptions,
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.retryDelayMs = options.retryDelayMs ?? 50;
    this.eventSourceArn = definition.eventSourceArn ?? definition.streamArn;
    const batchSize = definition.batchSize ?? 100;
    if (batchSize < 1 || batchSize > 10_000) throw new Error(`batchSize ${batchSize} is outside 1..10000`);
    const retries = definition.maximumRetryAttempts ?? -1;
    if (retries < -1 || retries > 10_000) throw new Error(`maximumRetryAttempts ${retries} is outside -1..10000`);
    const age = definition.maximumRecordAgeInSeconds ?? -1;
    if (age !== -1 && (age < 60 || age > 604_800) && options.now === undefined) throw new Error(`maximumRecordAgeInSeconds ${age} is neither -1 nor within 60..604800`);
    for (const f of definition.filterCriteria?.filters ?? []) JSON.parse(f.pattern);
  }

  now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Starts polling; resolves once every shard's iterator is positioned (LATEST means: from now). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.discoverShards(true);
    this.discovery = this.discoverLoop();
  }

  /** Stops polling; a batch in flight finishes first. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.discovery;
    await Promise.all([...this.shards.values()].map((s) => s.stopped()));
  }

  /** The last checkpointed sequence number of each shard. */
  checkpoints(): Record<string, string | undefined> {
    return Object.fromEntries([...this.shards].map(([id, s]) => [id, s.checkpoint]));
  }

  /** Resolves when every shard has read past what was written before this call and delivered it. */
  async drain(timeoutMs = 30_000): Promise<void> {
    const since = this.now();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const shards = [...this.shards.values()];
      if (shards.every((s) => s.idle && (s.finished || s.caughtUpAt >= since))) return;
      if (Date.now() > deadline) throw new Error(`the stream of ${this.describe()} did not drain within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** @internal */
  sleep(ms: number): Promise<void> {
    return this.running ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
  }

  /** @internal */
  report(outcome: 'ok' | 'failed' | 'partial' | 'dropped', detail: string): void {
    this.options.onDelivery?.({ service: 'dynamodb', resource: this.describe(), outcome, detail });
  }

  private describe(): string {
    return `${this.definition.name ?? this.definition.streamArn} -> ${this.definition.functionArn.split(':').pop()}`;
  }

  private async discoverLoop(): Promise<void> {
    const interval = this.options.shardDiscoveryIntervalMs ?? 1000;
    while (this.running) {
      await new Promise<void>((resolve) => { this.wake = resolve; setTimeout(resolve, interval); });
      if (!this.running) break;
      try {
        await this.discoverShards(false);
      } catch (error) {
        if (this.running) this.report('failed', `DescribeStream failed: ${(error as Error).message}`);
      }
    }
  }

  /** Lists the shards; starts those whose parent is read to its end (or gone). */
  private async discoverShards(initial: boolean): Promise<void> {
    const shards: Shard[] = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const out = await this.options.streams.send(new DescribeStreamCommand({
        StreamArn: this.definition.streamArn,
        ExclusiveStartShardId: exclusiveStartShardId,
      }));
      shards.push(...(out.StreamDescription?.Shards ?? []));
      exclusiveStartShardId = out.StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
    const known = new Set(shards.map((s) => s.ShardId!));
    const starting: ShardPoller[] = [];
    for (const shard of shards) {
      if (this.shards.has(shard.ShardId!)) continue;
      const parent = shard.ParentShardId && known.has(shard.ParentShardId) ? shard.ParentShardId : undefined;
      const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
      let poller: ShardPoller;
      if (initial && this.definition.startingPosition === 'LATEST') {
        // LATEST: the open shards from now; closed shards hold only the past.
        poller = new ShardPoller(shard, this, 'LATEST');
        if (closed) poller.finished = true;
      } else {
        if (parent && !(this.shards.get(parent)?.finished && this.shards.get(parent)?.idle)) continue;
        poller = new ShardPoller(shard, this, initial ? this.definition.startingPosition : 'TRIM_HORIZON');
      }
      this.shards.set(shard.ShardId!, poller);
      starting.push(poller);
    }
    await Promise.all(starting.filter((p) => !p.finished).map((p) => p.position()));
    for (const p of starting) p.start();
  }
}
