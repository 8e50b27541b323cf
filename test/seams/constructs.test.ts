/**
 * The seams of each construct in its default configuration, and in the configurations whose
 * pairings the docs show (a pipeline on customer-key buckets, notices on EventBridge, a FanOut on
 * EventBridge, a worker behind an RDS Proxy, alarms on a topic with a customer key).
 */
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { uncoveredResources } from './edges';
import { SeamModel } from './model';
import { EdgeResult, evaluateModel, failuresOf, formatEdgeTable } from './simulate';
import {
  ApiAuthorization, AsyncHttpApi, DeadLetteredQueue, FanOut, FanOutSource, FileProcessingPipeline, FunctionInvocation, Handler, JobSchedule,
  Notifications, ProxiedDatabase, SagaOrchestrator, ScheduledJob, ServerlessFunction, ServerlessRestApi, StaticSite, TableChangeHandler,
} from '../../src';

const env = { account: '123456789012', region: 'eu-west-1' };
const code = lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] })');
const handler = { code, handler: 'index.handler' };
const SITE = path.join(__dirname, '..', '..', 'examples', 'static-site', 'site');

/** Alarms of every configuration go to a topic encrypted with a customer key, as platform teams do. */
function alarmTopic(scope: Construct): sns.Topic {
  return new sns.Topic(scope, 'AlarmTopic', { masterKey: new kms.Key(scope, 'AlarmKey', { enableKeyRotation: true }), enforceSSL: true });
}

