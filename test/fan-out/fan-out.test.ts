import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { FanOut, FanOutSource, Handler } from '../../src';
import { nagErrors } from '../helpers/nag';

const code = lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] })');
const handler = Handler.fromCode(code, { handler: 'index.handler' });

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
        FunctionName: stack.resolve(consumer.handlerFunction.functionName),
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

  test('uses an existing topic and an existing consumer function (Handler.fromFunction), whose own timeout sizes the visibility timeout', () => {
    const stack = new Stack();
    const topic = new sns.Topic(stack, 'Existing');
    const fn = new lambda.Function(stack, 'Fn', { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_24_X, timeout: Duration.minutes(1) });
    const fanOut = new FanOut(stack, 'Orders', { source: FanOutSource.sns({ topic }), consumers: [{ name: 'legacy', handler: Handler.fromFunction(fn) }] });
    expect(fanOut.consumer('legacy').handlerFunction).toBe(fn);
    const template = Template.fromStack(stack);
    expect(fanOut.topic).toBe(topic);
    expect(fanOut.topicKey).toBeUndefined();
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 360, RedrivePolicy: Match.anyValue() });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionName: stack.resolve(fn.functionName) });
  });

  test('FIFO: a FIFO topic with content-based deduplication feeding FIFO queues', () => {
    const stack = new Stack();
    new FanOut(stack, 'Orders', { source: FanOutSource.sns({ fifo: true, topicName: 'orders.fifo' }), consumers: [{ name: 'ledger', handler }] });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SNS::Topic', { FifoTopic: true, ContentBasedDeduplication: true, TopicName: 'orders.fifo' });
    template.resourcePropertiesCountIs('AWS::SQS::Queue', { FifoQueue: true }, 2);
  });

  test('exposes each consumer\'s alarms (DLQ depth, oldest message age) and all of them on the FanOut, sent to alarms.topic', () => {
    const stack = new Stack();
    const alarmTopic = new sns.Topic(stack, 'Alarms');
    const fanOut = new FanOut(stack, 'Orders', { alarms: { topic: alarmTopic }, consumers: [{ name: 'a', handler }, { name: 'b', handler }] });
    expect(fanOut.consumer('a').alarms).toHaveLength(2);
    expect(fanOut.alarms).toHaveLength(4);
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { AlarmActions: [stack.resolve(alarmTopic.topicArn)] }, 4);
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
    new FanOut(stack, 'Orders', { source: FanOutSource.sns({ fifo: true }), consumers: [{ name: 'ledger', handler }] });
    expect(nagErrors(stack)).toEqual([]);
  });
});

