/**
 * Creates a stack's queues, topics and subscriptions, buckets and tables in the emulators, from the
 * template's properties resolved to local values. Resource types with no local meaning (IAM,
 * alarms, log groups, policies) are skipped; types the local cloud cannot emulate are listed.
 */
import { CreateTableCommand, CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { CfnResource } from './assembly';
import type { StackResolver } from './resolve';

/** Types the local cloud creates or runs. */
export const EMULATED_TYPES: ReadonlySet<string> = new Set([
  'AWS::SQS::Queue',
  'AWS::SNS::Topic',
  'AWS::SNS::Subscription',
  'AWS::S3::Bucket',
  'AWS::DynamoDB::Table',
  'AWS::DynamoDB::GlobalTable',
  'AWS::Lambda::Function',
  'AWS::Lambda::EventSourceMapping',
  'AWS::ApiGatewayV2::Api',
  'AWS::ApiGatewayV2::Route',
  'AWS::ApiGatewayV2::Integration',
  'AWS::ApiGatewayV2::Stage',
  'AWS::Events::EventBus',
  'AWS::Events::Rule',
  'Custom::S3BucketNotifications',
  'AWS::Lambda::EventInvokeConfig',
  'AWS::Scheduler::Schedule',
  'AWS::Scheduler::ScheduleGroup',
  'AWS::StepFunctions::StateMachine',
]);

/**
 * Types with no behaviour to emulate on this machine: identities and policies (not enforced yet),
 * alarms, logs, keys (the emulators do not encrypt), permissions, metadata.
 */
export const IGNORED_TYPES: ReadonlySet<string> = new Set([
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::SQS::QueuePolicy',
  'AWS::SNS::TopicPolicy',
  'AWS::S3::BucketPolicy',
  'AWS::Lambda::Permission',
  'AWS::Lambda::LayerVersion',
  'AWS::KMS::Key',
  'AWS::KMS::Alias',
  'AWS::Logs::LogGroup',
  'AWS::CloudWatch::Alarm',
  'AWS::CloudWatch::CompositeAlarm',
  'AWS::CloudWatch::Dashboard',
  'AWS::CDK::Metadata',
]);

/** SDK clients on the emulators. */
export interface EmulatorClients {
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
}

/** A resource created in an emulator. */
export interface ProvisionedResource {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly physicalId: string;
}

const QUEUE_ATTRIBUTES = [
  'DelaySeconds', 'MaximumMessageSize', 'MessageRetentionPeriod', 'ReceiveMessageWaitTimeSeconds', 'VisibilityTimeout',
  'FifoQueue', 'ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit',
];

/** Creates the stack's resources; returns what it created, in order. */
export async function provisionStack(resolver: StackResolver, clients: EmulatorClients): Promise<ProvisionedResource[]> {
  const resources = Object.entries(resolver.stack.template.Resources ?? {})
    .filter(([, r]) => r.Condition === undefined || resolver.condition(r.Condition));
  const byType = (type: string) => resources.filter(([, r]) => r.Type === type);
  const created: ProvisionedResource[] = [];
  const record = (logicalId: string, resource: CfnResource, physicalId: string) => {
    created.push({ stack: resolver.stack.id, logicalId, type: resource.Type, physicalId });
  };

  // Dead-letter queues first: a redrive policy names its target by ARN.
  const queues = byType('AWS::SQS::Queue').sort(([, a], [, b]) => Number(!!a.Properties?.RedrivePolicy) - Number(!!b.Properties?.RedrivePolicy));
  for (const [logicalId, resource] of queues) {
    const props = resolver.resolve(resource.Properties ?? {}) as Record<string, unknown>;
    const attributes: Record<string, string> = {};
    for (const name of QUEUE_ATTRIBUTES) if (props[name] !== undefined) attributes[name] = String(props[name]);
    for (const name of ['RedrivePolicy', 'RedriveAllowPolicy']) {
      if (props[name] !== undefined) attributes[name] = typeof props[name] === 'string' ? props[name] as string : JSON.stringify(props[name]);
    }
    const physical = resolver.physical(logicalId);
    await clients.sqs.send(new CreateQueueCommand({ QueueName: physical.attributes.QueueName, Attributes: attributes }));
    record(logicalId, resource, physical.ref);
  }

  for (const [logicalId, resource] of byType('AWS::SNS::Topic')) {
    const props = resolver.resolve(resource.Properties ?? {}) as Record<string, unknown>;
    const physical = resolver.physical(logicalId);
    const attributes: Record<string, string> = {};
    if (props.FifoTopic !== undefined) attributes.FifoTopic = String(props.FifoTopic);
    if (props.ContentBasedDeduplication !== undefined) attributes.ContentBasedDeduplication = String(props.ContentBasedDeduplication);
    await clients.sns.send(new CreateTopicCommand({ Name: physical.attributes.TopicName, Attributes: attributes }));
    record(logicalId, resource, physical.ref);
    for (const inline of (props.Subscription as { Endpoint: string; Protocol: string }[] | undefined) ?? []) {
      await clients.sns.send(new SubscribeCommand({ TopicArn: physical.ref, Protocol: inline.Protocol, Endpoint: inline.Endpoint }));
    }
  }

  for (const [logicalId, resource] of byType('AWS::SNS::Subscription')) {
    const props = resolver.resolve(resource.Properties ?? {}) as Record<string, unknown>;
    const attributes: Record<string, string> = {};
    for (const name of ['FilterPolicy', 'RedrivePolicy', 'DeliveryPolicy']) {
      if (props[name] !== undefined) attributes[name] = typeof props[name] === 'string' ? props[name] as string : JSON.stringify(props[name]);
    }
    if (props.FilterPolicyScope !== undefined) attributes.FilterPolicyScope = String(props.FilterPolicyScope);
    if (props.RawMessageDelivery !== undefined) attributes.RawMessageDelivery = String(props.RawMessageDelivery);
    const out = await clients.sns.send(new SubscribeCommand({
      TopicArn: String(props.TopicArn),
      Protocol: String(props.Protocol),
      Endpoint: String(props.Endpoint),
      Attributes: attributes,
      ReturnSubscriptionArn: true,
    }));
    record(logicalId, resource, out.SubscriptionArn ?? logicalId);
  }

  for (const [logicalId, resource] of byType('AWS::S3::Bucket')) {
    const name = resolver.physical(logicalId).ref;
    await clients.s3.send(new CreateBucketCommand({ Bucket: name }));
    record(logicalId, resource, name);
  }

  for (const [logicalId, resource] of [...byType('AWS::DynamoDB::Table'), ...byType('AWS::DynamoDB::GlobalTable')]) {
    const props = resolver.resolve(resource.Properties ?? {}) as Record<string, unknown>;
    const name = resolver.physical(logicalId).ref;
    await clients.dynamodb.send(new CreateTableCommand(tableInput(name, props)));
    record(logicalId, resource, name);
  }
  return created;
}

/** CreateTable input from an AWS::DynamoDB::Table or ::GlobalTable's properties. */
export function tableInput(name: string, props: Record<string, unknown>): CreateTableCommandInput {
  const onDemand = props.BillingMode === 'PAY_PER_REQUEST' || props.BillingMode === undefined && props.ProvisionedThroughput === undefined;
  const throughput = { ReadCapacityUnits: 5, WriteCapacityUnits: 5 };
  type Index = { IndexName: string; KeySchema: CreateTableCommandInput['KeySchema']; Projection: { ProjectionType?: string; NonKeyAttributes?: string[] } };
  const indexes = (list: unknown) => (list as Index[] | undefined)?.map((index) => ({
    IndexName: index.IndexName,
    KeySchema: index.KeySchema,
    Projection: index.Projection as { ProjectionType: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; NonKeyAttributes?: string[] },
  }));
  const gsis = indexes(props.GlobalSecondaryIndexes)?.map((index) => (onDemand ? index : { ...index, ProvisionedThroughput: throughput }));
  const lsis = indexes(props.LocalSecondaryIndexes);
  return {
    TableName: name,
    AttributeDefinitions: props.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
    KeySchema: props.KeySchema as CreateTableCommandInput['KeySchema'],
    ...(onDemand ? { BillingMode: 'PAY_PER_REQUEST' } : { ProvisionedThroughput: throughput }),
    ...(gsis?.length ? { GlobalSecondaryIndexes: gsis } : {}),
    ...(lsis?.length ? { LocalSecondaryIndexes: lsis } : {}),
  };
}
