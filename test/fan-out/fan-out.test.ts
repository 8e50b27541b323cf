import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { FanOut, FanOutSource } from '../../src';
import { nagErrors } from '../helpers/nag';

const code = lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] })');
const handler = { code, handler: 'index.handler' };

describe('FanOut with an SNS topic (default)', () => {
  test('creates a KMS-encrypted, TLS-only topic', () => {
    const stack = new Stack();
    const fanOut = new FanOut(stack, 'Orders', { consumers: [{ name: 'inventory', handler }] });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: stack.resolve(fanOut.topicKey!.keyArn) });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('gives every consumer its own queue, DLQ, raw-delivery subscription with the DLQ, and function', () => {
    const stack = new Stack();
    const fanOut = new FanOut(stack, 'Orders', { consumers: [{ name: 'inventory', handler }, { name: 'email', handler }] });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SQS::Queue', 4);
    template.resourceCountIs('AWS::SNS::Subscription', 2);
    template.resourceCountIs('AWS::Lambda::Function', 2);
    for (const name of ['inventory', 'email']) {
      const consumer = fanOut.consumer(name);
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'sqs',
        TopicArn: stack.resolve(fanOut.topic!.topicArn),
        Endpoint: stack.resolve(consumer.queue.queueArn),
        RawMessageDelivery: true,
        RedrivePolicy: { deadLetterTargetArn: stack.resolve(consumer.deadLetterQueue.queueArn) },
      });
      template.hasResourceProperties('AWS::SQS::Queue', {
        RedrivePolicy: { deadLetterTargetArn: stack.resolve(consumer.deadLetterQueue.queueArn), maxReceiveCount: 5 },
      });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: stack.resolve(consumer.queue.queueArn),
        FunctionName: stack.resolve((consumer.consumerFunction as lambda.Function).functionName),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    }
  });

  test('lets only the topic send to a consumer\'s queue', () => {
    const stack = new Stack();
    const fanOut = new FanOut(stack, 'Orders', { consumers: [{ name: 'inventory', handler }] });
    Template.fromStack(stack).hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [stack.resolve(fanOut.consumer('inventory').queue.queueUrl)],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: 'sqs:SendMessage',
          Principal: { Service: 'sns.amazonaws.com' },
          Condition: { ArnEquals: { 'aws:SourceArn': stack.resolve(fanOut.topic!.topicArn) } },
        })]),
      },
    });
  });

  test('sets a consumer\'s filter policy on its subscription only', () => {
    const stack = new Stack();
    new FanOut(stack, 'Orders', {
      consumers: [
        { name: 'inventory', handler },
        { name: 'email', handler, filterPolicy: { status: sns.SubscriptionFilter.stringFilter({ allowlist: ['created'] }) } },
      ],
    });
    const template = Template.fromStack(stack);
    template.resourcePropertiesCountIs('AWS::SNS::Subscription', { FilterPolicy: { status: ['created'] } }, 1);
    template.resourcePropertiesCountIs('AWS::SNS::Subscription', { FilterPolicy: Match.absent() }, 1);
  });

  test('addConsumer adds an independent consumer after construction', () => {
    const stack = new Stack();
    const fanOut = new FanOut(stack, 'Orders', { consumers: [{ name: 'inventory', handler }] });
    const analytics = fanOut.addConsumer({ name: 'analytics', handler, batchSize: 5, maxConcurrency: 3 });
    const template = Template.fromStack(stack);
    expect(fanOut.consumerNames).toEqual(['inventory', 'analytics']);
    expect(fanOut.consumer('analytics')).toBe(analytics);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: stack.resolve(analytics.queue.queueArn), BatchSize: 5, ScalingConfig: { MaximumConcurrency: 3 },
    });
  });

  test('uses an existing topic and an existing consumer function', () => {
    const stack = new Stack();
    const topic = new sns.Topic(stack, 'Existing');
    const fn = new lambda.Function(stack, 'Fn', { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_24_X, timeout: Duration.minutes(1) });
    const fanOut = new FanOut(stack, 'Orders', { topic, consumers: [{ name: 'legacy', consumerFunction: fn, consumerTimeout: Duration.minutes(1) }] });
    const template = Template.fromStack(stack);
    expect(fanOut.topic).toBe(topic);
    expect(fanOut.topicKey).toBeUndefined();
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 360, RedrivePolicy: Match.anyValue() });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionName: stack.resolve(fn.functionName) });
  });

  test('FIFO: a FIFO topic with content-based deduplication feeding FIFO queues', () => {
    const stack = new Stack();
    new FanOut(stack, 'Orders', { fifo: true, topicName: 'orders.fifo', consumers: [{ name: 'ledger', handler }] });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SNS::Topic', { FifoTopic: true, ContentBasedDeduplication: true, TopicName: 'orders.fifo' });
    template.resourcePropertiesCountIs('AWS::SQS::Queue', { FifoQueue: true }, 2);
  });

  test('exposes each consumer\'s alarms (queue, DLQ, function) and all of them on the FanOut', () => {
    const stack = new Stack();
    const alarmTopic = new sns.Topic(stack, 'Alarms');
    const fanOut = new FanOut(stack, 'Orders', { alarmTopic, consumers: [{ name: 'a', handler }, { name: 'b', handler }] });
    expect(fanOut.consumer('a').alarms).toHaveLength(5);
    expect(fanOut.alarms).toHaveLength(10);
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { AlarmActions: [stack.resolve(alarmTopic.topicArn)] }, 10);
  });

  test('passes the cdk-nag gate (AwsSolutions + Serverless) with 0 errors', () => {
    const stack = new Stack();
    new FanOut(stack, 'Orders', {
      consumers: [
        { name: 'inventory', handler },
        { name: 'email', handler, filterPolicy: { status: sns.SubscriptionFilter.stringFilter({ allowlist: ['created'] }) } },
      ],
    });
    expect(nagErrors(stack)).toEqual([]);
  });

  test('FIFO passes the cdk-nag gate', () => {
    const stack = new Stack();
    new FanOut(stack, 'Orders', { fifo: true, consumers: [{ name: 'ledger', handler }] });
    expect(nagErrors(stack)).toEqual([]);
  });
});

