/**
 * The local cloud's DynamoDB Streams event source mapping on real streams of DynamoDB Local
 * (in its loopback-only network namespace), with the on-failure destination on fauxqs.
 */
import * as net from 'net';
import * as os from 'os';
import { DeleteItemCommand, DynamoDBClient, PutItemCommand, UpdateItemCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Delivery } from '../../src/local/deliveries';
import {
  DynamoDbStreamEvent, DynamoDbStreamEventRecord, DynamoDbStreamEventSourceSettings, DynamoDbStreamPoller, matchesFilterCriteria, StreamInvoker,
} from '../../src/local/dynamodb-streams';
import { describeWithDynamoDbLocal, DynamoDbLocal, interfacesOf, listenersOn, networkNamespaceOf, startDynamoDbLocal } from '../helpers/dynamodb-local';
import { RunningEmulator, startFauxqs, uniqueName } from '../helpers/emulators';
import { createStreamTable } from '../helpers/streams';

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:on-change';

describeWithDynamoDbLocal('DynamoDB Streams event source mapping (DynamoDB Local)', () => {
  let local: DynamoDbLocal;
  let fauxqs: RunningEmulator;
  let ddb: DynamoDBClient;
  let streams: DynamoDBStreamsClient;
  let sqs: SQSClient;
  const pollers: DynamoDbStreamPoller[] = [];

  beforeAll(async () => {
    [local, fauxqs] = await Promise.all([startDynamoDbLocal(), startFauxqs()]);
    // eslint-disable-next-line no-console
    console.log(`DynamoDB Local answered after ${local.startMs} ms`);
    ddb = new DynamoDBClient({ endpoint: local.endpoint });
    streams = new DynamoDBStreamsClient({ endpoint: local.endpoint });
    sqs = new SQSClient({});
  }, 60_000);

  afterEach(async () => {
    await Promise.all(pollers.splice(0).map((p) => p.stop()));
  });

  afterAll(async () => {
    ddb?.destroy();
    streams?.destroy();
    sqs?.destroy();
    await Promise.all([local?.stop(), fauxqs?.stop()]);
  });

  async function table(): Promise<{ name: string; streamArn: string }> {
    const name = uniqueName('t');
    return { name, streamArn: await createStreamTable(ddb, name) };
  }

  async function queue(): Promise<string> {
    return (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('on-failure') }))).QueueUrl!;
  }

  async function receiveAll(queueUrl: string): Promise<unknown[]> {
    const bodies: unknown[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({
        QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: bodies.length ? 0 : 1,
      }));
      if (Messages.length === 0) return bodies;
      bodies.push(...Messages.map((m) => JSON.parse(m.Body!)));
    }
  }

  async function startPoller(streamArn: string, settings: Partial<DynamoDbStreamEventSourceSettings>, invoker: StreamInvoker,
    extra: { now?: () => number; deliveries?: Omit<Delivery, 'time'>[] } = {}): Promise<DynamoDbStreamPoller> {
    const poller = new DynamoDbStreamPoller(
      { streamArn, functionArn: FUNCTION_ARN, startingPosition: 'TRIM_HORIZON', ...settings },
      invoker,
      { streams, sqs, region: 'us-east-1', pollIntervalMs: 50, retryDelayMs: 10, now: extra.now, onDelivery: (d) => extra.deliveries?.push(d) },
    );
    pollers.push(poller);
    await poller.start();
    return poller;
  }

  const put = (tableName: string, id: string, extra: Record<string, unknown> = {}) => ddb.send(new PutItemCommand({
    TableName: tableName, Item: { id: { S: id }, ...extra } as never,
  }));

  /** An invoker that records every batch and succeeds, unless `fail` says otherwise. */
  function recorder(fail?: (event: DynamoDbStreamEvent, call: number) => unknown) {
    const batches: DynamoDbStreamEventRecord[][] = [];
    const invoker: StreamInvoker = async (event) => {
      batches.push(event.Records);
      const outcome = fail?.(event, batches.length);
      if (outcome instanceof Error) return { ok: false, error: { errorType: outcome.name, errorMessage: outcome.message } };
      return { ok: true, result: outcome ?? null };
    };
    return { batches, invoker, ids: (b: DynamoDbStreamEventRecord[]) => b.map((r) => r.dynamodb.Keys!.id as { S: string }).map((k) => k.S) };
  }

  test('DynamoDB Local runs in a network namespace with only lo: not reachable on the machine\'s other addresses', async () => {
    expect(networkNamespaceOf(local.javaPid)).not.toBe(networkNamespaceOf('self'));
    expect(interfacesOf(local.javaPid)).toEqual(['lo']);
    // It listens on every interface of its namespace (:: / 0.0.0.0) ...
    expect(listenersOn(local.javaPid, local.namespacePort).length).toBeGreaterThan(0);
    // ... and nothing listens on that port in the machine's namespace.
    expect(listenersOn('self', local.namespacePort)).toEqual([]);
    const external = Object.values(os.networkInterfaces()).flat().filter((a) => a && !a.internal && !a.address.startsWith('fe80')).map((a) => a!.address);
    for (const address of [...external, '127.0.0.1']) {
      const outcome = await new Promise<string>((resolve) => {
        const socket = net.connect({ host: address, port: local.namespacePort, timeout: 2000 });
        socket.once('connect', () => { socket.destroy(); resolve('connected'); });
        socket.once('timeout', () => { socket.destroy(); resolve('timeout'); });
        socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      expect({ address, outcome }).toEqual({ address, outcome: expect.not.stringMatching(/^connected$/) });
    }
    // The relay the tests use is on 127.0.0.1 only.
    expect(new URL(local.endpoint).hostname).toBe('127.0.0.1');
  });

  test('delivers INSERT, MODIFY and REMOVE in order, with the images and the record shape Lambda sends', async () => {
    const { name, streamArn } = await table();
    const r = recorder();
    await startPoller(streamArn, { batchSize: 100 }, r.invoker);
    await put(name, 'u1', { email: { S: 'a@example.com' }, avatar: { B: Buffer.from('png!') }, tags: { SS: ['x', 'y'] }, score: { N: '7' } });
    await ddb.send(new UpdateItemCommand({ TableName: name, Key: { id: { S: 'u1' } }, UpdateExpression: 'SET score = :s', ExpressionAttributeValues: { ':s': { N: '8' } } }));
    await ddb.send(new DeleteItemCommand({ TableName: name, Key: { id: { S: 'u1' } } }));
    await pollers[0].drain();
    const records = r.batches.flat();
    expect(records.map((x) => x.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
    const [insert, modify, remove] = records;
    expect(Object.keys(insert)).toEqual(['eventID', 'eventName', 'eventVersion', 'eventSource', 'awsRegion', 'dynamodb', 'eventSourceARN']);
    expect(insert).toMatchObject({ eventSource: 'aws:dynamodb', eventVersion: '1.1', awsRegion: 'us-east-1', eventSourceARN: streamArn });
    expect(Object.keys(insert.dynamodb)).toEqual(['ApproximateCreationDateTime', 'Keys', 'NewImage', 'SequenceNumber', 'SizeBytes', 'StreamViewType']);
    expect(insert.dynamodb.Keys).toEqual({ id: { S: 'u1' } });
    expect(insert.dynamodb.NewImage).toEqual({ id: { S: 'u1' }, email: { S: 'a@example.com' }, avatar: { B: Buffer.from('png!').toString('base64') }, tags: { SS: ['x', 'y'] }, score: { N: '7' } });
    expect(insert.dynamodb.StreamViewType).toBe('NEW_AND_OLD_IMAGES');
    expect(Number.isInteger(insert.dynamodb.ApproximateCreationDateTime)).toBe(true);
    expect(typeof insert.dynamodb.SizeBytes).toBe('number');
    expect(modify.dynamodb.OldImage!.score).toEqual({ N: '7' });
    expect(modify.dynamodb.NewImage!.score).toEqual({ N: '8' });
    expect(remove.dynamodb.NewImage).toBeUndefined();
    expect(remove.dynamodb.OldImage!.score).toEqual({ N: '8' });
    expect(remove.userIdentity).toBeUndefined();
    const sequence = records.map((x) => BigInt(x.dynamodb.SequenceNumber));
    expect([...sequence].sort((a, b) => (a < b ? -1 : 1))).toEqual(sequence);
  });

  test('a FilterCriteria on eventName INSERT drops MODIFY and REMOVE (and checkpoints past them)', async () => {
    const { name, streamArn } = await table();
    const r = recorder();
    const poller = await startPoller(streamArn, { filterCriteria: { filters: [{ pattern: JSON.stringify({ eventName: ['INSERT'] }) }] } }, r.invoker);
    await put(name, 'a');
    await ddb.send(new UpdateItemCommand({ TableName: name, Key: { id: { S: 'a' } }, UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': { N: '1' } } }));
    await put(name, 'b');
    await ddb.send(new DeleteItemCommand({ TableName: name, Key: { id: { S: 'a' } } }));
    await poller.drain();
    expect(r.batches.flat().map((x) => `${x.eventName} ${(x.dynamodb.Keys!.id as { S: string }).S}`)).toEqual(['INSERT a', 'INSERT b']);
    // The checkpoint is the REMOVE's sequence number: filtered records are consumed, not pending.
    const lastSequence = Object.values(poller.checkpoints())[0]!;
    expect(BigInt(lastSequence)).toBeGreaterThan(BigInt(r.batches.flat()[1].dynamodb.SequenceNumber));
  });

  test('an attribute filter on the new image, and exists:false on a missing userIdentity (user deletes only)', () => {
    const record = { eventName: 'REMOVE', dynamodb: { OldImage: { plan: { S: 'pro' } } } } as unknown as DynamoDbStreamEventRecord;
    const ttl = { ...record, userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } } as DynamoDbStreamEventRecord;
    const userDeletes = [{ pattern: JSON.stringify({ eventName: ['REMOVE'], userIdentity: { type: [{ exists: false }] } }) }];
    expect(matchesFilterCriteria(userDeletes, record)).toBe(true);
    expect(matchesFilterCriteria(userDeletes, ttl)).toBe(false);
    const pro = [{ pattern: JSON.stringify({ dynamodb: { OldImage: { plan: { S: ['pro'] } } } }) }];
    expect(matchesFilterCriteria(pro, record)).toBe(true);
    expect(matchesFilterCriteria([{ pattern: JSON.stringify({ dynamodb: { NewImage: { plan: { S: ['pro'] } } } }) }], record)).toBe(false);
  });

  test('bisect on a poison record: exactly that record reaches the on-failure queue in AWS\'s format, the records after it are processed', async () => {
    const { name, streamArn } = await table();
    const onFailure = await queue();
    for (const id of ['r1', 'r2', 'r3', 'r4', 'poison', 'r6', 'r7', 'r8']) await put(name, id);
    const r = recorder((event) => (event.Records.some((x) => (x.dynamodb.Keys!.id as { S: string }).S === 'poison') ? new Error('cannot handle poison') : undefined));
    const deliveries: Omit<Delivery, 'time'>[] = [];
    const settings = { batchSize: 10, bisectBatchOnFunctionError: true, maximumRetryAttempts: 2, onFailure: { queueUrl: onFailure } };
    const poller = await startPoller(streamArn, settings, r.invoker, { deliveries });
    await poller.drain();
    // 8 -> [4 ok][4 fail] -> [2 fail] -> [poison] x 3 (initial + 2 retries), [r6], [r7 r8]
    expect(r.batches.map(r.ids)).toEqual([
      ['r1', 'r2', 'r3', 'r4', 'poison', 'r6', 'r7', 'r8'],
      ['r1', 'r2', 'r3', 'r4'],
      ['poison', 'r6', 'r7', 'r8'],
      ['poison', 'r6'],
      ['poison'], ['poison'], ['poison'],
      ['r6'],
      ['r7', 'r8'],
    ]);
    const poison = r.batches[0][4];
    const messages = await receiveAll(onFailure);
    expect(messages).toHaveLength(1);
    const shardId = Object.keys(poller.checkpoints())[0];
    expect(messages[0]).toEqual({
      requestContext: { requestId: expect.stringMatching(/^[0-9a-f-]{36}$/), functionArn: FUNCTION_ARN, condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      DDBStreamBatchInfo: {
        shardId,
        startSequenceNumber: poison.dynamodb.SequenceNumber,
        endSequenceNumber: poison.dynamodb.SequenceNumber,
        approximateArrivalOfFirstRecord: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        approximateArrivalOfLastRecord: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        batchSize: 1,
        streamArn,
      },
    });
    expect(deliveries.filter((d) => d.outcome === 'dropped')).toHaveLength(1);
  });

  test('ReportBatchItemFailures: the retry starts at the failed record, the records before it are not delivered again', async () => {
    const { name, streamArn } = await table();
    for (const id of ['a', 'b', 'c', 'd', 'e']) await put(name, id);
    const r = recorder((event, call) => (call === 1
      ? { batchItemFailures: [3, 2].map((i) => ({ itemIdentifier: event.Records[i].dynamodb.SequenceNumber })) }
      : { batchItemFailures: [] }));
    const poller = await startPoller(streamArn, { functionResponseTypes: ['ReportBatchItemFailures'], maximumRetryAttempts: 3 }, r.invoker);
    await poller.drain();
    // The lowest failed sequence number (c) is the checkpoint's successor.
    expect(r.batches.map(r.ids)).toEqual([['a', 'b', 'c', 'd', 'e'], ['c', 'd', 'e']]);
    expect(poller.failures).toEqual([]);
  });

  test('ReportBatchItemFailures with an unknown itemIdentifier fails the whole batch; without the response type a response is ignored', async () => {
    const { name, streamArn } = await table();
    await put(name, 'a');
    await put(name, 'b');
    const strict = recorder((_e, call) => (call === 1 ? { batchItemFailures: [{ itemIdentifier: 'no-such-sequence' }] } : null));
    const poller = await startPoller(streamArn, { functionResponseTypes: ['ReportBatchItemFailures'] }, strict.invoker);
    await poller.drain();
    expect(strict.batches.map(strict.ids)).toEqual([['a', 'b'], ['a', 'b']]);
    const { streamArn: other, name: otherName } = await table();
    await put(otherName, 'x');
    const ignoring = recorder(() => ({ batchItemFailures: [{ itemIdentifier: 'whatever' }] }));
    const second = await startPoller(other, {}, ignoring.invoker);
    await second.drain();
    expect(ignoring.batches.map(ignoring.ids)).toEqual([['x']]);
  });

  test('without bisect a failing batch blocks its shard, in order, until retries are exhausted; then the whole batch is discarded', async () => {
    const { name, streamArn } = await table();
    const onFailure = await queue();
    await put(name, 'first');
    await put(name, 'bad');
    const r = recorder((event) => (r.ids(event.Records).includes('bad') ? new Error('boom') : undefined));
    const poller = await startPoller(streamArn, { batchSize: 2, maximumRetryAttempts: 1, onFailure: { queueUrl: onFailure } }, r.invoker);
    await poller.drain();
    await put(name, 'later');
    await poller.drain();
    expect(r.batches.map(r.ids)).toEqual([['first', 'bad'], ['first', 'bad'], ['later']]);
    type FailureRecord = {
      DDBStreamBatchInfo: { batchSize: number; startSequenceNumber: string };
      requestContext: { approximateInvokeCount: number };
    };
    const [message] = await receiveAll(onFailure) as FailureRecord[];
    expect(message.DDBStreamBatchInfo.batchSize).toBe(2);
    expect(message.DDBStreamBatchInfo.startSequenceNumber).toBe(r.batches[0][0].dynamodb.SequenceNumber);
    expect(message.requestContext.approximateInvokeCount).toBe(2);
  });

  test('MaximumRecordAgeInSeconds: a record older than the limit is discarded with RecordAgeExceeded', async () => {
    const { name, streamArn } = await table();
    let offset = 0;
    const r = recorder(() => { offset += 61_000; return new Error('still failing'); });
    const poller = await startPoller(streamArn, { maximumRecordAgeInSeconds: 60 }, r.invoker, { now: () => Date.now() + offset });
    await put(name, 'old');
    await poller.drain();
    expect(r.batches.map(r.ids)).toEqual([['old']]);
    expect(poller.failures.map((f) => [f.requestContext.condition, f.DDBStreamBatchInfo.batchSize, f.requestContext.approximateInvokeCount])).toEqual([['RecordAgeExceeded', 1, 1]]);
  });

  test('LATEST starts after what is already in the stream', async () => {
    const { name, streamArn } = await table();
    await put(name, 'before');
    const r = recorder();
    const poller = await startPoller(streamArn, { startingPosition: 'LATEST' }, r.invoker);
    await put(name, 'after');
    await poller.drain();
    expect(r.batches.map(r.ids)).toEqual([['after']]);
  });

  test('a TTL delete by DynamoDB Local arrives as AWS sends it: REMOVE with userIdentity Service / dynamodb.amazonaws.com', async () => {
    const { name, streamArn } = await table();
    await ddb.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } }));
    const r = recorder();
    const poller = await startPoller(streamArn, {}, r.invoker);
    await put(name, 'session', { expiresAt: { N: String(Math.floor(Date.now() / 1000) - 60) } });
    await put(name, 'deleted-by-user');
    await ddb.send(new DeleteItemCommand({ TableName: name, Key: { id: { S: 'deleted-by-user' } } }));
    const deadline = Date.now() + 45_000;
    while (!r.batches.flat().some((x) => x.userIdentity) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 200));
    await poller.drain();
    const removes = r.batches.flat().filter((x) => x.eventName === 'REMOVE');
    expect(removes.map((x) => [(x.dynamodb.Keys!.id as { S: string }).S, x.userIdentity])).toEqual(expect.arrayContaining([
      ['deleted-by-user', undefined],
      ['session', { type: 'Service', principalId: 'dynamodb.amazonaws.com' }],
    ]));
    const ttl = removes.find((x) => x.userIdentity)!;
    expect(Object.keys(ttl)).toEqual(['eventID', 'eventName', 'eventVersion', 'eventSource', 'awsRegion', 'dynamodb', 'eventSourceARN', 'userIdentity']);
    expect(ttl.dynamodb.OldImage!.id).toEqual({ S: 'session' });
  }, 60_000);
});
