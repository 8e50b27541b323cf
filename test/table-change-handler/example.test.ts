/**
 * The TableChangeHandler example end to end on this machine: the event source mappings are read
 * FROM THE SYNTHESIZED TEMPLATE (FilterCriteria, batch size, bisect, ReportBatchItemFailures,
 * retries, record age, on-failure destination) and run by the local cloud's DynamoDB Streams
 * poller (src/local/dynamodb-streams.ts) against DynamoDB Local, with the example's real handler
 * code: the welcome e-mail through aws-ses-v2-local, the CQRS order projection. So the filters the
 * construct generates are the ones proven: a MODIFY never reaches onInsert, a TTL delete reaches
 * onExpire and not onRemove.
 */
import type { Server } from 'http';
import type { AddressInfo } from 'net';
import {
  CreateTableCommand, DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand, UpdateItemCommand, UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { TableChangeHandlerExampleStack } from '../../examples/table-change/stack';
import { Handler, TableChangeHandler } from '../../src';
import type { DynamoDbStreamEvent, DynamoDbStreamEventSourceSettings, StreamInvoker } from '../../src/local/dynamodb-streams';
import { DynamoDbStreamPoller } from '../../src/local/dynamodb-streams';
import { describeWithDynamoDbLocal, DynamoDbLocal, startDynamoDbLocal } from '../helpers/dynamodb-local';
import { RunningEmulator, startFauxqs, uniqueName } from '../helpers/emulators';
import { nagErrors } from '../helpers/nag';
import { createStreamTable, inProcess, writeOrderHistory } from '../helpers/streams';

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

type Json = any;

/** The example app's stack, synthesized as `cdk synth` does (bundled handlers). */
function exampleTemplate(): { stack: TableChangeHandlerExampleStack; template: Template; app: App } {
  const app = new App();
  const shared = new Stack(app, 'Shared', { env: { account: '123456789012', region: 'eu-west-1' } });
  const stack = new TableChangeHandlerExampleStack(app, 'TableChangeHandlerExample', {
    env: { account: '123456789012', region: 'eu-west-1' }, alarmTopic: new sns.Topic(shared, 'Alarms', { enforceSSL: true }),
  });
  return { stack, template: Template.fromStack(stack), app };
}

/** The mapping of a function, as the template says: the poller's settings. */
function mappingOf(template: Template, functionLogicalId: string): DynamoDbStreamEventSourceSettings & { destination?: Json } {
  const found = Object.values(template.findResources('AWS::Lambda::EventSourceMapping', { Properties: { FunctionName: { Ref: functionLogicalId } } })) as Json[];
  expect(found).toHaveLength(1);
  const p = found[0].Properties;
  return {
    batchSize: p.BatchSize,
    maximumBatchingWindowSeconds: p.MaximumBatchingWindowInSeconds,
    startingPosition: p.StartingPosition,
    filterCriteria: p.FilterCriteria ? { filters: p.FilterCriteria.Filters.map((f: Json) => ({ pattern: f.Pattern })) } : undefined,
    bisectBatchOnFunctionError: p.BisectBatchOnFunctionError,
    maximumRetryAttempts: p.MaximumRetryAttempts,
    maximumRecordAgeInSeconds: p.MaximumRecordAgeInSeconds,
    functionResponseTypes: p.FunctionResponseTypes,
    destination: p.DestinationConfig?.OnFailure?.Destination,
  };
}

function logicalIdOf(stack: Stack, fn: lambda.IFunction): string {
  return (stack.resolve(fn.functionName) as { Ref: string }).Ref;
}

test('the example stack: cdk-nag clean; its resources and alarms', () => {
  const { stack, template, app } = exampleTemplate();
  expect(nagErrors(app)).toEqual([]);
  const resources = Object.values(template.toJSON().Resources) as { Type: string }[];
  const count = (type: string) => resources.filter((r) => r.Type === type).length;
  const summary = {
    resources: resources.length,
    functions: count('AWS::Lambda::Function'),
    tables: count('AWS::DynamoDB::Table'),
    mappings: count('AWS::Lambda::EventSourceMapping'),
    queues: count('AWS::SQS::Queue'),
    alarms: count('AWS::CloudWatch::Alarm'),
  };
  // eslint-disable-next-line no-console
  console.log(`TableChangeHandlerExample: ${JSON.stringify(summary)}`);
  expect(summary).toMatchObject({ functions: 2, tables: 4, mappings: 2, queues: 2, alarms: 4 });
  const welcome = stack.node.findChild('Welcome') as TableChangeHandler;
  expect(welcome.alarms.map((a) => stack.resolve(a.alarmName) && a.node.id).sort()).toEqual(['FailedBatchesAlarm', 'OnInsertIteratorAgeAlarm']);
  // The welcome function may send e-mail from the SES identity (and only it).
  const policies = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [stack.resolve(welcome.onInsertFunction!.role!.roleName)] } }));
  const statements = (policies[0] as Json).Properties.PolicyDocument.Statement as Json[];
  expect(statements.find((st) => JSON.stringify(st.Action).includes('ses:SendEmail'))).toMatchObject({
    Action: ['ses:SendEmail', 'ses:SendRawEmail'], Resource: { 'Fn::Join': ['', expect.arrayContaining([expect.stringContaining(':identity/')])] },
  });
});

