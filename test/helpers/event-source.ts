/**
 * Plays Lambda's SQS event source mapping against an emulated queue: ReceiveMessage -> SQS event
 * -> handler -> DeleteMessage for the records the handler did not report as failed. Failed
 * records are made visible again at once (Lambda would wait for the visibility timeout), so a
 * test sees retries and the queue's redrive to its DLQ without waiting.
 */
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { lambdaContext, sqsEvent } from '../fixtures/events';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface PollResult {
  readonly received: number;
  readonly failed: number;
}

export class EventSourceMapping {
  private readonly sqs = new SQSClient({});
  private queueArn?: string;

  constructor(private readonly queueUrl: string, private readonly handler: SqsHandler, private readonly batchSize = 10) {}

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
    try {
      const response = await this.handler(sqsEvent(this.queueArn, Messages), lambdaContext());
      failedIds = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch {
      failedIds = new Set(Messages.map((m) => m.MessageId!)); // the whole batch failed
    }
    for (const m of Messages) {
      if (failedIds.has(m.MessageId!)) {
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