describe('FanOut with an EventBridge bus', () => {
  test('creates a bus and one rule per consumer targeting its queue, with the DLQ and retries', () => {
    const stack = new Stack();
    const fanOut = new FanOut(stack, 'Orders', {
      source: FanOutSource.eventBridge(),
      consumers: [{ name: 'shipping', handler, eventPattern: { source: ['shop.orders'], detailType: ['OrderPlaced'] } }],
    });
    const template = Template.fromStack(stack);
    const consumer = fanOut.consumer('shipping');
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: stack.resolve(fanOut.bus!.eventBusName),
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
    new FanOut(stack, 'Orders', { source: FanOutSource.eventBridge(), consumers: [{ name: 'audit', handler }] });
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', { EventPattern: { account: [{ Ref: 'AWS::AccountId' }] } });
  });

  test('uses an existing bus', () => {
    const stack = new Stack();
    const bus = new events.EventBus(stack, 'Bus');
    const fanOut = new FanOut(stack, 'Orders', { source: FanOutSource.eventBridge({ bus }), consumers: [{ name: 'audit', handler }] });
    expect(fanOut.bus).toBe(bus);
    expect(fanOut.topic).toBeUndefined();
    Template.fromStack(stack).resourceCountIs('AWS::Events::EventBus', 1);
  });

  test('passes the cdk-nag gate', () => {
    const stack = new Stack();
    new FanOut(stack, 'Orders', { source: FanOutSource.eventBridge(), consumers: [{ name: 'audit', handler }] });
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
      .toThrow(/consumers\[0\]\.name must be 1 to 40 letters, digits, '-' or '_', got 'has space'/);
  });

  test('fails for a consumer without a Handler (e.g. v0.1 code options), and for the removed consumerFunction', () => {
    expect(() => new FanOut(new Stack(), 'Orders', { consumers: [{ name: 'a' } as any] })).toThrow(/consumers\[0\]\.handler must be a Handler \(consumer 'a'\)/);
    expect(() => new FanOut(new Stack(), 'Orders', { consumers: [{ name: 'a', handler: { code, handler: 'index.handler' } } as any] })).toThrow(/consumers\[0\]\.handler must be a Handler/);
    const stack = new Stack();
    const fn = new lambda.Function(stack, 'Fn', { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_24_X });
    expect(() => new FanOut(stack, 'Orders', { consumers: [{ name: 'a', consumerFunction: fn } as any] }))
      .toThrow(/consumers\[0\]: consumerFunction was removed in v0.2: give handler: Handler.fromFunction\(fn\)/);
  });

  test('fails for the removed v0.1 source props, naming their v0.2 replacement', () => {
    expect(() => new FanOut(new Stack(), 'Orders', { fifo: true, alarmTopic: {} } as any))
      .toThrow(/fifo, alarmTopic were removed in v0.2: give source: FanOutSource.sns\(\{ topic, fifo, topicName \}\)/);
    expect(() => new FanOut(new Stack(), 'Orders', { source: 'SNS' } as any)).toThrow(/source must be FanOutSource.sns\(...\) or FanOutSource.eventBridge\(...\), got "SNS"/);
  });

  test('fails for a FIFO topic name without .fifo', () => {
    expect(() => new FanOut(new Stack(), 'Orders', { source: FanOutSource.sns({ fifo: true, topicName: 'orders' }) }))
      .toThrow(/source: FanOutSource.sns\(\{ topicName \}\) must end in .fifo for a FIFO fan-out, got 'orders'/);
  });

  test('fails for a .fifo topic name without fifo', () => {
    expect(() => new FanOut(new Stack(), 'Orders', { source: FanOutSource.sns({ topicName: 'orders.fifo' }) })).toThrow(/topicName \}\) ends in .fifo, which only a FIFO topic may/);
  });

  test('fails for a filter policy with an EventBridge source', () => {
    expect(() => new FanOut(new Stack(), 'Orders', {
      source: FanOutSource.eventBridge(),
      consumers: [{ name: 'a', handler, filterPolicy: { s: sns.SubscriptionFilter.existsFilter() } }],
    })).toThrow(/consumers\[0\]\.filterPolicy applies to FanOutSource.sns\(\) only \(consumer 'a'\); use eventPattern with EventBridge/);
  });

  test('fails for an event pattern with an SNS source', () => {
    expect(() => new FanOut(new Stack(), 'Orders', { consumers: [{ name: 'a', handler, eventPattern: { source: ['x'] } }] }))
      .toThrow(/consumers\[0\]\.eventPattern applies to FanOutSource.eventBridge\(\) only/);
  });

  test('fails for a topic name with an existing topic, and for fifo contradicting the topic', () => {
    const stack = new Stack();
    const topic = new sns.Topic(stack, 'T');
    expect(() => new FanOut(stack, 'A', { source: FanOutSource.sns({ topic, topicName: 'x' }) })).toThrow(/topicName names a new topic, so it cannot be given with topic/);
    expect(() => new FanOut(stack, 'B', { source: FanOutSource.sns({ topic, fifo: true }) })).toThrow(/FanOutSource.sns\(\{ fifo \}\) is true but the given topic is not FIFO/);
  });

  test('fails for a FIFO batch size above 10', () => {
    expect(() => new FanOut(new Stack(), 'Orders', { source: FanOutSource.sns({ fifo: true }), consumers: [{ name: 'a', handler, batchSize: 11 }] }))
      .toThrow(/consumers\[0\]\.batchSize must be an integer between 1 and 10, got 11/);
  });

  test('fails to find an unknown consumer, naming the known ones', () => {
    const fanOut = new FanOut(new Stack(), 'Orders', { consumers: [{ name: 'a', handler }] });
    expect(() => fanOut.consumer('b')).toThrow(/no consumer 'b'; consumers are: a/);
  });
});

