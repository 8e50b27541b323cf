/**
 * Lambda's SQS event source mapping: polls the queue with the mapping's batch size and batching
 * window, invokes the function with an SQS event, deletes the records that succeeded and makes the
 * failed ones visible again (all of them when the invocation fails, only the reported ones with
 * ReportBatchItemFailures). fauxqs moves a message to the queue's DLQ when its receives exceed
 * maxReceiveCount, as SQS does.
 */
import {
  ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, Message, ReceiveMessageCommand, SQSClient,
} from '@aws-sdk/client-sqs';
import type { DeliverySink } from './deliveries';
import type { LocalFunction } from './lambda';

export interface SqsEventSourceDefinition {
  readonly stack: string;
  readonly logicalId: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly queueName: string;
  readonly batchSize: number;
  readonly maximumBatchingWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
  readonly enabled: boolean;
}

export interface SqsEventSourceOptions {
  readonly region: string;
  /**
   * Seconds before a failed record is received again. AWS waits for the queue's visibility
   * timeout; the local cloud compresses that wait.
   */
  readonly redeliveryDelaySeconds: number;
  readonly onDelivery: DeliverySink;
}

/** One SQS event source mapping, polling while started. */
export class SqsEventSource {
  private running = false;
  private loop?: Promise<void>;
  private busy = false;
  private maxReceiveCount?: number;

  constructor(
    readonly definition: SqsEventSourceDefinition,
    private readonly target: LocalFunction,
    private readonly sqs: SQSClient,
    private readonly options: SqsEventSourceOptions,
  ) {}

  /** True while a batch is being received, processed or settled. */
  get active(): boolean {
    return this.busy;
  }

  start(): void {
    if (this.running || !this.definition.enabled) return;
    this.running = true;
    this.loop = this.poll();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async poll(): Promise<void> {
    const attributes = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: this.definition.queueUrl, AttributeNames: ['RedrivePolicy'] }));
    const redrive = attributes.Attributes?.RedrivePolicy;
    this.maxReceiveCount = redrive ? Number((JSON.parse(redrive) as { maxReceiveCount: number | string }).maxReceiveCount) : undefined;
    while (this.running) {
      try {
        const batch = await this.receiveBatch();
        if (batch.length > 0) await this.deliver(batch);
      } catch (error) {
        if (!this.running) break;
        this.options.onDelivery({ service: 'sqs', resource: this.describe(), outcome: 'dropped', detail: `poll failed: ${(error as Error).message}` });
        await new Promise((r) => setTimeout(r, 500));
      } finally {
        this.busy = false;
      }
    }
  }

  /** Receives up to batchSize messages, waiting up to the batching window to fill the batch. */
  private async receiveBatch(): Promise<Message[]> {
    const { batchSize, maximumBatchingWindowSeconds } = this.definition;
    const batch: Message[] = [];
    const windowEnds = Date.now() + maximumBatchingWindowSeconds * 1000;
    do {
      const waitSeconds = batch.length === 0 ? 1 : Math.max(0, Math.min(1, Math.ceil((windowEnds - Date.now()) / 1000)));
      const { Messages = [] } = await this.sqs.send(new ReceiveMessageCommand({
        QueueUrl: this.definition.queueUrl,
        MaxNumberOfMessages: Math.min(10, batchSize - batch.length),
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }));
      if (Messages.length > 0) this.busy = true;
      batch.push(...Messages);
      if (batch.length === 0) return batch;
    } while (this.running && batch.length < batchSize && Date.now() < windowEnds);
    return batch;
  }

  private async deliver(batch: Message[]): Promise<void> {
    const event = { Records: batch.map((m) => this.record(m)) };
    const result = await this.target.invoke(event);
    let failed: Set<string>;
    let detail: string;
    if (!result.ok) {
      failed = new Set(batch.map((m) => m.MessageId!));
      detail = `${result.error.errorType}: ${result.error.errorMessage}`;
    } else if (this.definition.reportBatchItemFailures) {
      const response = result.result as { batchItemFailures?: { itemIdentifier?: string }[] } | null;
      const reported = (response?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
      const ids = new Set(batch.map((m) => m.MessageId!));
      // An empty or unknown identifier fails the whole batch, as Lambda does.
      failed = reported.some((id) => !id || !ids.has(id)) ? ids : new Set(reported as string[]);
      detail = failed.size ? `${failed.size} of ${batch.length} records failed` : `${batch.length} records`;
    } else {
      failed = new Set();
      detail = `${batch.length} records`;
    }
    const succeeded = batch.filter((m) => !failed.has(m.MessageId!));
    const retried = batch.filter((m) => failed.has(m.MessageId!));
    if (succeeded.length > 0) {
      await this.sqs.send(new DeleteMessageBatchCommand({
        QueueUrl: this.definition.queueUrl,
        Entries: succeeded.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }));
    }
    if (retried.length > 0) {
      await this.sqs.send(new ChangeMessageVisibilityBatchCommand({
        QueueUrl: this.definition.queueUrl,
        Entries: retried.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: this.options.redeliveryDelaySeconds })),
      }));
      const last = retried.filter((m) => this.maxReceiveCount !== undefined && Number(m.Attributes?.ApproximateReceiveCount ?? '1') >= this.maxReceiveCount);
      if (last.length > 0) detail += `; ${last.length} on their last receive go to the dead-letter queue`;
    }
    const outcome = failed.size === 0 ? 'ok' : succeeded.length === 0 ? 'failed' : 'partial';
    this.options.onDelivery({ service: 'sqs', resource: this.describe(), outcome, detail });
  }

  private describe(): string {
    return `${this.definition.queueName} -> ${this.target.definition.logicalId}`;
  }

  /** The SQS event record Lambda builds from a received message. */
  private record(m: Message): Record<string, unknown> {
    const attributes = { ...(m.Attributes ?? {}) };
    return {
      messageId: m.MessageId,
      receiptHandle: m.ReceiptHandle,
      body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
        SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
        SenderId: attributes.SenderId ?? 'AIDALOCAL',
        ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
        ...attributes,
      },
      messageAttributes: Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([name, value]) => [name, {
        stringValue: value.StringValue,
        binaryValue: value.BinaryValue ? Buffer.from(value.BinaryValue).toString('base64') : undefined,
        stringListValues: [],
        binaryListValues: [],
        dataType: value.DataType,
      }])),
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.definition.queueArn,
      awsRegion: this.options.region,
    };
  }
}
