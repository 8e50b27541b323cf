import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DeadLetteredQueue, FunctionInvocation, ServerlessFunction } from '../../src';
import { nagErrors } from '../helpers/nag';

const code = lambda.Code.fromInline('exports.handler = async () => {}');

describe('DeadLetteredQueue defaults', () => {
  test('redrives to its dead-letter queue after 5 receives', () => {
    const stack = new Stack();
    const q = new DeadLetteredQueue(stack, 'Jobs');
    Template.fromStack(stack).hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: stack.resolve(q.deadLetterQueue.queueArn), maxReceiveCount: 5 },
    });
    expect(q.maxReceiveCount).toBe(5);
  });

  test('encrypts both queues with SSE-SQS and keeps dead letters 14 days', () => {
    const stack = new Stack();
    new DeadLetteredQueue(stack, 'Jobs');
    const template = Template.fromStack(stack);
    template.resourcePropertiesCountIs('AWS::SQS::Queue', { SqsManagedSseEnabled: true }, 2);
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 1209600, RedrivePolicy: Match.absent() });
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 345600, RedrivePolicy: Match.anyValue() });
  });

  test('denies every request that is not over TLS, on both queues', () => {
    const stack = new Stack();
    new DeadLetteredQueue(stack, 'Jobs');
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Deny',
          Action: 'sqs:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        })]),
      },
    }, 2);
  });

  test('derives the visibility timeout as 6 x the consumer timeout', () => {
    const stack = new Stack();
    new DeadLetteredQueue(stack, 'Jobs', { consumerTimeout: Duration.minutes(2) });
    Template.fromStack(stack).hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 720 });
  });

  test('alarms when the dead-letter queue holds a message and when the oldest message is older than 15 minutes', () => {
    const stack = new Stack();
    const q = new DeadLetteredQueue(stack, 'Jobs');
    const template = Template.fromStack(stack);
    expect(q.alarms).toHaveLength(2);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: stack.resolve(q.deadLetterQueue.queueName) }],
      Threshold: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: stack.resolve(q.queue.queueName) }],
      Threshold: 900,
    });
  });

  test('uses a customer-managed key for both queues when given', () => {
    const stack = new Stack();
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    new DeadLetteredQueue(stack, 'Jobs', { encryptionKey: key });
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::SQS::Queue', { KmsMasterKeyId: stack.resolve(key.keyArn) }, 2);
  });

  test('FIFO makes both queues FIFO with content-based deduplication', () => {
    const stack = new Stack();
    new DeadLetteredQueue(stack, 'Jobs', { fifo: true });
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::SQS::Queue', { FifoQueue: true, ContentBasedDeduplication: true }, 2);
  });

  test('a consumer gets an event source that reports partial batch failures', () => {
    const stack = new Stack();
    const q = new DeadLetteredQueue(stack, 'Jobs');
    const fn = new ServerlessFunction(stack, 'Worker', { code, handler: 'index.handler', invocation: FunctionInvocation.QUEUE });
    q.addConsumer(fn, { batchSize: 5, maxConcurrency: 4 });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: stack.resolve(q.queue.queueArn),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 5,
      ScalingConfig: { MaximumConcurrency: 4 },
    });
  });

  test('passes the cdk-nag gate with a consumer', () => {
    const stack = new Stack();
    const q = new DeadLetteredQueue(stack, 'Jobs');
    q.addConsumer(new ServerlessFunction(stack, 'Worker', { code, handler: 'index.handler', invocation: FunctionInvocation.QUEUE }));
    expect(nagErrors(stack)).toEqual([]);
  });
});

describe('DeadLetteredQueue validation', () => {
  test('fails for maxReceiveCount outside 1..1000', () => {
    expect(() => new DeadLetteredQueue(new Stack(), 'Jobs', { maxReceiveCount: 0 })).toThrow(/Jobs: maxReceiveCount must be an integer between 1 and 1000, got 0/);
  });

  test('fails for a visibility timeout shorter than 6 x the consumer timeout', () => {
    expect(() => new DeadLetteredQueue(new Stack(), 'Jobs', { consumerTimeout: Duration.minutes(1), visibilityTimeout: Duration.minutes(5) }))
      .toThrow(/visibilityTimeout must be between 6 minutes and 12 hours, got 5 minutes/);
  });

  test('fails when a consumer\'s timeout needs a longer visibility timeout, naming the function', () => {
    const stack = new Stack();
    const q = new DeadLetteredQueue(stack, 'Jobs');
    const fn = new ServerlessFunction(stack, 'Slow', { code, handler: 'index.handler', timeout: Duration.minutes(5), invocation: FunctionInvocation.QUEUE });
    expect(() => q.addConsumer(fn)).toThrow(/the visibility timeout \(3 minutes\) must be at least 6 x the timeout of consumer Default\/Slow \(5 minutes\)/);
  });

  test('fails for a batch size above 10 without a batching window', () => {
    const stack = new Stack();
    const q = new DeadLetteredQueue(stack, 'Jobs');
    const fn = new ServerlessFunction(stack, 'Worker', { code, handler: 'index.handler', invocation: FunctionInvocation.QUEUE });
    expect(() => q.addConsumer(fn, { batchSize: 50 })).toThrow(/batchSize above 10 \(got 50\) needs maxBatchingWindow/);
  });

  test('accepts a batch size above 10 with a batching window', () => {
    const stack = new Stack();
    const q = new DeadLetteredQueue(stack, 'Jobs');
    const fn = new ServerlessFunction(stack, 'Worker', { code, handler: 'index.handler', invocation: FunctionInvocation.QUEUE });
    q.addConsumer(fn, { batchSize: 50, maxBatchingWindow: Duration.seconds(5) });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 50, MaximumBatchingWindowInSeconds: 5 });
  });

  test('fails for maxConcurrency below 2', () => {
    const stack = new Stack();
    const q = new DeadLetteredQueue(stack, 'Jobs');
    const fn = new ServerlessFunction(stack, 'Worker', { code, handler: 'index.handler', invocation: FunctionInvocation.QUEUE });
    expect(() => q.addConsumer(fn, { maxConcurrency: 1 })).toThrow(/maxConcurrency must be an integer between 2 and 1000, got 1/);
  });
});
