/**
 * The FanOut data path run for real against fauxqs on 127.0.0.1 (SNS -> SQS with filter policies
 * and raw delivery, SQS redrive), with the `fanOutConsumer` runtime helper as the consumer.
 */
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { fanOutConsumer, FanOutMessage } from '../../src/runtime';
import { lambdaContext, sqsEvent } from '../fixtures/events';
import { RunningEmulator, startFauxqs, uniqueName } from '../helpers/emulators';
import { EventSourceMapping } from '../helpers/event-source';

let emulator: RunningEmulator;
let sqs: SQSClient;
let sns: SNSClient;

beforeAll(async () => {
  emulator = await startFauxqs();
  sqs = new SQSClient({});
  sns = new SNSClient({});
});
afterAll(async () => emulator.stop());

interface ConsumerQueues { readonly url: string; readonly dlqUrl: string }

/** A consumer's queue and DLQ as FanOut builds them: redrive after `maxReceiveCount`, optional FIFO. */
async function consumerQueues(maxReceiveCount = 3, fifo = false): Promise<ConsumerQueues> {
  const suffix = fifo ? '.fifo' : '';
  const fifoAttributes: Record<string, string> = fifo ? { FifoQueue: 'true', ContentBasedDeduplication: 'true' } : {};
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('dlq') + suffix, Attributes: fifoAttributes }));
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn;
  const queue = await sqs.send(new CreateQueueCommand({
    QueueName: uniqueName('q') + suffix,
    Attributes: { ...fifoAttributes, RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }) },
  }));
  return { url: queue.QueueUrl!, dlqUrl: dlq.QueueUrl! };
}

async function subscribe(topicArn: string, queueUrl: string, attributes: Record<string, string> = { RawMessageDelivery: 'true' }) {
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn;
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: arn, Attributes: attributes }));
}

function recorder() {
  const seen: FanOutMessage<any>[] = [];
  const handler = fanOutConsumer(async (m: FanOutMessage<any>) => {
    seen.push(m);
  });
  return { seen, handler };
}

test('one published event reaches every consumer, and a filter policy keeps the messages it does not match away', async () => {
  // GIVEN a topic with two consumers, email only for created orders
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName('orders') }));
  const inventory = await consumerQueues();
  const email = await consumerQueues();
  await subscribe(TopicArn!, inventory.url);
  await subscribe(TopicArn!, email.url, { RawMessageDelivery: 'true', FilterPolicy: JSON.stringify({ status: ['created'] }) });
  const inventoryConsumer = recorder();
  const emailConsumer = recorder();
  // WHEN two orders are published, one created and one cancelled
  for (const [id, status] of [['o-1', 'created'], ['o-2', 'cancelled']]) {
    await sns.send(new PublishCommand({
      TopicArn,
      Message: JSON.stringify({ orderId: id }),
      MessageAttributes: { status: { DataType: 'String', StringValue: status } },
    }));
  }
  await new EventSourceMapping(inventory.url, inventoryConsumer.handler).drain();
  await new EventSourceMapping(email.url, emailConsumer.handler).drain();
  // THEN inventory sees both, email only the created one, both as parsed JSON (raw delivery)
  expect(inventoryConsumer.seen.map((m) => m.message.orderId).sort()).toEqual(['o-1', 'o-2']);
  expect(emailConsumer.seen.map((m) => m.message)).toEqual([{ orderId: 'o-1' }]);
});

