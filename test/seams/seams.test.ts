/**
 * The seams layer itself: the intrinsic resolver, and that the simulation reports a broken seam as
 * broken (a test layer that allows everything proves nothing). Each case builds the smallest stack
 * that has the seam, once wired right and once wrong.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { dynamoActionsIn, enumerateEdges } from './edges';
import { SeamModel } from './model';
import { evaluateEdges, EdgeResult, failuresOf, notModelledOf } from './simulate';

const env = { account: '123456789012', region: 'eu-west-1' };

function fn(stack: Stack, id: string): lambda.Function {
  return new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => {}') });
}

async function evaluate(...stacks: Stack[]): Promise<EdgeResult[]> {
  const model = SeamModel.fromStacks(...stacks);
  return evaluateEdges(model, enumerateEdges(model));
}

function outcomeOf(results: EdgeResult[], kind: string, action: string): string[] {
  return results.filter((r) => r.edge.kind === kind && r.edge.action === action).map((r) => r.outcome);
}

describe('the resolver', () => {
  test('resolves Ref, GetAtt, Join, Sub, Select/Split and ImportValue to the same ARN everywhere', () => {
    // GIVEN
    const app = new App();
    const producer = new Stack(app, 'Producer', { env });
    const consumer = new Stack(app, 'Consumer', { env });
    const topic = new sns.Topic(producer, 'Topic');
    const queue = new sqs.Queue(producer, 'Queue');
    const role = new iam.Role(consumer, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    topic.grantPublish(role);
    // WHEN
    const model = SeamModel.fromStacks(producer, consumer);
    // THEN
    const topicResource = model.resources('AWS::SNS::Topic')[0];
    const topicArn = model.attribute(topicResource.stack, topicResource.logicalId, 'Ref');
    expect(topicArn).toBe(`arn:aws:sns:eu-west-1:123456789012:Producer-${topicResource.logicalId}`);
    const policy = model.resources('AWS::IAM::Policy')[0];
    expect(model.prop(policy, 'PolicyDocument').Statement[0].Resource).toBe(topicArn);
    expect(model.find(topicArn)).toBe(topicResource);
    expect(model.find(model.attribute('Producer', model.resources('AWS::SQS::Queue')[0].logicalId, 'Ref'))?.type).toBe('AWS::SQS::Queue');
    expect(model.resolve('Producer', { 'Fn::Sub': ['${A}-${AWS::Region}-${!Literal}', { A: 'x' }] })).toBe('x-eu-west-1-${Literal}');
    expect(model.resolve('Producer', { 'Fn::Select': [1, { 'Fn::Split': [':', 'a:b:c'] }] })).toBe('b');
    expect(queue).toBeDefined();
  });

  test('maps ARNs below a resource (S3 objects, Lambda qualifiers, log streams) to the resource', () => {
    // GIVEN
    const stack = new Stack(new App(), 'S', { env });
    new s3.Bucket(stack, 'Bucket');
    fn(stack, 'Fn');
    // WHEN
    const model = SeamModel.fromStacks(stack);
    const bucket = model.resources('AWS::S3::Bucket')[0];
    const func = model.resources('AWS::Lambda::Function')[0];
    // THEN
    expect(model.find(`${model.attribute('S', bucket.logicalId, 'Arn')}/some/key.txt`)).toBe(bucket);
    expect(model.find(`${model.attribute('S', func.logicalId, 'Arn')}:live`)).toBe(func);
  });

  test('reads which DynamoDB commands a minified bundle sends', () => {
    const code = 'var R=require("@aws-sdk/lib-dynamodb");async function f(c){await c.send(new R.GetCommand({}));await c.send(new R.UpdateCommand({}))}';
    expect(dynamoActionsIn(code)).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
  });
});

describe('the simulation', () => {
  test('a queue consumer without the grant is denied, with it allowed', async () => {
    // GIVEN
    const stack = new Stack(new App(), 'S', { env });
    const queue = new sqs.Queue(stack, 'Queue');
    const consumer = fn(stack, 'Consumer');
    consumer.addEventSource(new lambdaEventSources.SqsEventSource(queue));
    // a second consumer whose grant is removed: only the mapping remains
    const bare = fn(stack, 'Bare');
    new lambda.EventSourceMapping(stack, 'BareMapping', { target: bare, eventSourceArn: queue.queueArn });
    // WHEN
    const results = await evaluate(stack);
    // THEN
    const receive = results.filter((r) => r.edge.kind === 'function ← queue' && r.edge.action === 'sqs:ReceiveMessage');
    expect(receive.map((r) => [r.edge.via.split(' ')[1], r.outcome])).toEqual([
      [stack.getLogicalId(consumer.node.defaultChild as lambda.CfnFunction), 'Allowed'],
      [stack.getLogicalId(bare.node.defaultChild as lambda.CfnFunction), 'ImplicitlyDenied'],
    ]);
  });

  test('a service principal needs the resource policy: S3 → SQS is denied without the queue policy', async () => {
    // GIVEN: the notification configured by hand, without the queue policy s3n.SqsDestination adds
    const stack = new Stack(new App(), 'S', { env });
    const bucket = new s3.CfnBucket(stack, 'Bucket');
    const queue = new sqs.CfnQueue(stack, 'Queue');
    bucket.notificationConfiguration = { queueConfigurations: [{ event: 's3:ObjectCreated:*', queue: queue.attrArn }] };
    // WHEN
    const results = await evaluate(stack);
    // THEN
    expect(outcomeOf(results, 's3 → queue', 'sqs:SendMessage')).toEqual(['ImplicitlyDenied']);
  });

  test('S3 → a queue with a customer key: the key policy must allow s3.amazonaws.com (s3n.SqsDestination adds it)', async () => {
    // GIVEN
    const stack = new Stack(new App(), 'S', { env });
    const key = new kms.Key(stack, 'Key');
    const queue = new sqs.Queue(stack, 'Queue', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key });
    new s3.Bucket(stack, 'Bucket').addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(queue));
    // WHEN
    const results = await evaluate(stack);
    // THEN
    expect(outcomeOf(results, 's3 → queue', 'sqs:SendMessage')).toEqual(['Allowed']);
    expect(outcomeOf(results, 's3 → queue key', 'kms:GenerateDataKey')).toEqual(['Allowed']);
    expect(failuresOf(results)).toEqual([]);
  });

  test('S3 → a queue encrypted with the AWS managed key is denied: a service principal cannot use it', async () => {
    // GIVEN
    const stack = new Stack(new App(), 'S', { env });
    const queue = new sqs.CfnQueue(stack, 'Queue', { kmsMasterKeyId: 'alias/aws/sqs' });
    const bucket = new s3.CfnBucket(stack, 'Bucket');
    bucket.notificationConfiguration = { queueConfigurations: [{ event: 's3:ObjectCreated:*', queue: queue.attrArn }] };
    new sqs.CfnQueuePolicy(stack, 'Policy', {
      queues: [queue.ref],
      policyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: queue.attrArn }] },
    });
    // WHEN
    const results = await evaluate(stack);
    // THEN
    expect(outcomeOf(results, 's3 → queue key', 'kms:GenerateDataKey')).toEqual(['ImplicitlyDenied']);
  });

  test('KMS needs the key policy: an identity grant alone is denied when the key policy does not delegate to the account', async () => {
    // GIVEN: a key whose policy names only a specific admin role, not the account root
    const stack = new Stack(new App(), 'S', { env });
    const admin = new iam.Role(stack, 'Admin', { assumedBy: new iam.AccountRootPrincipal() });
    const key = new kms.Key(stack, 'Key', { policy: new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ principals: [admin], actions: ['kms:*'], resources: ['*'] })] }) });
    const queue = new sqs.Queue(stack, 'Queue', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key });
    const consumer = fn(stack, 'Consumer');
    consumer.addToRolePolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [key.keyArn] }));
    consumer.addEventSource(new lambdaEventSources.SqsEventSource(queue));
    // WHEN
    const results = await evaluate(stack);
    // THEN
    expect(outcomeOf(results, 'function ← queue', 'sqs:ReceiveMessage')).toEqual(['Allowed']);
    expect(outcomeOf(results, 'function ← queue key', 'kms:Decrypt')).toEqual(['ImplicitlyDenied']);
  });

  test('same account: a resource policy naming the role is enough without an identity grant', async () => {
    // GIVEN
    const stack = new Stack(new App(), 'S', { env });
    const topic = new sns.Topic(stack, 'Topic');
    const publisher = fn(stack, 'Publisher');
    publisher.addEnvironment('TOPIC_ARN', topic.topicArn);
    topic.addToResourcePolicy(new iam.PolicyStatement({ principals: [publisher.role!], actions: ['sns:Publish'], resources: [topic.topicArn] }));
    // WHEN
    const results = await evaluate(stack);
    // THEN
    expect(outcomeOf(results, 'function → topic', 'sns:Publish')).toEqual(['Allowed']);
  });

  test('a confused deputy is reported: a queue policy for sns.amazonaws.com without aws:SourceArn lets another account\'s topic in', async () => {
    // GIVEN
    const stack = new Stack(new App(), 'S', { env });
    const topic = new sns.Topic(stack, 'Topic');
    const queue = new sqs.Queue(stack, 'Queue');
    new sns.CfnSubscription(stack, 'Subscription', { topicArn: topic.topicArn, protocol: 'sqs', endpoint: queue.queueArn });
    queue.addToResourcePolicy(new iam.PolicyStatement({ principals: [new iam.ServicePrincipal('sns.amazonaws.com')], actions: ['sqs:SendMessage'], resources: [queue.queueArn] }));
    // WHEN
    const results = await evaluate(stack);
    // THEN
    expect(outcomeOf(results, 'sns → queue', 'sqs:SendMessage')).toEqual(['Allowed']);
    expect(failuresOf(results)).toEqual([expect.stringMatching(/stranger sns\.amazonaws\.com for another account → sqs:SendMessage .*: Allowed/)]);
  });

  test('an edge that cannot be modelled is listed by name with its reason', async () => {
    // GIVEN: a function that uses a key named in its environment (for what, the template does not say)
    const stack = new Stack(new App(), 'S', { env });
    const key = new kms.Key(stack, 'Key');
    const f = fn(stack, 'Fn');
    f.addEnvironment('KEY_ARN', key.keyArn);
    // WHEN
    const results = await evaluate(stack);
    // THEN
    expect(notModelledOf(results)).toEqual(expect.arrayContaining([
      expect.stringMatching(/→ kms:\* → S\/Key.*: not modelled: which KMS operations the code performs is not known/),
    ]));
  });
});