describe('FanOut with an EventBridge bus', () => {
  test('creates a bus and one rule per consumer targeting its queue, with the DLQ and retries', () => {
    const stack = new Stack();
    const fanOut = new FanOut(stack, 'Orders', {
      source: FanOutSource.EVENTBRIDGE,
      consumers: [{ name: 'shipping', handler, eventPattern: { source: ['shop.orders'], detailType: ['OrderPlaced'] } }],
    });
    const template = Template.fromStack(stack);
    const consumer = fanOut.consumer('shipping');
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: stack.resolve(fanOut.eventBus!.eventBusName),
      EventPattern: { 'source': ['shop.orders'], 'detail-type': ['OrderPlaced'] },
      Targets: [Match.objectLike({
        Arn: stack.resolve(consumer.queue.queueArn),
        DeadLetterConfig: { Arn: stack.resolve(consumer.deadLetterQueue.queueArn) },
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
      })],
    });
  });

  test('a consumer without a pattern receives every event of the account', () => {
    const stack = new Stack();
    new FanOut(stack, 'Orders', { source: FanOutSource.EVENTBRIDGE, consumers: [{ name: 'audit', handler }] });
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', { EventPattern: { account: [{ Ref: 'AWS::AccountId' }] } });
  });

  test('uses an existing bus', () => {
    const stack = new Stack();
    const bus = new events.EventBus(stack, 'Bus');
    const fanOut = new FanOut(stack, 'Orders', { source: FanOutSource.EVENTBRIDGE, eventBus: bus, consumers: [{ name: 'audit', handler }] });
    expect(fanOut.eventBus).toBe(bus);
    expect(fanOut.topic).toBeUndefined();
    Template.fromStack(stack).resourceCountIs('AWS::Events::EventBus', 1);
  });

  test('passes the cdk-nag gate', () => {
    const stack = new Stack();
    new FanOut(stack, 'Orders', { source: FanOutSource.EVENTBRIDGE, consumers: [{ name: 'audit', handler }] });
    expect(nagErrors(stack)).toEqual([]);
  });
});

describe('FanOut validation', () => {
  test('fails for a duplicate consumer name', () => {
    expect(() => new FanOut(new Stack(), 'Orders', { consumers: [{ name: 'a', handler }, { name: 'a', handler }] }))
      .toThrow(/Default\/Orders: consumer names must be unique, 'a' is used twice/);
  });

  test('fails for an invalid consumer name', () => {
    expect(() => new FanOut(new Stack(), 'Orders', { consumers: [{ name: 'has space', handler }] }))
      .toThrow(/consumer name must be 1 to 40 letters, digits, '-' or '_', got 'has space'/);
  });

  test('fails for a consumer with both or neither of handler and consumerFunction', () => {
    expect(() => new FanOut(new Stack(), 'Orders', { consumers: [{ name: 'a' }] })).toThrow(/consumer 'a': specify exactly one of handler or consumerFunction/);
  });

  test('fails for a FIFO topic name without .fifo', () => {
    expect(() => new FanOut(new Stack(), 'Orders', { fifo: true, topicName: 'orders' })).toThrow(/topicName must end in .fifo for a FIFO fan-out, got 'orders'/);
  });

  test('fails for a .fifo topic name without fifo', () => {
    expect(() => new FanOut(new Stack(), 'Orders', { topicName: 'orders.fifo' })).toThrow(/topicName ends in .fifo, which only a FIFO topic may/);
  });

  test('fails for a filter policy with an EventBridge source', () => {
    expect(() => new FanOut(new Stack(), 'Orders', {
      source: FanOutSource.EVENTBRIDGE,
      consumers: [{ name: 'a', handler, filterPolicy: { s: sns.SubscriptionFilter.existsFilter() } }],
    })).toThrow(/consumer 'a': filterPolicy applies to an SNS source; use eventPattern with EventBridge/);
  });

  test('fails for an event pattern with an SNS source', () => {
    expect(() => new FanOut(new Stack(), 'Orders', { consumers: [{ name: 'a', handler, eventPattern: { source: ['x'] } }] }))
      .toThrow(/consumer 'a': eventPattern applies to an EventBridge source/);
  });

  test('fails for FIFO with EventBridge', () => {
    expect(() => new FanOut(new Stack(), 'Orders', { source: FanOutSource.EVENTBRIDGE, fifo: true })).toThrow(/fifo is supported with source SNS only/);
  });

  test('fails for a FIFO batch size above 10', () => {
    expect(() => new FanOut(new Stack(), 'Orders', { fifo: true, consumers: [{ name: 'a', handler, batchSize: 11 }] }))
      .toThrow(/consumer 'a': batchSize must be an integer between 1 and 10, got 11/);
  });

  test('fails to find an unknown consumer, naming the known ones', () => {
    const fanOut = new FanOut(new Stack(), 'Orders', { consumers: [{ name: 'a', handler }] });
    expect(() => fanOut.consumer('b')).toThrow(/no consumer 'b'; consumers are: a/);
  });
});
