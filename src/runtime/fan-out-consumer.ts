/**
 * `fanOutConsumer`: wraps a function that handles one message as the SQS handler of a FanOut
 * consumer. It unwraps the body (raw delivery, an SNS envelope when raw delivery is off, or an
 * EventBridge event), parses JSON, and reports the records that failed as batch item failures,
 * so only they are retried and, after maxReceiveCount, dead-lettered (also when every record
 * failed: the invocation itself does not fail). On a FIFO queue it stops at
 * the first failure of the batch, so a message group stays in order.
 */
import { BatchProcessor, EventType, processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/** What the consumer function receives for each message. */
export interface FanOutMessage<TMessage = unknown> {
  /** The published message, JSON-parsed (for EventBridge: the whole event, with `detail`). */
  readonly message: TMessage;
  /** The SNS message attributes (envelope form) or SQS message attributes, as strings. */
  readonly attributes: Record<string, string>;
  /** The SQS message id. */
  readonly messageId: string;
  /** 1 on the first delivery, then 2, 3, ... */
  readonly receiveCount: number;
  /** The SQS record as Lambda delivered it. */
  readonly record: SQSRecord;
}

export type FanOutMessageHandler<TMessage = unknown> = (message: FanOutMessage<TMessage>, context: Context) => Promise<void>;

export interface FanOutConsumerOptions {
  /** Parse the message as JSON (a message that is not JSON then fails and is dead-lettered). @default true */
  readonly json?: boolean;
  /** Logger to use. @default a new Logger */
  readonly logger?: Logger;
}

const defaultLogger = new Logger();

/** The message inside an SQS body: raw, or unwrapped from an SNS notification envelope. */
export function unwrapBody(record: SQSRecord): { body: string; attributes: Record<string, string> } {
  const sqsAttributes = Object.fromEntries(Object.entries(record.messageAttributes ?? {})
    .filter(([, v]) => v.stringValue !== undefined).map(([k, v]) => [k, v.stringValue!]));
  if (record.body.startsWith('{') && record.body.includes('"Type"') && record.body.includes('"TopicArn"')) {
    try {
      type Envelope = { Type?: string; TopicArn?: string; Message?: string; MessageAttributes?: Record<string, { Value: string }> };
      const envelope = JSON.parse(record.body) as Envelope;
      if (envelope.Type === 'Notification' && typeof envelope.TopicArn === 'string' && typeof envelope.Message === 'string') {
        const attributes = Object.fromEntries(Object.entries(envelope.MessageAttributes ?? {}).map(([k, v]) => [k, v.Value]));
        return { body: envelope.Message, attributes };
      }
    } catch {
      // not an envelope: fall through to the raw body
    }
  }
  return { body: record.body, attributes: sqsAttributes };
}

/** Creates the SQS handler of a FanOut consumer. */
export function fanOutConsumer<TMessage = unknown>(
  handle: FanOutMessageHandler<TMessage>,
  options: FanOutConsumerOptions = {},
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const logger = options.logger ?? defaultLogger;
  const json = options.json ?? true;
  return async (event, context) => {
    const fifo = event.Records[0]?.eventSourceARN?.endsWith('.fifo') ?? false;
    const processor = fifo ? new SqsFifoPartialProcessorAsync() : new BatchProcessor(EventType.SQS);
    const recordHandler = async (record: SQSRecord): Promise<void> => {
      const { body, attributes } = unwrapBody(record);
      let message: unknown = body;
      if (json) {
        try {
          message = JSON.parse(body);
        } catch (error) {
          logger.error('message is not JSON; it will be retried and then dead-lettered', { messageId: record.messageId });
          throw error;
        }
      }
      await handle({
        message: message as TMessage,
        attributes,
        messageId: record.messageId,
        receiveCount: Number(record.attributes.ApproximateReceiveCount ?? '1'),
        record,
      }, context);
    };
    // A batch whose every record failed is reported item by item: throwing would fail the invocation.
    return processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });
  };
}