describeWithDynamoDbLocal('TableChangeHandler example on DynamoDB Local streams (mappings from the template)', () => {
  let local: DynamoDbLocal;
  let fauxqs: RunningEmulator;
  let ddb: DynamoDBClient;
  let streams: DynamoDBStreamsClient;
  let sqs: SQSClient;
  let ses: Server;
  let sesEndpoint: string;
  const pollers: DynamoDbStreamPoller[] = [];

  beforeAll(async () => {
    [local, fauxqs] = await Promise.all([startDynamoDbLocal(), startFauxqs()]);
    ddb = new DynamoDBClient({ endpoint: local.endpoint });
    streams = new DynamoDBStreamsClient({ endpoint: local.endpoint });
    sqs = new SQSClient({});
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const start = (require('aws-ses-v2-local') as { default: (c: { host: string; port: number }) => Promise<Server> }).default;
    ses = await start({ host: '127.0.0.1', port: 0 });
    sesEndpoint = `http://127.0.0.1:${(ses.address() as AddressInfo).port}`;
    process.env.AWS_ENDPOINT_URL_SESV2 = sesEndpoint;
  }, 90_000);

  afterEach(async () => {
    await Promise.all(pollers.splice(0).map((p) => p.stop()));
  });

  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL_SESV2;
    ddb?.destroy();
    streams?.destroy();
    sqs?.destroy();
    if (ses) await new Promise<void>((resolve) => { ses.closeAllConnections(); ses.close(() => resolve()); });
    await Promise.all([local?.stop(), fauxqs?.stop()]);
  });

  async function table(name: string, key: string): Promise<void> {
    await ddb.send(new CreateTableCommand({
      TableName: name, BillingMode: 'PAY_PER_REQUEST', KeySchema: [{ AttributeName: key, KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
    }));
  }

  /** Runs the template's mapping for a function on a stream; the invoker sees every event. */
  async function run(settings: ReturnType<typeof mappingOf>, streamArn: string, invoker: StreamInvoker, name: string) {
    const onFailure = settings.destination ? (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('on-failure') }))).QueueUrl! : undefined;
    const { destination: _d, ...rest } = settings;
    const events: DynamoDbStreamEvent[] = [];
    const poller = new DynamoDbStreamPoller({
      ...rest,
      streamArn,
      functionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
      name,
      onFailure: onFailure ? { queueUrl: onFailure } : undefined,
    }, async (event) => { events.push(event); return invoker(event); }, { streams, sqs, region: 'us-east-1', pollIntervalMs: 50, retryDelayMs: 10 });
    pollers.push(poller);
    await poller.start();
    return { poller, events, onFailure };
  }

  async function receiveAll(queueUrl: string): Promise<Json[]> {
    const bodies: Json[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({
        QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: bodies.length ? 0 : 1,
      }));
      if (Messages.length === 0) return bodies;
      bodies.push(...Messages.map((m) => JSON.parse(m.Body!)));
    }
  }

  const keyOf = (r: DynamoDbStreamEvent['Records'][number]) => (Object.values(r.dynamodb.Keys!)[0] as { S: string }).S;
  const names = (events: DynamoDbStreamEvent[]) => events.map((e) => e.Records.map((r) => `${r.eventName} ${keyOf(r)}`));

  test('welcome e-mail: exactly one e-mail per new user, although the function fails after sending and the batch is redelivered; profile changes never reach it', async () => {
    const { stack, template } = exampleTemplate();
    const welcome = stack.node.findChild('Welcome') as TableChangeHandler;
    const settings = mappingOf(template, logicalIdOf(stack, welcome.onInsertFunction!));
    expect(settings.filterCriteria).toEqual({ filters: [{ pattern: '{"eventName":["INSERT"]}' }] });
    expect(settings).toMatchObject({ bisectBatchOnFunctionError: true, functionResponseTypes: ['ReportBatchItemFailures'], maximumRetryAttempts: 3 });

    const users = uniqueName('users');
    const idempotency = uniqueName('welcome-idempotency');
    const streamArn = await createStreamTable(ddb, users, 'userId');
    await table(idempotency, 'id');
    process.env.IDEMPOTENCY_TABLE_NAME = idempotency;
    process.env.WELCOME_FROM_ADDRESS = 'welcome@example.com';
    process.env.AWS_ENDPOINT_URL_DYNAMODB = local.endpoint;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require('../../examples/table-change/handlers/welcome-email') as typeof import('../../examples/table-change/handlers/welcome-email');
    await fetch(`${sesEndpoint}/clear-store`, { method: 'POST' });

    for (const [userId, who] of [['u-1', 'ada'], ['u-2', 'grace'], ['u-3', 'linus'], ['u-4', 'barbara']]) {
      await ddb.send(new PutItemCommand({ TableName: users, Item: { userId: { S: userId }, email: { S: `${who}@example.com` }, name: { S: who } } }));
    }
    // Profile changes and a delete: not new users.
    await ddb.send(new UpdateItemCommand({ TableName: users, Key: { userId: { S: 'u-1' } }, UpdateExpression: 'SET #n = :n', ExpressionAttributeNames: { '#n': 'name' }, ExpressionAttributeValues: { ':n': { S: 'Ada L.' } } }));
    await ddb.send(new DeleteItemCommand({ TableName: users, Key: { userId: { S: 'u-4' } } }));

    // INJECTED: the first invocation runs the real handler (the e-mails are sent), then fails as a
    // timeout would, so the mapping retries the batch (bisected) with the same records.
    const real = inProcess((event: DynamoDbStreamEvent, context) => handler(event as unknown as DynamoDBStreamEvent, context));
    let invocations = 0;
    const invoker: StreamInvoker = async (event) => {
      invocations++;
      const result = await real(event);
      if (invocations === 1) return { ok: false, error: { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 30.00 seconds' } };
      return result;
    };
    const { poller, events, onFailure } = await run(settings, streamArn, invoker, 'welcome');
    await poller.drain();

    const delivered = names(events);
    // eslint-disable-next-line no-console
    console.log(`welcome deliveries: ${JSON.stringify(delivered)}`);
    // Only inserts reach onInsert, and the records of the failed invocation came again.
    expect(delivered.flat().every((r) => r.startsWith('INSERT '))).toBe(true);
    expect(delivered[0]).toEqual(['INSERT u-1', 'INSERT u-2', 'INSERT u-3', 'INSERT u-4']);
    expect(delivered.flat().length).toBeGreaterThan(4);
    const mail = (await (await fetch(`${sesEndpoint}/store`)).json() as { emails: { destination: { to: string[] } }[] }).emails;
    // eslint-disable-next-line no-console
    console.log(`welcome: ${invocations} invocations, ${delivered.flat().length} records delivered, ${mail.length} e-mails sent`);
    expect(mail.map((m) => m.destination.to[0]).sort()).toEqual(['ada@example.com', 'barbara@example.com', 'grace@example.com', 'linus@example.com']);
    const { Items = [] } = await ddb.send(new ScanCommand({ TableName: idempotency, ConsistentRead: true }));
    expect(Items.map((i) => i.status.S)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED']);
    expect(poller.failures).toEqual([]);
    expect(await receiveAll(onFailure!)).toEqual([]);
  }, 60_000);

  test('order projection (onChange): every change in stream order; a redelivered batch does not count twice', async () => {
    const { stack, template } = exampleTemplate();
    const projection = stack.node.findChild('OrderProjection') as TableChangeHandler;
    const settings = mappingOf(template, logicalIdOf(stack, projection.onChangeFunction!));
    expect(settings.filterCriteria).toBeUndefined();

    const orders = uniqueName('orders');
    const readModel = uniqueName('order-summaries');
    const streamArn = await createStreamTable(ddb, orders, 'orderId');
    await table(readModel, 'pk');
    process.env.READ_MODEL_TABLE_NAME = readModel;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = local.endpoint;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require('../../examples/table-change/handlers/order-projection') as typeof import('../../examples/table-change/handlers/order-projection');
    await writeOrderHistory(ddb, orders);

    // INJECTED: the first invocation applies the changes, then fails, so the batch comes again.
    const real = inProcess((event: DynamoDbStreamEvent, context) => handler(event as unknown as DynamoDBStreamEvent, context));
    let invocations = 0;
    const { poller, events } = await run(settings, streamArn, async (event) => {
      invocations++;
      const result = await real(event);
      return invocations === 1 ? { ok: false, error: { errorType: 'Runtime.ExitError', errorMessage: 'crashed after applying' } } : result;
    }, 'projection');
    await poller.drain();
    const delivered = names(events);
    // eslint-disable-next-line no-console
    console.log(`projection deliveries: ${JSON.stringify(delivered)}`);
    expect(delivered[0]).toEqual(['INSERT o-1', 'INSERT o-2', 'INSERT o-3', 'MODIFY o-2', 'REMOVE o-3']);
    expect(delivered.flat().length).toBeGreaterThan(5);
    const out = await ddb.send(new GetItemCommand({ TableName: readModel, Key: { pk: { S: 'CUSTOMER#c-1' } }, ConsistentRead: true }));
    expect({ openOrders: Number(out.Item?.openOrders?.N), openTotal: Number(out.Item?.openTotal?.N) }).toEqual({ openOrders: 1, openTotal: 30 });
  }, 60_000);

  test('a TTL delete reaches onExpire and not onRemove; a user delete reaches onRemove and not onExpire; a poison record ends in the failure queue naming the function', async () => {
    // GIVEN a sessions table with both delete handlers, synthesized
    const app = new App();
    const stack = new Stack(app, 'Sessions');
    const sessions = new dynamodb.Table(stack, 'SessionsTable', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING }, timeToLiveAttribute: 'expiresAt' });
    const code = lambda.Code.fromInline('exports.handler = async () => ({})');
    const changes = new TableChangeHandler(stack, 'Sessions', {
      table: sessions,
      onRemove: Handler.fromCode(code, { handler: 'index.handler' }),
      onExpire: Handler.fromCode(code, { handler: 'index.handler' }),
    });
    const template = Template.fromStack(stack);
    const removeSettings = mappingOf(template, logicalIdOf(stack, changes.onRemoveFunction!));
    const expireSettings = mappingOf(template, logicalIdOf(stack, changes.onExpireFunction!));

    const name = uniqueName('sessions');
    const streamArn = await createStreamTable(ddb, name, 'id');
    await ddb.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } }));
    // The "remove" handler fails on one record (a poison delete): it is bisected out, retried 3 times, then sent to the failure queue.
    const removed = await run(removeSettings, streamArn, inProcess(async (event: DynamoDbStreamEvent) => {
      if (event.Records.some((r) => (r.dynamodb.Keys!.id as { S: string }).S === 'poison')) throw new Error('cannot handle poison');
      return { batchItemFailures: [] };
    }), 'on-remove');
    const expired = await run(expireSettings, streamArn, inProcess(async () => ({ batchItemFailures: [] })), 'on-expire');

    await ddb.send(new PutItemCommand({ TableName: name, Item: { id: { S: 'stale' }, expiresAt: { N: String(Math.floor(Date.now() / 1000) - 60) } } }));
    for (const id of ['logout', 'poison']) {
      await ddb.send(new PutItemCommand({ TableName: name, Item: { id: { S: id } } }));
      await ddb.send(new DeleteItemCommand({ TableName: name, Key: { id: { S: id } } }));
    }
    const deadline = Date.now() + 45_000;
    while (!expired.events.flat().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    await Promise.all([removed.poller.drain(), expired.poller.drain()]);

    // eslint-disable-next-line no-console
    console.log(`onRemove deliveries: ${JSON.stringify(names(removed.events))}; onExpire deliveries: ${JSON.stringify(names(expired.events))}`);
    expect([...new Set(names(expired.events).flat())]).toEqual(['REMOVE stale']);
    expect(expired.events[0].Records[0].userIdentity).toEqual({ type: 'Service', principalId: 'dynamodb.amazonaws.com' });
    expect([...new Set(names(removed.events).flat())].sort()).toEqual(['REMOVE logout', 'REMOVE poison']);
    // The poison record alone: bisected out (or delivered alone), then 3 retries; a good record in its
    // batch is delivered again by the bisection (AWS does the same: handlers must be idempotent).
    expect(names(removed.events).filter((b) => b.length === 1 && b[0] === 'REMOVE poison')).toHaveLength(4);
    const failures = await receiveAll(removed.onFailure!);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      requestContext: { functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:on-remove', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 4 },
      DDBStreamBatchInfo: { batchSize: 1, streamArn },
    });
    expect(await receiveAll(expired.onFailure!)).toEqual([]);
  }, 90_000);
});
