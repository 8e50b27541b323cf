/**
 * Plays Lambda's SQS event source mapping against an emulated queue: ReceiveMessage -> SQS event
 * -> handler -> DeleteMessage for the records the handler did not report as failed. Failed
 * records are made visible again at once (Lambda would wait for the visibility timeout), so a
 * test sees retries and the queue's redrive to its DLQ without waiting (unless
 * `failedVisibility: 'keep'`). With `invocationTimeoutMs`, an invocation that has not settled by
 * then is treated as Lambda treats a timeout: its messages are left alone and come back after
 * their visibility timeout (the handler's promise keeps running, as a frozen sandbox would not).
 */
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { lambdaContext, sqsEvent } from '../fixtures/events';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface PollResult {
  readonly received: number;
  readonly failed: number;
  /** True when the invocation did not settle within `invocationTimeoutMs`. */
  readonly timedOut?: boolean;
}

export interface EventSourceMappingOptions {
  /** The simulated function timeout: the context's remaining time, and when an invocation counts as timed out. @default none */
  readonly invocationTimeoutMs?: number;
  /**
   * What happens to failed records: made visible at once (`immediate`), or left with the
   * visibility they have (`keep`: the queue's timeout, or what the handler set), as Lambda does.
   * @default 'immediate'
   */
  readonly failedVisibility?: 'immediate' | 'keep';
}

const TIMED_OUT = Symbol('timed out');

export class EventSourceMapping {
  private readonly sqs = new SQSClient({});
  private queueArn?: string;

  constructor(
    private readonly queueUrl: string,
    private readonly handler: SqsHandler,
    private readonly batchSize = 10,
    private readonly options: EventSourceMappingOptions = {},
  ) {}

  /** One poll: receive up to batchSize messages, invoke the handler once, settle the batch. */
  async pollOnce(waitTimeSeconds = 0): Promise<PollResult> {
    this.queueArn ??= (await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    const { Messages = [] } = await this.sqs.send(new ReceiveMessageCommand({
      QueueUrl: this.queueUrl,
      MaxNumberOfMessages: this.batchSize,
      WaitTimeSeconds: waitTimeSeconds,
      MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'ApproximateFirstReceiveTimestamp'],
    }));
    if (Messages.length === 0) return { received: 0, failed: 0 };
    let failedIds: Set<string>;
    const timeoutMs = this.options.invocationTimeoutMs;
    const context = lambdaContext();
    if (timeoutMs !== undefined) {
      const deadline = Date.now() + timeoutMs;
      context.getRemainingTimeInMillis = () => Math.max(0, deadline - Date.now());
    }
    try {
      const invocation = this.handler(sqsEvent(this.queueArn, Messages), context);
      let response: SQSBatchResponse | void | typeof TIMED_OUT;
      if (timeoutMs === undefined) {
        response = await invocation;
      } else {
        invocation.catch(() => undefined); // a late rejection of a timed-out invocation is nobody's
        let timer: NodeJS.Timeout | undefined;
        response = await Promise.race([invocation, new Promise<typeof TIMED_OUT>((resolve) => {
          timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
        })]).finally(() => clearTimeout(timer));
      }
      if (response === TIMED_OUT) return { received: Messages.length, failed: Messages.length, timedOut: true };
      failedIds = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch {
      failedIds = new Set(Messages.map((m) => m.MessageId!)); // the whole batch failed
    }
    for (const m of Messages) {
      if (failedIds.has(m.MessageId!)) {
        if (this.options.failedVisibility === 'keep') continue;
        await this.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 }));
      } else {
        await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: m.ReceiptHandle! }));
      }
    }
    return { received: Messages.length, failed: failedIds.size };
  }

  /** Polls until the queue returns nothing, at most `maxPolls` times. Returns the polls made. */
  async drain(maxPolls = 50): Promise<number> {
    for (let polls = 1; polls <= maxPolls; polls++) {
      const { received } = await this.pollOnce();
      if (received === 0) return polls;
    }
    throw new Error(`the queue still had messages after ${maxPolls} polls`);
  }
}
