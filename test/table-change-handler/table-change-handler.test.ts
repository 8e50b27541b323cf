import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations as AssertAnnotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Handler, TableChangeFilter, TableChangeHandler } from '../../src';
import { nagErrors } from '../helpers/nag';

const code = lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] })');
const fn = () => Handler.fromCode(code, { handler: 'index.handler' });

function usersTable(stack: Stack, props: Partial<dynamodb.TableProps> = {}): dynamodb.Table {
  return new dynamodb.Table(stack, 'UsersTable', {
    partitionKey: { name: 'userId', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: 'expiresAt',
    ...props,
  });
}

/** The FilterCriteria patterns of the mapping feeding `fn`, parsed. */
function patternsOf(template: Template, stack: Stack, target: lambda.IFunction): unknown[] {
  const mappings = template.findResources('AWS::Lambda::EventSourceMapping', { Properties: { FunctionName: stack.resolve(target.functionName) } });
  const [mapping] = Object.values(mappings) as { Properties: { FilterCriteria: { Filters: { Pattern: string }[] } } }[];
  return mapping.Properties.FilterCriteria.Filters.map((f) => JSON.parse(f.Pattern));
}

describe('TableChangeHandler', () => {
  test('enables a NEW_AND_OLD_IMAGES stream on an owned table that has none', () => {
    // GIVEN
    const stack = new Stack();
    const table = usersTable(stack);
    // WHEN
    const changes = new TableChangeHandler(stack, 'Welcome', { table, onInsert: fn() });
    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::DynamoDB::Table', { StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: stack.resolve((table.node.defaultChild as dynamodb.CfnTable).attrStreamArn),
      FunctionName: stack.resolve(changes.onInsertFunction!.functionName),
    });
  });

  test('keeps a table\'s own NEW_AND_OLD_IMAGES stream and reads it', () => {
    const stack = new Stack();
    const table = usersTable(stack, { stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES });
    new TableChangeHandler(stack, 'Welcome', { table, onInsert: fn() });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', { EventSourceArn: stack.resolve(table.tableStreamArn!) });
  });

  test('enables the stream on a TableV2 too', () => {
    const stack = new Stack();
    const table = new dynamodb.TableV2(stack, 'Users', { partitionKey: { name: 'userId', type: dynamodb.AttributeType.STRING } });
    new TableChangeHandler(stack, 'Welcome', { table, onInsert: fn() });
    Template.fromStack(stack).hasResourceProperties('AWS::DynamoDB::GlobalTable', { StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } });
  });

  test('one event source mapping per handler, each with the FilterCriteria of its kind of change', () => {
    // GIVEN
    const stack = new Stack();
    const table = usersTable(stack);
    // WHEN
    const changes = new TableChangeHandler(stack, 'Users', { table, onInsert: fn(), onModify: fn(), onRemove: fn(), onExpire: fn() });
    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 4);
    template.resourceCountIs('AWS::Lambda::Function', 4);
    expect(changes.eventSourceMappings).toHaveLength(4);
    expect(patternsOf(template, stack, changes.onInsertFunction!)).toEqual([{ eventName: ['INSERT'] }]);
    expect(patternsOf(template, stack, changes.onModifyFunction!)).toEqual([{ eventName: ['MODIFY'] }]);
    expect(patternsOf(template, stack, changes.onRemoveFunction!)).toEqual([
      { eventName: ['REMOVE'], userIdentity: { type: [{ exists: false }] } },
      { eventName: ['REMOVE'], userIdentity: { principalId: [{ 'anything-but': ['dynamodb.amazonaws.com'] }] } },
    ]);
    expect(patternsOf(template, stack, changes.onExpireFunction!)).toEqual([
      { eventName: ['REMOVE'], userIdentity: { type: ['Service'], principalId: ['dynamodb.amazonaws.com'] } },
    ]);
  });

  test('onChange: one mapping for every change without FilterCriteria; with filters, the new image of inserts and modifications, the old image of deletes', () => {
    const stack = new Stack();
    const all = new TableChangeHandler(stack, 'All', { table: usersTable(stack), onChange: fn() });
    const filtered = new TableChangeHandler(stack, 'Orders', {
      table: new dynamodb.Table(stack, 'OrdersTable', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } }),
      onChange: fn(),
      filters: [TableChangeFilter.attributePrefix('pk', 'ORDER#')],
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionName: stack.resolve(all.onChangeFunction!.functionName), FilterCriteria: Match.absent() });
    expect(patternsOf(template, stack, filtered.onChangeFunction!)).toEqual([
      { eventName: ['INSERT', 'MODIFY'], dynamodb: { NewImage: { pk: { S: [{ prefix: 'ORDER#' }] } } } },
      { eventName: ['REMOVE'], dynamodb: { OldImage: { pk: { S: [{ prefix: 'ORDER#' }] } } } },
    ]);
  });

  test('attribute filters apply to the new image for inserts and modifications and to the old image for deletes', () => {
    const stack = new Stack();
    const changes = new TableChangeHandler(stack, 'Users', {
      table: usersTable(stack),
      onInsert: fn(),
      onExpire: fn(),
      filters: [
        TableChangeFilter.attributeEquals('type', 'USER'),
        TableChangeFilter.attributePrefix('sk', 'PROFILE#'),
        TableChangeFilter.attributeIn('plan', ['pro', 'team']),
        TableChangeFilter.attributeExists('email'),
        TableChangeFilter.attributeNotExists('deletedAt', dynamodb.AttributeType.NUMBER),
        TableChangeFilter.attributeIsBoolean('verified', true),
      ],
    });
    const template = Template.fromStack(stack);
    const image = {
      type: { S: ['USER'] },
      sk: { S: [{ prefix: 'PROFILE#' }] },
      plan: { S: ['pro', 'team'] },
      email: { S: [{ exists: true }] },
      deletedAt: { N: [{ exists: false }] },
      verified: { BOOL: [true] },
    };
    expect(patternsOf(template, stack, changes.onInsertFunction!)).toEqual([{ eventName: ['INSERT'], dynamodb: { NewImage: image } }]);
    expect(patternsOf(template, stack, changes.onExpireFunction!)).toEqual([
      { eventName: ['REMOVE'], userIdentity: { type: ['Service'], principalId: ['dynamodb.amazonaws.com'] }, dynamodb: { OldImage: image } },
    ]);
  });

  test('bisects, reports batch item failures, retries 3 times, gives up after 6 hours, from TRIM_HORIZON, into the failure queue', () => {
    const stack = new Stack();
    const changes = new TableChangeHandler(stack, 'Welcome', { table: usersTable(stack), onInsert: fn() });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 100,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 6 * 3600,
      StartingPosition: 'TRIM_HORIZON',
      DestinationConfig: { OnFailure: { Destination: stack.resolve(changes.failureQueue.queueArn) } },
    });
  });

  test('consumer tuning is passed to every mapping', () => {
    const stack = new Stack();
    new TableChangeHandler(stack, 'Users', {
      table: usersTable(stack),
      onInsert: fn(),
      onModify: fn(),
      batchSize: 500,
      maxBatchingWindow: Duration.seconds(5),
      retryAttempts: 0,
      maxRecordAge: Duration.minutes(30),
      parallelizationFactor: 4,
      startingPosition: lambda.StartingPosition.LATEST,
    });
    const template = Template.fromStack(stack);
    template.resourcePropertiesCountIs('AWS::Lambda::EventSourceMapping', {
      BatchSize: 500, MaximumBatchingWindowInSeconds: 5, MaximumRetryAttempts: 0, MaximumRecordAgeInSeconds: 1800, ParallelizationFactor: 4, StartingPosition: 'LATEST',
    }, 2);
  });

  test('one failure queue for every handler: SSE-SQS, TLS only, 14 days; the roles may send to it and read the stream', () => {
    const stack = new Stack();
    const table = usersTable(stack);
    const changes = new TableChangeHandler(stack, 'Users', { table, onInsert: fn(), onRemove: fn() });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    const streamArn = stack.resolve((table.node.defaultChild as dynamodb.CfnTable).attrStreamArn);
    for (const f of [changes.onInsertFunction!, changes.onRemoveFunction!]) {
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [stack.resolve(f.role!.roleName)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Action: 'sqs:SendMessage', Resource: stack.resolve(changes.failureQueue.queueArn) }),
            Match.objectLike({ Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'], Resource: streamArn }),
          ]),
        },
      });
    }
  });

  test('the failure queue takes a customer key, which the roles may use', () => {
    const stack = new Stack();
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const changes = new TableChangeHandler(stack, 'Users', { table: usersTable(stack), onInsert: fn(), encryptionKey: key });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: stack.resolve(key.keyArn) });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(changes.onInsertFunction!.role!.roleName)],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: stack.resolve(key.keyArn) })]) },
    });
  });

  test('functions are stream-invoked: no function-level failure destination', () => {
    const stack = new Stack();
    new TableChangeHandler(stack, 'Users', { table: usersTable(stack), onInsert: fn() });
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
  });

  test('alarms by default: IteratorAge per handler and FailedBatches; ErrorRate is off', () => {
    const stack = new Stack();
    const topic = new sns.Topic(stack, 'Alarms');
    const changes = new TableChangeHandler(stack, 'Users', { table: usersTable(stack), onInsert: fn(), onModify: fn(), alarms: { topic } });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    expect(changes.alarms).toHaveLength(3);
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge',
      Statistic: 'Maximum',
      Threshold: 15 * 60 * 1000,
      EvaluationPeriods: 5,
      Period: 60,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [stack.resolve(topic.topicArn)],
    }, 2);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1, Dimensions: [{ Name: 'QueueName', Value: stack.resolve(changes.failureQueue.queueName) }],
    });
  });

  test('alarm overrides by name: a handler\'s ErrorRate on, its IteratorAge threshold changed, FailedBatches off', () => {
    const stack = new Stack();
    new TableChangeHandler(stack, 'Users', {
      table: usersTable(stack),
      onInsert: fn(),
      alarms: {
        overrides: {
          'OnInsert.ErrorRate': { enabled: true },
          'OnInsert.IteratorAge': { threshold: 60_000 },
          'FailureQueue.FailedBatches': { enabled: false },
        },
      },
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'IteratorAge', Threshold: 60_000 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Metrics: Match.anyValue(), Threshold: 5 });
  });

  test('fails synth on an override naming no alarm, listing the names', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    new TableChangeHandler(stack, 'Users', { table: usersTable(stack), onInsert: fn(), alarms: { overrides: { 'OnModify.IteratorAge': { threshold: 1 } } } });
    expect(() => app.synth()).toThrow(/'OnModify.IteratorAge', which this construct does not have; its alarms are .*'FailureQueue.FailedBatches'.*'OnInsert.IteratorAge'/);
  });

  test('alarms: { enabled: false } creates none', () => {
    const stack = new Stack();
    const changes = new TableChangeHandler(stack, 'Users', { table: usersTable(stack), onInsert: fn(), alarms: { enabled: false } });
    Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(changes.alarms).toEqual([]);
  });

  test('metrics: IteratorAge of one handler, the maximum over several; failed batches of the queue', () => {
    const stack = new Stack();
    const one = new TableChangeHandler(stack, 'One', { table: usersTable(stack), onInsert: fn() });
    const two = new TableChangeHandler(stack, 'Two', { table: new dynamodb.Table(stack, 'Orders', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } }), onInsert: fn(), onRemove: fn() });
    expect((one.metricIteratorAge() as any).metricName).toBe('IteratorAge');
    expect((two.metricIteratorAge() as any).expression).toBe('MAX([m0, m1])');
    expect(one.metricFailedBatches().metricName).toBe('ApproximateNumberOfMessagesVisible');
  });

  test('Handler.fromFunction: the mapping feeds the existing function', () => {
    const stack = new Stack();
    const existing = new lambda.Function(stack, 'Existing', { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_24_X });
    const changes = new TableChangeHandler(stack, 'Users', { table: usersTable(stack), onModify: Handler.fromFunction(existing) });
    expect(changes.onModifyFunction).toBe(existing);
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionName: stack.resolve(existing.functionName) });
  });

  test('an imported table with its stream ARN is read from that stream', () => {
    const stack = new Stack();
    const table = dynamodb.Table.fromTableAttributes(stack, 'Imported', {
      tableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/users',
      tableStreamArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/users/stream/2026-01-01T00:00:00.000',
    });
    new TableChangeHandler(stack, 'Users', { table, onInsert: fn() });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', { EventSourceArn: table.tableStreamArn });
  });

  test('warns when more than two mappings read one stream', () => {
    const stack = new Stack();
    new TableChangeHandler(stack, 'Users', { table: usersTable(stack), onInsert: fn(), onModify: fn(), onRemove: fn() });
    AssertAnnotations.fromStack(stack).hasWarning('/Default/Users', Match.stringLikeRegexp('3 event source mappings of this app read the stream of Default/UsersTable'));
  });

  test('cdk-nag (AwsSolutions + Serverless): no errors, with every handler and a customer key', () => {
    const app = new App();
    const stack = new Stack(app, 'Nag', { env: { account: '123456789012', region: 'eu-west-1' } });
    new TableChangeHandler(stack, 'Users', {
      table: usersTable(stack),
      onInsert: fn(),
      onModify: fn(),
      onRemove: fn(),
      onExpire: fn(),
      encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }),
      alarms: { topic: new sns.Topic(stack, 'Alarms', { enforceSSL: true, masterKey: new kms.Key(stack, 'TopicKey', { enableKeyRotation: true }) }) },
    });
    expect(nagErrors(app)).toEqual([]);
  });

  describe('fails', () => {
    test('fails without any handler, naming the props', () => {
      const stack = new Stack();
      expect(() => new TableChangeHandler(stack, 'Users', { table: usersTable(stack) }))
        .toThrow(/Default\/Users: give at least one of onInsert, onModify, onRemove, onExpire or onChange/);
    });

    test('fails on an imported table without its stream ARN, telling how to import it', () => {
      const stack = new Stack();
      const table = dynamodb.Table.fromTableName(stack, 'Imported', 'users');
      expect(() => new TableChangeHandler(stack, 'Users', { table, onInsert: fn() }))
        .toThrow(/table: Default\/Imported is imported without its stream; import it with Table.fromTableAttributes\(scope, id, \{ tableArn, tableStreamArn \}\)/);
    });

    test('fails on an owned table whose stream lacks the old or new image', () => {
      const stack = new Stack();
      const table = usersTable(stack, { stream: dynamodb.StreamViewType.KEYS_ONLY });
      expect(() => new TableChangeHandler(stack, 'Users', { table, onInsert: fn() }))
        .toThrow(/table: the stream of Default\/UsersTable has the view type KEYS_ONLY; .* needs NEW_AND_OLD_IMAGES/);
    });

    test.each([
      ['batchSize', { batchSize: 0 }, /batchSize must be an integer between 1 and 10000, got 0/],
      ['batchSize', { batchSize: 10_001 }, /batchSize must be an integer between 1 and 10000, got 10001/],
      ['retryAttempts', { retryAttempts: -1 }, /retryAttempts must be an integer between 0 and 10000, got -1/],
      ['maxRecordAge', { maxRecordAge: Duration.seconds(30) }, /maxRecordAge must be between 1 minute and 1 day, got 30 seconds/],
      ['maxRecordAge', { maxRecordAge: Duration.days(2) }, /maxRecordAge must be between 1 minute and 1 day, got 2 days/],
      ['maxBatchingWindow', { maxBatchingWindow: Duration.minutes(6) }, /maxBatchingWindow must be between 0 seconds and 5 minutes, got 6 minutes/],
      ['parallelizationFactor', { parallelizationFactor: 11 }, /parallelizationFactor must be an integer between 1 and 10, got 11/],
      ['startingPosition', { startingPosition: lambda.StartingPosition.AT_TIMESTAMP }, /startingPosition AT_TIMESTAMP is not supported by DynamoDB Streams/],
    ])('fails on %s out of range', (_name, props, message) => {
      const stack = new Stack();
      expect(() => new TableChangeHandler(stack, 'Users', { table: usersTable(stack), onInsert: fn(), ...props })).toThrow(message);
    });

    test('fails on two filters on one attribute, and on attributeIn without values', () => {
      const stack = new Stack();
      const table = usersTable(stack);
      expect(() => new TableChangeHandler(stack, 'A', { table, onInsert: fn(), filters: [TableChangeFilter.attributeEquals('type', 'A'), TableChangeFilter.attributeEquals('type', 'B')] }))
        .toThrow(/filters\[1\]: a second filter on attribute 'type' \(type = 'B'\); one filter per attribute \(use TableChangeFilter.attributeIn/);
      expect(() => new TableChangeHandler(stack, 'B', { table, onInsert: fn(), filters: [TableChangeFilter.attributeIn('plan', [])] }))
        .toThrow(/filters\[0\]: plan: attributeIn needs at least one value/);
    });

    test('fails on a handler\'s own invalid option, naming the prop', () => {
      const stack = new Stack();
      expect(() => new TableChangeHandler(stack, 'Users', { table: usersTable(stack), onRemove: Handler.fromCode(code, { handler: 'index.handler', memorySize: 64 }) }))
        .toThrow(/onRemove.memorySize must be an integer between 128 and 10240, got 64/);
    });
  });
});