const CONFIGURATIONS: Record<string, (stack: Stack) => void> = {
  'ServerlessFunction (asynchronous)': (stack) => {
    new ServerlessFunction(stack, 'Fn', { ...handler, alarms: { topic: alarmTopic(stack) } });
  },
  'DeadLetteredQueue with a customer key, consumed by a ServerlessFunction': (stack) => {
    const queue = new DeadLetteredQueue(stack, 'Queue', { encryptionKey: new kms.Key(stack, 'QueueKey', { enableKeyRotation: true }), alarms: { topic: alarmTopic(stack) } });
    queue.addConsumer(new ServerlessFunction(stack, 'Consumer', { ...handler, invocation: FunctionInvocation.QUEUE }));
  },
  'AsyncHttpApi': (stack) => {
    new AsyncHttpApi(stack, 'Jobs', { worker: Handler.fromCode(code, { handler: 'index.handler' }), alarms: { topic: alarmTopic(stack) } });
  },
  'AsyncHttpApi with notices on a topic of its own (customer key)': (stack) => {
    new AsyncHttpApi(stack, 'Jobs', { worker: Handler.fromCode(code, { handler: 'index.handler' }), notifications: Notifications.sns() });
  },
  'AsyncHttpApi with notices on a given topic with a customer key': (stack) => {
    new AsyncHttpApi(stack, 'Jobs', {
      worker: Handler.fromCode(code, { handler: 'index.handler' }),
      notifications: Notifications.sns(new sns.Topic(stack, 'Done', { masterKey: new kms.Key(stack, 'DoneKey', { enableKeyRotation: true }) })),
    });
  },
  'AsyncHttpApi with notices on a bus': (stack) => {
    new AsyncHttpApi(stack, 'Jobs', { worker: Handler.fromCode(code, { handler: 'index.handler' }), notifications: Notifications.eventBridge(new events.EventBus(stack, 'Bus')) });
  },
  'FanOut (SNS)': (stack) => {
    new FanOut(stack, 'Orders', { consumers: [{ name: 'inventory', handler: Handler.fromCode(code, { handler: 'index.handler' }) }], alarms: { topic: alarmTopic(stack) } });
  },
  'FanOut (EventBridge)': (stack) => {
    new FanOut(stack, 'Orders', { source: FanOutSource.eventBridge(), consumers: [{ name: 'inventory', handler: Handler.fromCode(code, { handler: 'index.handler' }), eventPattern: { source: ['shop'] } }] });
  },
  'FanOut (SNS FIFO, an existing function as consumer)': (stack) => {
    const fn = new ServerlessFunction(stack, 'Ledger', { code, handler: 'index.handler', invocation: FunctionInvocation.QUEUE });
    new FanOut(stack, 'Orders', { source: FanOutSource.sns({ fifo: true }), consumers: [{ name: 'ledger', handler: Handler.fromFunction(fn) }] });
  },
  'FileProcessingPipeline with notices on the default bus': (stack) => {
    new FileProcessingPipeline(stack, 'Files', { processor: Handler.fromCode(code, { handler: 'index.handler' }), notifications: Notifications.eventBridge() });
  },
  'FileProcessingPipeline': (stack) => {
    new FileProcessingPipeline(stack, 'Files', { processor: Handler.fromCode(code, { handler: 'index.handler' }), inputPrefix: 'in/', alarms: { topic: alarmTopic(stack) } });
  },
  'FileProcessingPipeline with notices on EventBridge': (stack) => {
    new FileProcessingPipeline(stack, 'Files', { processor: Handler.fromCode(code, { handler: 'index.handler' }), notifications: Notifications.eventBridge(new events.EventBus(stack, 'Bus')) });
  },
  'FileProcessingPipeline on SSE-KMS input and output buckets': (stack) => {
    const bucket = (id: string) => new s3.Bucket(stack, id, {
      encryption: s3.BucketEncryption.KMS, encryptionKey: new kms.Key(stack, `${id}Key`, { enableKeyRotation: true }), enforceSSL: true,
    });
    new FileProcessingPipeline(stack, 'Files', { processor: Handler.fromCode(code, { handler: 'index.handler' }), inputBucket: bucket('In'), outputBucket: bucket('Out'), inputPrefix: 'uploads/', outputPrefix: 'results/' });
  },
  'ScheduledJob': (stack) => {
    new ScheduledJob(stack, 'Nightly', {
      schedule: JobSchedule.cron({ minute: '0', hour: '2' }),
      handler: Handler.fromCode(code, { handler: 'index.handler', timeout: Duration.minutes(1) }),
      alarms: { topic: alarmTopic(stack) },
    });
  },
  'ScheduledJob (preventOverlap, existing function)': (stack) => {
    const fn = new lambda.Function(stack, 'Report', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code, timeout: Duration.minutes(1) });
    new ScheduledJob(stack, 'Nightly', { schedule: JobSchedule.rate(Duration.hours(1)), handler: Handler.fromFunction(fn), preventOverlap: true, alarms: { topic: alarmTopic(stack) } });
  },
  'SagaOrchestrator': (stack) => {
    const step = Handler.fromCode(code, { handler: 'index.handler' });
    new SagaOrchestrator(stack, 'Trip', {
      steps: [{ name: 'Reserve', action: step, compensation: step }, { name: 'Charge', action: step }],
      alarms: { topic: alarmTopic(stack) },
    });
  },
  'StaticSite': (stack) => {
    new StaticSite(stack, 'Site', { sourcePath: SITE });
  },
  'ServerlessRestApi (built-in CRUD and a user handler, customer-key table)': (stack) => {
    new ServerlessRestApi(stack, 'Catalog', {
      resources: [{ name: 'items' }, { name: 'reports', handler: Handler.fromCode(code, { handler: 'index.handler' }) }],
      authorization: ApiAuthorization.jwt({ issuer: 'https://issuer.example.com', audience: ['app'] }),
      encryptionKey: new kms.Key(stack, 'TableKey', { enableKeyRotation: true }),
      alarms: { topic: alarmTopic(stack) },
    });
  },
  'TableChangeHandler on a customer-key table, failure queue with a customer key': (stack) => {
    const table = new dynamodb.Table(stack, 'Users', {
      partitionKey: { name: 'userId', type: dynamodb.AttributeType.STRING },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: new kms.Key(stack, 'TableKey', { enableKeyRotation: true }),
    });
    const fn = () => Handler.fromCode(code, { handler: 'index.handler' });
    new TableChangeHandler(stack, 'Changes', {
      table, onInsert: fn(), onExpire: fn(), encryptionKey: new kms.Key(stack, 'FailureKey', { enableKeyRotation: true }), alarms: { topic: alarmTopic(stack) },
    });
  },
  'ProxiedDatabase with an AsyncHttpApi worker': (stack) => {
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const vpcSubnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    const database = new ProxiedDatabase(stack, 'Db', { vpc, vpcSubnets, alarms: { topic: alarmTopic(stack) } });
    new AsyncHttpApi(stack, 'Reports', { worker: Handler.fromCode(code, { handler: 'index.handler' }), database, databaseSubnets: vpcSubnets, databaseUser: 'reports' });
  },
};