describe('FanOut v0.2: source union, consumers, grants, metrics, alarms', () => {
  test('FanOutSource.sns() and .eventBridge() are the two kinds; the default is a new SNS topic', () => {
    expect(FanOutSource.sns().kind).toBe('SNS');
    expect(FanOutSource.eventBridge().kind).toBe('EVENTBRIDGE');
    const stack = new Stack();
    const fanOut = new FanOut(stack, 'Orders');
    expect(fanOut.topic).toBeDefined();
    expect(fanOut.bus).toBeUndefined();
    expect(fanOut.fifo).toBe(false);
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::SNS::Topic', 1);
    t.resourceCountIs('AWS::Events::EventBus', 0);
  });

  test('FanOutSource.sns({ topic }) takes FIFO from the given topic', () => {
    const stack = new Stack();
    const topic = new sns.Topic(stack, 'T', { fifo: true, topicName: 'given.fifo' });
    const fanOut = new FanOut(stack, 'Orders', { source: FanOutSource.sns({ topic }), consumers: [{ name: 'a', handler }] });
    expect(fanOut.fifo).toBe(true);
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::SQS::Queue', { FifoQueue: true }, 2);
  });

  test('FanOutSource.eventBridge() creates a bus and no topic or key', () => {
    const stack = new Stack();
    const fanOut = new FanOut(stack, 'Orders', { source: FanOutSource.eventBridge(), consumers: [{ name: 'a', handler }] });
    expect(fanOut.topic).toBeUndefined();
    expect(fanOut.topicKey).toBeUndefined();
    expect(fanOut.consumer('a').rule).toBeDefined();
    expect(fanOut.consumer('a').subscription).toBeUndefined();
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::SNS::Topic', 0);
    t.resourceCountIs('AWS::KMS::Key', 0);
    t.resourceCountIs('AWS::Events::EventBus', 1);
  });

  test('addConsumer returns the registered IFanOutConsumer, with its queue, DLQ, function and alarms', () => {
    const stack = new Stack();
    const fanOut = new FanOut(stack, 'Orders');
    const consumer = fanOut.addConsumer({ name: 'audit', handler, batchSize: 100, maxBatchingWindow: Duration.seconds(20) });
    expect(fanOut.consumer('audit')).toBe(consumer);
    expect(fanOut.consumerNames).toEqual(['audit']);
    expect(consumer.consumerName).toBe('audit');
    expect(consumer.subscription).toBeDefined();
    expect(consumer.alarms.every((a) => fanOut.alarms.includes(a))).toBe(true);
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: stack.resolve(consumer.queue.queueArn),
      FunctionName: stack.resolve(consumer.handlerFunction.functionName),
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 20,
    });
  });

  test('one consumer-tuning rule from the core, naming the user\'s prop (consumers[i]. or addConsumer(name).)', () => {
    expect(() => new FanOut(new Stack(), 'Orders', { consumers: [{ name: 'a', handler }, { name: 'b', handler, batchSize: 50 }] }))
      .toThrow(/consumers\[1\]\.batchSize above 10 \(got 50\) needs consumers\[1\]\.maxBatchingWindow/);
    const fanOut = new FanOut(new Stack(), 'Orders');
    expect(() => fanOut.addConsumer({ name: 'late', handler, batchSize: 20_000, maxBatchingWindow: Duration.seconds(1) }))
      .toThrow(/addConsumer\('late'\)\.batchSize must be an integer between 1 and 10000, got 20000/);
    expect(() => fanOut.addConsumer({ name: 'late2', handler, maxConcurrency: 1 }))
      .toThrow(/addConsumer\('late2'\)\.maxConcurrency must be an integer between 2 and 1000, got 1/);
  });

  test('a Handler.fromFunction consumer gets the event source, and its own timeout sizes the visibility timeout', () => {
    const stack = new Stack();
    const fn = new lambda.Function(stack, 'Fn', { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_24_X, timeout: Duration.seconds(90) });
    const fanOut = new FanOut(stack, 'Orders', { consumers: [{ name: 'mine', handler: Handler.fromFunction(fn) }] });
    const consumer = fanOut.consumer('mine');
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 540, RedrivePolicy: { deadLetterTargetArn: stack.resolve(consumer.deadLetterQueue.queueArn), maxReceiveCount: 5 } });
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionName: stack.resolve(fn.functionName), EventSourceArn: stack.resolve(consumer.queue.queueArn) });
    // the pattern builds no function (and no function alarms) for it
    t.resourceCountIs('AWS::Lambda::Function', 1);
    expect(consumer.alarms).toHaveLength(2);
  });

  test('a built consumer\'s own timeout sizes its queue', () => {
    const stack = new Stack();
    new FanOut(stack, 'Orders', { consumers: [{ name: 'slow', handler: Handler.fromCode(code, { handler: 'index.handler', timeout: Duration.minutes(2) }) }] });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Lambda::Function', { Timeout: 120 });
    t.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 720, RedrivePolicy: Match.anyValue() });
  });

  test('grantPublish (SNS): sns:Publish on the topic and the data-key actions on its KMS key', () => {
    const stack = new Stack();
    const fanOut = new FanOut(stack, 'Orders');
    const publisher = new iam.Role(stack, 'Publisher', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    fanOut.grantPublish(publisher);
    const statements = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    const policy = Object.values(statements).find((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([stack.resolve(publisher.roleName)]))!;
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      { Action: 'sns:Publish', Effect: 'Allow', Resource: stack.resolve(fanOut.topic!.topicArn) },
      { Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Effect: 'Allow', Resource: stack.resolve(fanOut.topicKey!.keyArn) },
    ]);
  });

  test('grantPublish (EventBridge): events:PutEvents on the bus', () => {
    const stack = new Stack();
    const fanOut = new FanOut(stack, 'Orders', { source: FanOutSource.eventBridge() });
    const publisher = new iam.Role(stack, 'Publisher', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    fanOut.grantPublish(publisher);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(publisher.roleName)],
      PolicyDocument: { Statement: [{ Action: 'events:PutEvents', Effect: 'Allow', Resource: stack.resolve(fanOut.bus!.eventBusArn) }] },
    });
  });

  test('metrics: published messages (SNS) and per consumer dead letters, oldest message age and messages waiting', () => {
    const stack = new Stack();
    const fanOut = new FanOut(stack, 'Orders', { consumers: [{ name: 'a', handler }] });
    const published = fanOut.metricPublished();
    expect(published.metricName).toBe('NumberOfMessagesPublished');
    expect(published.statistic).toBe('Sum');
    const consumer = fanOut.consumer('a');
    expect(stack.resolve(consumer.metricDeadLetters().dimensions)).toEqual({ QueueName: stack.resolve(consumer.deadLetterQueue.queueName) });
    expect(consumer.metricDeadLetters().metricName).toBe('ApproximateNumberOfMessagesVisible');
    expect(consumer.metricOldestMessageAge().metricName).toBe('ApproximateAgeOfOldestMessage');
    expect(stack.resolve(consumer.metricMessagesWaiting().dimensions)).toEqual({ QueueName: stack.resolve(consumer.queue.queueName) });
    const bridged = new FanOut(stack, 'Bridged', { source: FanOutSource.eventBridge() });
    expect(() => bridged.metricPublished()).toThrow(/metricPublished\(\) counts messages published to the SNS topic, and this FanOut's source is EventBridge/);
  });

  test('alarm names are <consumer>.Queue.* and <consumer>.Handler.*; ErrorRate and Duration are off by default and can be turned on', () => {
    const stack = new Stack();
    const fanOut = new FanOut(stack, 'Orders', {
      consumers: [{ name: 'a', handler }, { name: 'b', handler }],
      alarms: { overrides: { 'a.Handler.ErrorRate': { enabled: true }, 'b.Queue.OldestMessageAge': { threshold: 60 }, 'b.Handler.Duration': { enabled: true } } },
    });
    expect(fanOut.consumer('a').alarms).toHaveLength(3);
    expect(fanOut.consumer('b').alarms).toHaveLength(3);
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::CloudWatch::Alarm', 6);
    t.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 60 }, 1);
    t.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 900 }, 1);
  });

  test('an override naming no alarm fails synth, listing the alarm names', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    new FanOut(stack, 'Orders', { consumers: [{ name: 'a', handler }], alarms: { overrides: { 'a.DeadLetters': { threshold: 2 } } } });
    expect(() => app.synth()).toThrow(/alarms.overrides names 'a.DeadLetters', which this construct does not have; its alarms are 'a.Handler.Duration', 'a.Handler.ErrorRate', 'a.Queue.DeadLetters', 'a.Queue.OldestMessageAge'/);
  });

  test('alarms: { enabled: false } creates none', () => {
    const stack = new Stack();
    const fanOut = new FanOut(stack, 'Orders', { consumers: [{ name: 'a', handler }], alarms: { enabled: false } });
    expect(fanOut.alarms).toEqual([]);
    Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });
});