test('a poison message fails alone, is retried, and ends in that consumer\'s DLQ after maxReceiveCount; the other consumer is unaffected', async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName('orders') }));
  const strict = await consumerQueues(3);
  const lenient = await consumerQueues(3);
  await subscribe(TopicArn!, strict.url);
  await subscribe(TopicArn!, lenient.url);
  const attempts: Record<string, number> = {};
  const strictHandler = fanOutConsumer(async (m: FanOutMessage<{ qty: number }>) => {
    attempts[m.messageId] = m.receiveCount;
    if (m.message.qty < 0) throw new Error('negative quantity');
  });
  const lenientConsumer = recorder();
  await sns.send(new PublishCommand({ TopicArn, Message: JSON.stringify({ qty: 1 }) }));
  await sns.send(new PublishCommand({ TopicArn, Message: JSON.stringify({ qty: -5 }) }));
  const mapping = new EventSourceMapping(strict.url, strictHandler);
  for (let i = 0; i <= 3; i++) await mapping.pollOnce();
  await new EventSourceMapping(lenient.url, lenientConsumer.handler).drain();
  const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: strict.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  expect(dead.Messages?.map((m) => JSON.parse(m.Body!))).toEqual([{ qty: -5 }]);
  expect(Math.max(...Object.values(attempts))).toBe(3);
  expect(lenientConsumer.seen.map((m) => m.message.qty).sort()).toEqual([-5, 1]);
});

test('a message that is not JSON is dead-lettered, not silently dropped', async () => {
  const queues = await consumerQueues(2);
  const consumer = recorder();
  await sqs.send(new SendMessageCommand({ QueueUrl: queues.url, MessageBody: 'not json' }));
  const mapping = new EventSourceMapping(queues.url, consumer.handler);
  for (let i = 0; i <= 2; i++) await mapping.pollOnce();
  const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queues.dlqUrl, WaitTimeSeconds: 1 }));
  expect(consumer.seen).toEqual([]);
  expect(dead.Messages?.map((m) => m.Body)).toEqual(['not json']);
});

test('without raw delivery the SNS envelope is unwrapped, with its message attributes', async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName('orders') }));
  const queues = await consumerQueues();
  await subscribe(TopicArn!, queues.url, { RawMessageDelivery: 'false' });
  const consumer = recorder();
  await sns.send(new PublishCommand({ TopicArn, Message: '{"orderId":"o-9"}', MessageAttributes: { status: { DataType: 'String', StringValue: 'created' } } }));
  await new EventSourceMapping(queues.url, consumer.handler).drain();
  expect(consumer.seen.map((m) => [m.message, m.attributes.status])).toEqual([[{ orderId: 'o-9' }, 'created']]);
});

test('an EventBridge event arrives whole, with its detail', async () => {
  const queues = await consumerQueues();
  const consumer = recorder();
  const event = { 'version': '0', 'id': 'e-1', 'detail-type': 'OrderPlaced', 'source': 'shop.orders', 'detail': { orderId: 'o-3' } };
  await sqs.send(new SendMessageCommand({ QueueUrl: queues.url, MessageBody: JSON.stringify(event) }));
  await new EventSourceMapping(queues.url, consumer.handler).drain();
  expect(consumer.seen[0].message.detail).toEqual({ orderId: 'o-3' });
});

test('FIFO: after a failure the rest of the batch is returned unprocessed, so a group stays in order', async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `${uniqueName('ledger')}.fifo`, Attributes: { FifoTopic: 'true', ContentBasedDeduplication: 'true' } }));
  const queues = await consumerQueues(5, true);
  await subscribe(TopicArn!, queues.url);
  const processed: number[] = [];
  let failedOnce = false;
  const handler = fanOutConsumer(async (m: FanOutMessage<{ seq: number }>) => {
    if (m.message.seq === 2 && !failedOnce) {
      failedOnce = true;
      throw new Error('transient');
    }
    processed.push(m.message.seq);
  });
  for (const seq of [1, 2, 3]) {
    await sns.send(new PublishCommand({ TopicArn, Message: JSON.stringify({ seq }), MessageGroupId: 'account-7' }));
  }
  await new EventSourceMapping(queues.url, handler).drain();
  expect(processed).toEqual([1, 2, 3]);
});

test('a batch in which every message fails reports each as an item failure instead of failing the invocation', async () => {
  // GIVEN
  const { url: queueUrl } = await consumerQueues();
  for (let i = 0; i < 3; i++) await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ i }) }));
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  const consumer = fanOutConsumer(async () => {
    throw new Error('downstream unavailable');
  });
  // WHEN
  const response = await consumer(sqsEvent(queueArn, Messages), lambdaContext());
  // THEN
  expect(Messages).toHaveLength(3);
  expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(Messages.map((m) => m.MessageId).sort());
});