const results = new Map<string, EdgeResult[]>();
let uncovered: string[] = [];

beforeAll(async () => {
  const app = new App();
  const stacks = Object.entries(CONFIGURATIONS).map(([name, build], i) => {
    const stack = new Stack(app, `Seams${i}`, { env, description: name });
    build(stack);
    return [name, stack] as const;
  });
  const model = SeamModel.fromStacks(...stacks.map(([, s]) => s));
  const all = await evaluateModel(model);
  uncovered = uncoveredResources(model, all.map((r) => r.edge));
  for (const [name, stack] of stacks) results.set(name, all.filter((r) => r.edge.stack === stack.stackName));
  console.log(`Seams of the constructs' configurations\n\n${stacks.map(([name, stack]) => `${name} (stack ${stack.stackName})\n${formatEdgeTable(results.get(name)!)}`).join('\n')}`);
}, 300_000);

test.each(Object.keys(CONFIGURATIONS))('%s: every edge is allowed and every stranger is denied', (name) => {
  expect(results.get(name)!.length).toBeGreaterThan(0);
  expect(failuresOf(results.get(name)!)).toEqual([]);
});

test('every resource of every configuration that calls across a seam has its edges', () => {
  expect(uncovered).toEqual([]);
});

test('the ServerlessRestApi has API → function and function → table (and table key) seams', () => {
  const edges = results.get('ServerlessRestApi (built-in CRUD and a user handler, customer-key table)')!.map((r) => `${r.edge.kind} ${r.edge.action} ${r.outcome}`);
  expect(edges).toEqual(expect.arrayContaining([
    'http api → function lambda:InvokeFunction Allowed',
    'function → table dynamodb:Query Allowed',
    'function → table dynamodb:PutItem Allowed',
    'function → table dynamodb:DeleteItem Allowed',
  ]));
});

test('the EventBridge FanOut has rule → queue seams', () => {
  const kinds = results.get('FanOut (EventBridge)')!.map((r) => `${r.edge.kind} ${r.edge.action} ${r.outcome}`);
  expect(kinds).toContain('rule → target sqs:SendMessage Allowed');
});

test('the TableChangeHandler functions read the stream and send failed batches to the failure queue with its key', () => {
  const edges = results.get('TableChangeHandler on a customer-key table, failure queue with a customer key')!.map((r) => `${r.edge.kind} ${r.edge.action} ${r.outcome}`);
  expect(edges).toEqual(expect.arrayContaining([
    'function ← dynamodb stream dynamodb:GetRecords Allowed',
    'function ← dynamodb stream dynamodb:GetShardIterator Allowed',
    'function ← dynamodb stream dynamodb:DescribeStream Allowed',
    'function ← dynamodb stream dynamodb:ListStreams Allowed',
    'function → stream on-failure destination sqs:SendMessage Allowed',
    'function → stream on-failure destination key kms:GenerateDataKey Allowed',
  ]));
});

test('the pipeline on SSE-KMS buckets reads the input with kms:Decrypt and writes the output with kms:GenerateDataKey', () => {
  const edges = results.get('FileProcessingPipeline on SSE-KMS input and output buckets')!.map((r) => `${r.edge.kind} ${r.edge.action} ${r.edge.resourceLabel.split('/')[1]}`);
  expect(edges).toEqual(expect.arrayContaining([
    expect.stringMatching(/^function → notified bucket key kms:Decrypt InKey/),
    expect.stringMatching(/^function → bucket key kms:GenerateDataKey OutKey/),
  ]));
});
