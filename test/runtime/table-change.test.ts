/**
 * The table-change runtime helper on real DynamoDB Streams (DynamoDB Local in its loopback-only
 * namespace, read by the local cloud's stream poller), and the TableChangeHandler examples: the
 * welcome e-mail sent once per user through aws-ses-v2-local, the CQRS order projection.
 */
import type { Server } from 'http';
import type { AddressInfo } from 'net';
import { CreateTableCommand, DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { DynamoDbStreamEvent, DynamoDbStreamPoller, DynamoDbStreamEventSourceSettings } from '../../src/local/dynamodb-streams';
import { isTtlDelete, TableChange, tableChangeHandler, tableChangeOf } from '../../src/runtime/table-change';
import { describeWithDynamoDbLocal, DynamoDbLocal, startDynamoDbLocal } from '../helpers/dynamodb-local';
import { uniqueName } from '../helpers/emulators';
import { createStreamTable, inProcess, lambdaContext, writeOrderHistory } from '../helpers/streams';

/** The TTL delete record as AWS documents it (DynamoDB developer guide, "Time to Live and DynamoDB Streams"). */
const DOCUMENTED_TTL_DELETE = {
  eventID: 'a3f2c0bc8be71c28b1b8a35ef26cf0be',
  eventName: 'REMOVE',
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: 'us-east-1',
  dynamodb: {
    ApproximateCreationDateTime: 1700000000,
    Keys: { userId: { S: 'u-1' } },
    OldImage: { userId: { S: 'u-1' }, expiresAt: { N: '1699990000' }, name: { S: 'Ada' } },
    SequenceNumber: '4421584500000000017450439091',
    SizeBytes: 70,
    StreamViewType: 'NEW_AND_OLD_IMAGES',
  },
  userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
  eventSourceARN: 'arn:aws:dynamodb:us-east-1:123456789012:table/users/stream/2023-11-14T00:00:00.000',
} as DynamoDBRecord;

describe('tableChangeOf (no emulator)', () => {
  test('a TTL delete (userIdentity Service / dynamodb.amazonaws.com) is an expire, with the old item', () => {
    expect(isTtlDelete(DOCUMENTED_TTL_DELETE)).toBe(true);
    const change = tableChangeOf<{ userId: string; expiresAt: number; name: string }>(DOCUMENTED_TTL_DELETE);
    expect(change).toMatchObject({ kind: 'expire', eventName: 'REMOVE', expired: true, keys: { userId: 'u-1' }, oldItem: { userId: 'u-1', expiresAt: 1699990000, name: 'Ada' } });
    expect(change.newItem).toBeUndefined();
    expect(change.approximateCreationTime).toEqual(new Date(1700000000 * 1000));
  });

  test('a delete by anyone else is a remove (another service principal, or no userIdentity)', () => {
    const byUser = { ...DOCUMENTED_TTL_DELETE, userIdentity: undefined } as DynamoDBRecord;
    const byOther = { ...DOCUMENTED_TTL_DELETE, userIdentity: { type: 'Service', principalId: 'glue.amazonaws.com' } } as DynamoDBRecord;
    expect(tableChangeOf(byUser).kind).toBe('remove');
    expect(tableChangeOf(byOther).kind).toBe('remove');
    expect(isTtlDelete(byOther)).toBe(false);
  });

  test('a record that is not a stream record is refused with a message', () => {
    expect(() => tableChangeOf({ eventName: 'UNKNOWN' } as unknown as DynamoDBRecord)).toThrow(/no known eventName/);
  });
});

describeWithDynamoDbLocal('tableChangeHandler on DynamoDB Local streams', () => {
  let local: DynamoDbLocal;
  let ddb: DynamoDBClient;
  let streams: DynamoDBStreamsClient;
  const pollers: DynamoDbStreamPoller[] = [];

  beforeAll(async () => {
    local = await startDynamoDbLocal();
    // eslint-disable-next-line no-console
    console.log(`DynamoDB Local answered after ${local.startMs} ms`);
    ddb = new DynamoDBClient({});
    streams = new DynamoDBStreamsClient({});
  }, 60_000);

  afterEach(async () => {
    await Promise.all(pollers.splice(0).map((p) => p.stop()));
  });

  afterAll(async () => {
    ddb?.destroy();
    streams?.destroy();
    await local?.stop();
  });

  /** The mapping TableChangeHandler configures: bisect, ReportBatchItemFailures, bounded retries. */
  async function mapping(
    streamArn: string, handler: (event: DynamoDBStreamEvent) => Promise<unknown>, settings: Partial<DynamoDbStreamEventSourceSettings> = {},
  ) {
    const delivered: DynamoDbStreamEvent[] = [];
    const invoke = inProcess((event: DynamoDbStreamEvent) => handler(event as unknown as DynamoDBStreamEvent));
    const poller = new DynamoDbStreamPoller({
      streamArn,
      functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:handler',
      startingPosition: 'TRIM_HORIZON',
      bisectBatchOnFunctionError: true,
      functionResponseTypes: ['ReportBatchItemFailures'],
      maximumRetryAttempts: 2,
      ...settings,
    }, async (event) => { delivered.push(event); return invoke(event); }, { streams, region: 'us-east-1', pollIntervalMs: 50, retryDelayMs: 10 });
    pollers.push(poller);
    await poller.start();
    return { poller, delivered };
  }

  test('typed changes in stream order: insert, modify (old and new item), remove; a failure retries from the failed record only', async () => {
    interface Account { id: string; plan: string; seats?: number }
    const name = uniqueName('accounts');
    const streamArn = await createStreamTable(ddb, name);
    const seen: string[] = [];
    let failOnce = true;
    const handler = tableChangeHandler<Account>(async (change: TableChange<Account>) => {
      const label = `${change.kind} ${change.keys.id} ${change.oldItem?.plan ?? '-'}>${change.newItem?.plan ?? '-'}`;
      if (failOnce && change.keys.id === 'b' && change.kind === 'insert') { failOnce = false; seen.push(`FAILED ${label}`); throw new Error('transient'); }
      seen.push(label);
    });
    await ddb.send(new PutItemCommand({ TableName: name, Item: { id: { S: 'a' }, plan: { S: 'free' } } }));
    await ddb.send(new PutItemCommand({ TableName: name, Item: { id: { S: 'b' }, plan: { S: 'pro' }, seats: { N: '5' } } }));
    await ddb.send(new UpdateItemCommand({ TableName: name, Key: { id: { S: 'a' } }, UpdateExpression: 'SET #p = :p', ExpressionAttributeNames: { '#p': 'plan' }, ExpressionAttributeValues: { ':p': { S: 'team' } } }));
    await ddb.send(new DeleteItemCommand({ TableName: name, Key: { id: { S: 'b' } } }));
    const { poller, delivered } = await mapping(streamArn, (event) => handler(event, lambdaContext()));
    await poller.drain();
    // The batch stopped at b's failure: the modify of a and the remove of b were not run before b succeeded.
    expect(seen).toEqual(['insert a ->free', 'FAILED insert b ->pro', 'insert b ->pro', 'modify a free>team', 'remove b pro>-']);
    expect(delivered.map((e) => e.Records.length)).toEqual([4, 3]);
    expect(poller.failures).toEqual([]);
  });

  test('the partial batch response names the first failed record; a batch whose first record fails throws (so the mapping bisects)', async () => {
    const name = uniqueName('items');
    const streamArn = await createStreamTable(ddb, name);
    for (const id of ['x1', 'x2', 'x3']) await ddb.send(new PutItemCommand({ TableName: name, Item: { id: { S: id } } }));
    const handler = tableChangeHandler(async (change) => { if (change.keys.id !== 'x1') throw new Error(`no ${String(change.keys.id)}`); });
    const events: DynamoDbStreamEvent[] = [];
    const { poller } = await mapping(streamArn, async (event) => { events.push(event as never); return { batchItemFailures: [] }; });
    await poller.drain();
    const event = events[0] as unknown as DynamoDBStreamEvent;
    const response = await handler(event, lambdaContext());
    const sequenceOf = (i: number) => event.Records[i].dynamodb!.SequenceNumber;
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([sequenceOf(1), sequenceOf(2)]);
    await expect(handler({ Records: event.Records.slice(1) }, lambdaContext())).rejects.toThrow(/All records failed/);
  });

  describe('welcome e-mail example: once per user, through SES (aws-ses-v2-local)', () => {
    let ses: Server;
    let sesEndpoint: string;

    beforeAll(async () => {
      // aws-ses-v2-local's server, on loopback only.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const start = (require('aws-ses-v2-local') as { default: (c: { host: string; port: number }) => Promise<Server> }).default;
      ses = await start({ host: '127.0.0.1', port: 0 });
      sesEndpoint = `http://127.0.0.1:${(ses.address() as AddressInfo).port}`;
      process.env.AWS_ENDPOINT_URL_SESV2 = sesEndpoint;
      process.env.WELCOME_FROM_ADDRESS = 'welcome@example.com';
    });

    afterAll(async () => {
      delete process.env.AWS_ENDPOINT_URL_SESV2;
      if (ses) await new Promise<void>((resolve) => { ses.closeAllConnections(); ses.close(() => resolve()); });
    });

    async function sentMail(): Promise<{ destination: { to: string[] }; subject: string }[]> {
      const store = await (await fetch(`${sesEndpoint}/store`)).json() as { emails: { destination: { to: string[] }; subject: string }[] };
      return store.emails;
    }

    test('inserting users sends one welcome e-mail each; the same batch delivered again sends none', async () => {
      const users = uniqueName('users');
      const idempotency = uniqueName('idempotency');
      const streamArn = await createStreamTable(ddb, users, 'userId');
      await ddb.send(new CreateTableCommand({
        TableName: idempotency,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      }));
      process.env.IDEMPOTENCY_TABLE_NAME = idempotency;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { handler } = require('../../examples/table-change/handlers/welcome-email') as typeof import('../../examples/table-change/handlers/welcome-email');
      await fetch(`${sesEndpoint}/clear-store`, { method: 'POST' });

      for (const [userId, email, who] of [['u-1', 'ada@example.com', 'Ada'], ['u-2', 'grace@example.com', 'Grace']]) {
        await ddb.send(new PutItemCommand({ TableName: users, Item: { userId: { S: userId }, email: { S: email }, name: { S: who } } }));
      }
      // A profile change is not a new user: the construct's onInsert filter drops it.
      await ddb.send(new UpdateItemCommand({ TableName: users, Key: { userId: { S: 'u-1' } }, UpdateExpression: 'SET #n = :n', ExpressionAttributeNames: { '#n': 'name' }, ExpressionAttributeValues: { ':n': { S: 'Ada L.' } } }));
      const { poller, delivered } = await mapping(streamArn, (event) => handler(event, lambdaContext('welcome')), {
        filterCriteria: { filters: [{ pattern: JSON.stringify({ eventName: ['INSERT'] }) }] },
      });
      await poller.drain();
      expect(delivered.flatMap((e) => e.Records.map((r) => r.eventName))).toEqual(['INSERT', 'INSERT']);
      let mail = await sentMail();
      expect(mail.map((m) => [m.destination.to, m.subject])).toEqual([[['ada@example.com'], 'Welcome, Ada'], [['grace@example.com'], 'Welcome, Grace']]);

      // The same batch again (a retry after a timeout, a redelivery): no second e-mail.
      const again = await handler(delivered[0] as unknown as DynamoDBStreamEvent, lambdaContext('welcome'));
      expect(again.batchItemFailures).toEqual([]);
      // A third user arrives; only they get mail.
      await ddb.send(new PutItemCommand({ TableName: users, Item: { userId: { S: 'u-3' }, email: { S: 'linus@example.com' }, name: { S: 'Linus' } } }));
      await poller.drain();
      mail = await sentMail();
      expect(mail.map((m) => m.destination.to[0])).toEqual(['ada@example.com', 'grace@example.com', 'linus@example.com']);
      // One completed idempotency record per user.
      const { Items = [] } = await ddb.send(new ScanCommand({ TableName: idempotency, ConsistentRead: true }));
      expect(Items.map((i) => i.status.S)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    });
  });

  test('CQRS example: orders projected into a read model; a redelivered batch does not count twice', async () => {
    const orders = uniqueName('orders');
    const readModel = uniqueName('read-model');
    const streamArn = await createStreamTable(ddb, orders, 'orderId');
    await ddb.send(new CreateTableCommand({
      TableName: readModel,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    }));
    process.env.READ_MODEL_TABLE_NAME = readModel;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require('../../examples/table-change/handlers/order-projection') as typeof import('../../examples/table-change/handlers/order-projection');
    await writeOrderHistory(ddb, orders);
    const { poller, delivered } = await mapping(streamArn, (event) => handler(event, lambdaContext('projection')));
    await poller.drain();
    const summary = async () => {
      const out = await ddb.send(new GetItemCommand({ TableName: readModel, Key: { pk: { S: 'CUSTOMER#c-1' } }, ConsistentRead: true }));
      return { openOrders: Number(out.Item?.openOrders?.N), openTotal: Number(out.Item?.openTotal?.N) };
    };
    expect(await summary()).toEqual({ openOrders: 1, openTotal: 30 });
    for (const event of delivered) await handler(event as unknown as DynamoDBStreamEvent, lambdaContext('projection'));
    expect(await summary()).toEqual({ openOrders: 1, openTotal: 30 });
  });
});
