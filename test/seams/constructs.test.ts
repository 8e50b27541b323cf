/**
 * The seams of each construct in its default configuration, and in the configurations whose
 * pairings the docs show (a pipeline on customer-key buckets, notices on EventBridge, a FanOut on
 * EventBridge, a worker behind an RDS Proxy, alarms on a topic with a customer key).
 */
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
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
  ProxiedDatabase, SagaOrchestrator, ScheduledJob, ServerlessFunction, ServerlessRestApi, StaticSite,
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
    new AsyncHttpApi(stack, 'Jobs', { worker: handler, alarmTopic: alarmTopic(stack) });
  },
  'AsyncHttpApi with completion notices on a topic and a bus': (stack) => {
    new AsyncHttpApi(stack, 'Jobs', {
      worker: handler,
      completionTopic: new sns.Topic(stack, 'Done', { masterKey: new kms.Key(stack, 'DoneKey', { enableKeyRotation: true }) }),
      completionEventBus: new events.EventBus(stack, 'Bus'),
    });
  },
  'FanOut (SNS)': (stack) => {
    new FanOut(stack, 'Orders', { consumers: [{ name: 'inventory', handler }], alarmTopic: alarmTopic(stack) });
  },
  'FanOut (EventBridge)': (stack) => {
    new FanOut(stack, 'Orders', { source: FanOutSource.EVENTBRIDGE, consumers: [{ name: 'inventory', handler, eventPattern: { source: ['shop'] } }] });
  },
  'FileProcessingPipeline': (stack) => {
    new FileProcessingPipeline(stack, 'Files', { processor: handler, inputPrefix: 'in/', alarmTopic: alarmTopic(stack) });
  },
  'FileProcessingPipeline with notices on EventBridge': (stack) => {
    new FileProcessingPipeline(stack, 'Files', { processor: handler, notificationEventBus: new events.EventBus(stack, 'Bus') });
  },
  'FileProcessingPipeline on SSE-KMS input and output buckets': (stack) => {
    const bucket = (id: string) => new s3.Bucket(stack, id, {
      encryption: s3.BucketEncryption.KMS, encryptionKey: new kms.Key(stack, `${id}Key`, { enableKeyRotation: true }), enforceSSL: true,
    });
    new FileProcessingPipeline(stack, 'Files', { processor: handler, inputBucket: bucket('In'), outputBucket: bucket('Out'), inputPrefix: 'uploads/', outputPrefix: 'results/' });
  },
  'ScheduledJob': (stack) => {
    new ScheduledJob(stack, 'Nightly', { schedule: JobSchedule.cron({ minute: '0', hour: '2' }), handler: { ...handler, timeout: Duration.minutes(1) }, alarmTopic: alarmTopic(stack) });
  },
  'SagaOrchestrator': (stack) => {
    new SagaOrchestrator(stack, 'Trip', {
      steps: [{ name: 'Reserve', action: handler, compensation: handler }, { name: 'Charge', action: handler }],
      alarmTopic: alarmTopic(stack),
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
  'ProxiedDatabase with an AsyncHttpApi worker': (stack) => {
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const vpcSubnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    const database = new ProxiedDatabase(stack, 'Db', { vpc, vpcSubnets });
    new AsyncHttpApi(stack, 'Reports', { worker: handler, database, databaseSubnets: vpcSubnets, databaseUser: 'reports' });
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

test('the pipeline on SSE-KMS buckets reads the input with kms:Decrypt and writes the output with kms:GenerateDataKey', () => {
  const edges = results.get('FileProcessingPipeline on SSE-KMS input and output buckets')!.map((r) => `${r.edge.kind} ${r.edge.action} ${r.edge.resourceLabel.split('/')[1]}`);
  expect(edges).toEqual(expect.arrayContaining([
    expect.stringMatching(/^function → notified bucket key kms:Decrypt InKey/),
    expect.stringMatching(/^function → bucket key kms:GenerateDataKey OutKey/),
  ]));
});
