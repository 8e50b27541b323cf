/**
 * The AsyncHttpApi handlers (submit, status) and the jobWorker runtime helper, run for real
 * against fauxqs (SQS, SNS) and dynalite (DynamoDB) on 127.0.0.1 with the AWS SDK v3 clients.
 * EventBridge has no local emulator: only its client is mocked (aws-sdk-client-mock).
 */
import { createHash } from 'crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Schema, Validator } from '@cfworker/json-schema';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { recordDeadLetteredJobs } from '../../src/async-http-api/runtime/dlq.handler';
import { ENV } from '../../src/async-http-api/runtime/env';
import { idempotencyItemKey } from '../../src/async-http-api/runtime/job-store';
import { jobStatus } from '../../src/async-http-api/runtime/status.handler';
import { submitJob, SubmitConfig } from '../../src/async-http-api/runtime/submit.handler';
import { jobWorker } from '../../src/runtime';
import { httpApiEvent, lambdaContext, sqsEvent } from '../fixtures/events';
import { RunningEmulator, startDynalite, startFauxqs } from '../helpers/emulators';
import { EventSourceMapping } from '../helpers/event-source';
import { completionInbox, createJobPipeline, JobPipeline } from '../helpers/job-pipeline';

const MAX_RECEIVE_COUNT = 3;
const ALICE = 'arn:aws:iam::123456789012:user/alice';
const BOB = 'arn:aws:iam::123456789012:user/bob';

let sqsEmulator: RunningEmulator;
let dynamoEmulator: RunningEmulator;
let sqs: SQSClient;
let ddb: DynamoDBClient;

beforeAll(async () => {
  [sqsEmulator, dynamoEmulator] = await Promise.all([startFauxqs(), startDynalite()]);
  sqs = new SQSClient({});
  ddb = new DynamoDBClient({});
});
afterAll(async () => {
  await Promise.all([sqsEmulator.stop(), dynamoEmulator.stop()]);
});

type Pipeline = JobPipeline;

/** A fresh table, queue and DLQ (redrive after MAX_RECEIVE_COUNT), and the environment the construct sets. */
function newPipeline(extra: Partial<SubmitConfig> = {}): Promise<Pipeline> {
  return createJobPipeline(MAX_RECEIVE_COUNT, extra);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Who calls: an IAM user ARN (the fixture's default is alice), or a whole authorizer context. */
type Caller = string | { authorizer?: Record<string, unknown> };

function as<T extends { requestContext: unknown }>(event: T, caller?: Caller): T {
  if (caller === undefined) return event;
  const authorizer = typeof caller === 'string' ? { iam: { userArn: caller } } : caller.authorizer;
  return { ...event, requestContext: { ...(event.requestContext as object), authorizer } };
}

function post(body: string | undefined, headers: Record<string, string> = { 'content-type': 'application/json' }, caller?: Caller) {
  return as(httpApiEvent({ method: 'POST', path: '/jobs', routeKey: 'POST /jobs', body, headers }), caller);
}

function get(jobId: string, caller?: Caller) {
  return as(httpApiEvent({ method: 'GET', path: `/jobs/${jobId}`, routeKey: 'GET /jobs/{jobId}', pathParameters: { jobId } }), caller);
}

function bodyOf(response: APIGatewayProxyStructuredResultV2): any {
  return JSON.parse(response.body!);
}

async function submit(p: Pipeline, body: string | undefined, headers?: Record<string, string>, caller?: Caller) {
  return submitJob(post(body, headers, caller), p.config, p.store, sqs);
}

async function status(p: Pipeline, jobId: string, caller?: Caller) {
  const response = await jobStatus(get(jobId, caller), p.store);
  return { statusCode: response.statusCode, body: bodyOf(response) };
}

async function visibleMessages(queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({
    QueueUrl: queueUrl,
    AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
  }));
  return Number(Attributes!.ApproximateNumberOfMessages) + Number(Attributes!.ApproximateNumberOfMessagesNotVisible);
}

async function itemCount(tableName: string): Promise<number> {
  return (await ddb.send(new ScanCommand({ TableName: tableName, Select: 'COUNT' }))).Count ?? 0;
}

describe('POST /jobs, worker, GET /jobs/{jobId}', () => {
  test('a job runs end to end: 202 with a job id and Location, the worker runs it, GET answers SUCCEEDED with the result', async () => {
    // GIVEN
    const p = await newPipeline();
    const worker = jobWorker(async (job: { payload: { n: number } }) => ({ doubled: job.payload.n * 2 }));
    // WHEN
    const accepted = await submit(p, '{"n":21}');
    const { jobId, status: initial, statusUrl } = bodyOf(accepted);
    const pending = await status(p, jobId);
    await new EventSourceMapping(p.queueUrl, worker).drain();
    const done = await status(p, jobId);
    // THEN
    expect(accepted.statusCode).toBe(202);
    expect(initial).toBe('PENDING');
    expect(statusUrl).toBe(`https://abc123.execute-api.us-east-1.amazonaws.com/jobs/${jobId}`);
    expect(accepted.headers?.location).toBe(statusUrl);
    expect(pending.body).toMatchObject({ jobId, status: 'PENDING', attempts: 0 });
    expect(done.statusCode).toBe(200);
    expect(done.body).toMatchObject({ jobId, status: 'SUCCEEDED', attempts: 1, result: { doubled: 42 } });
    expect(Date.parse(done.body.finishedAt)).toBeGreaterThanOrEqual(Date.parse(done.body.createdAt));
    expect(await visibleMessages(p.queueUrl)).toBe(0);
  });

  test('a worker that always throws is retried, then the job ends FAILED with the error and the message in the DLQ', async () => {
    const p = await newPipeline();
    const calls: number[] = [];
    const worker = jobWorker(async (job) => {
      calls.push(job.attempt);
      throw new Error('renderer unavailable');
    });
    const { jobId } = bodyOf(await submit(p, '{"report":"q3"}'));
    const mapping = new EventSourceMapping(p.queueUrl, worker);
    for (let i = 0; i < MAX_RECEIVE_COUNT; i++) {
      const running = await status(p, jobId);
      expect(running.body.status).toBe(i === 0 ? 'PENDING' : 'RUNNING'); // never FAILED before the last attempt
      await mapping.pollOnce();
    }
    await mapping.pollOnce(); // the redrive happens on the receive after the last one
    const failed = await status(p, jobId);
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: p.deadLetterQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect(calls).toEqual([1, 2, 3]);
    expect(failed.body).toMatchObject({ status: 'FAILED', attempts: 3, error: { name: 'Error', message: 'renderer unavailable' } });
    expect(dead.Messages?.map((m) => JSON.parse(m.Body!).jobId)).toEqual([jobId]);
    expect(await visibleMessages(p.queueUrl)).toBe(0);
  });

  test('a worker that fails once and then succeeds ends SUCCEEDED after 2 attempts', async () => {
    const p = await newPipeline();
    let calls = 0;
    const worker = jobWorker(async () => {
      calls++;
      if (calls === 1) throw new Error('throttled');
      return 'ok';
    });
    const { jobId } = bodyOf(await submit(p, '{}'));
    await new EventSourceMapping(p.queueUrl, worker).drain();
    expect(calls).toBe(2);
    expect((await status(p, jobId)).body).toMatchObject({ status: 'SUCCEEDED', attempts: 2, result: 'ok' });
  });

  test('a duplicate delivery of a finished job does not run the job function again', async () => {
    const p = await newPipeline();
    let calls = 0;
    const worker = jobWorker(async () => ++calls);
    const { jobId } = bodyOf(await submit(p, '{"x":1}'));
    const mapping = new EventSourceMapping(p.queueUrl, worker);
    await mapping.drain();
    // SQS standard queues deliver at least once: the same message arrives again.
    await sqs.send(new SendMessageCommand({ QueueUrl: p.queueUrl, MessageBody: JSON.stringify({ jobId, payload: { x: 1 } }) }));
    await mapping.drain();
    expect(calls).toBe(1);
    expect((await status(p, jobId)).body).toMatchObject({ status: 'SUCCEEDED', result: 1, attempts: 1 });
    expect(await visibleMessages(p.queueUrl)).toBe(0);
  });

  test('one failing job in a batch is retried alone; the others succeed once', async () => {
    const p = await newPipeline();
    const runs: Record<string, number> = {};
    const worker = jobWorker(async (job: { payload: { id: string } }) => {
      runs[job.payload.id] = (runs[job.payload.id] ?? 0) + 1;
      if (job.payload.id === 'bad' && runs.bad === 1) throw new Error('transient');
      return job.payload.id;
    });
    for (const id of ['a', 'bad', 'c']) await submit(p, JSON.stringify({ id }));
    await new EventSourceMapping(p.queueUrl, worker).drain();
    expect(runs).toEqual({ a: 1, bad: 2, c: 1 });
  });

  test('a result too large for the job record ends the job FAILED without retrying it', async () => {
    const p = await newPipeline();
    let calls = 0;
    const worker = jobWorker(async () => {
      calls++;
      return 'x'.repeat(400_000);
    });
    const { jobId } = bodyOf(await submit(p, '{}'));
    await new EventSourceMapping(p.queueUrl, worker).drain();
    const failed = await status(p, jobId);
    expect(calls).toBe(1);
    expect(failed.body.status).toBe('FAILED');
    expect(failed.body.error.name).toBe('ResultTooLargeError');
    expect(failed.body.error.message).toMatch(/at most 350000 fit in the job record/);
  });

  test('a message that is not a job ends in the DLQ after maxReceiveCount receives', async () => {
    const p = await newPipeline();
    let calls = 0;
    const worker = jobWorker(async () => ++calls);
    await sqs.send(new SendMessageCommand({ QueueUrl: p.queueUrl, MessageBody: 'not json' }));
    const mapping = new EventSourceMapping(p.queueUrl, worker);
    for (let i = 0; i <= MAX_RECEIVE_COUNT; i++) await mapping.pollOnce();
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: p.deadLetterQueueUrl, WaitTimeSeconds: 1 }));
    expect(calls).toBe(0);
    expect(dead.Messages?.map((m) => m.Body)).toEqual(['not json']);
  });
});

describe('Idempotency-Key', () => {
  test('a repeated request with the same key and body returns the same job and enqueues one message', async () => {
    const p = await newPipeline();
    const headers = { 'content-type': 'application/json', 'idempotency-key': 'order-7781' };
    const first = await submit(p, '{"order":7781}', headers);
    const second = await submit(p, '{"order":7781}', headers);
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(202);
    expect(bodyOf(second).jobId).toBe(bodyOf(first).jobId);
    expect(await visibleMessages(p.queueUrl)).toBe(1);
    expect(await itemCount(p.tableName)).toBe(2); // the job and its key item
  });

  test('the same key with a different body is rejected with 422 and enqueues nothing more', async () => {
    const p = await newPipeline();
    const headers = { 'content-type': 'application/json', 'idempotency-key': 'k1' };
    await submit(p, '{"a":1}', headers);
    const reused = await submit(p, '{"a":2}', headers);
    expect(reused.statusCode).toBe(422);
    expect(bodyOf(reused)).toEqual({ error: 'IdempotencyKeyReused', message: 'this Idempotency-Key was already used with a different body' });
    expect(await visibleMessages(p.queueUrl)).toBe(1);
  });

  test('two callers using the same key get different jobs, each queued once', async () => {
    const p = await newPipeline();
    const headers = { 'content-type': 'application/json', 'idempotency-key': 'order-42' };
    const alice = bodyOf(await submit(p, '{"order":42}', headers, ALICE)).jobId;
    const bob = bodyOf(await submit(p, '{"order":42}', headers, BOB)).jobId;
    expect(alice).not.toBe(bob);
    expect(await visibleMessages(p.queueUrl)).toBe(2);
  });

  test('the job id of a keyed request is random: the same caller and key in another deployment get another id', async () => {
    // On v0.1 the id was sha256(caller + key), computable by anyone who knows both.
    const headers = { 'content-type': 'application/json', 'idempotency-key': 'order-42' };
    const first = bodyOf(await submit(await newPipeline(), '{}', headers, ALICE)).jobId;
    const second = bodyOf(await submit(await newPipeline(), '{}', headers, ALICE)).jobId;
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/); // RFC 9562 version 4
    expect(first).not.toBe(second);
  });

  test('the key is stored hashed with its owner, apart from the job: the table holds no item named after the key or the job id derivation', async () => {
    const p = await newPipeline();
    const { jobId } = bodyOf(await submit(p, '{}', { 'content-type': 'application/json', 'idempotency-key': 'order-42' }, ALICE));
    const items = (await ddb.send(new ScanCommand({ TableName: p.tableName }))).Items!;
    const keyItem = items.find((i) => i.jobId.S!.startsWith('idempotency#'))!;
    expect(items).toHaveLength(2);
    expect(keyItem.jobId.S).toMatch(/^idempotency#[0-9a-f]{64}$/);
    expect(keyItem.targetJobId.S).toBe(jobId);
    expect(JSON.stringify(items)).not.toContain('order-42');
    // and GET cannot reach the key item: it is not a job id
    expect((await status(p, keyItem.jobId.S!, ALICE)).statusCode).toBe(400);
  });
});

describe('Idempotency-Key races', () => {
  test('a repeat that records the job while the first request is between its key and its job write leaves one message, not two', async () => {
    // GIVEN a first request paused right after claiming its key, and a client retry that runs meanwhile
    const p = await newPipeline();
    const headers = { 'content-type': 'application/json', 'idempotency-key': 'race-1' };
    let retry: APIGatewayProxyStructuredResultV2 | undefined;
    const pausing = Object.create(p.store) as typeof p.store;
    pausing.claimIdempotencyKey = async (...args: Parameters<typeof p.store.claimIdempotencyKey>) => {
      const claim = await p.store.claimIdempotencyKey(...args);
      retry = await submit(p, '{"n":1}', headers);
      return claim;
    };
    // WHEN the first request goes on
    const first = await submitJob(post('{"n":1}', headers), p.config, pausing, sqs);
    // THEN both answer the same job, and it was enqueued once
    expect([first.statusCode, retry!.statusCode]).toEqual([202, 202]);
    expect(bodyOf(first).jobId).toBe(bodyOf(retry!).jobId);
    expect(await visibleMessages(p.queueUrl)).toBe(1);
  });
});

describe('job results', () => {
  test('a result that is not plain JSON (a Date, NaN) is stored as the JSON it serializes to, at the first attempt', async () => {
    const p = await newPipeline();
    const { jobId } = bodyOf(await submit(p, '{}'));
    await new EventSourceMapping(p.queueUrl, jobWorker(async () => ({ at: new Date(0), ratio: Number.NaN }))).drain();
    expect((await status(p, jobId)).body).toMatchObject({ status: 'SUCCEEDED', attempts: 1, result: { at: '1970-01-01T00:00:00.000Z', ratio: null } });
  });
});

describe('bad requests get a 4xx JSON error and leave nothing behind', () => {
  const schema: Schema = {
    type: 'object',
    required: ['report'],
    properties: { report: { type: 'string' }, pages: { type: 'integer', minimum: 1 } },
    additionalProperties: false,
  };

  test.each([
    ['a body that is not JSON', '{"a":', { 'content-type': 'application/json' }, 400, 'InvalidJson'],
    ['an empty body', undefined, { 'content-type': 'application/json' }, 400, 'InvalidJson'],
    ['a Content-Type other than JSON', '{"a":1}', { 'content-type': 'text/plain' }, 415, 'UnsupportedMediaType'],
    ['no Content-Type', '{"a":1}', {}, 415, 'UnsupportedMediaType'],
    ['a body over maxPayloadBytes', JSON.stringify({ report: 'x'.repeat(2_000) }), { 'content-type': 'application/json' }, 413, 'PayloadTooLarge'],
    ['a body that violates the request schema', '{"pages":0,"extra":true}', { 'content-type': 'application/json' }, 400, 'ValidationFailed'],
    ['an Idempotency-Key with spaces', '{"report":"q3"}', { 'content-type': 'application/json', 'idempotency-key': 'a b' }, 400, 'InvalidIdempotencyKey'],
  ])('%s', async (_name, body, headers, statusCode, error) => {
    const p = await newPipeline({ maxPayloadBytes: 1_000, validator: new Validator(schema, '2020-12', false) });
    const response = await submit(p, body, headers as Record<string, string>);
    expect(response.statusCode).toBe(statusCode);
    expect(response.headers?.['content-type']).toBe('application/json');
    expect(bodyOf(response)).toMatchObject({ error, message: expect.any(String) });
    expect(response.body).not.toMatch(/ at .*\.(ts|js):\d+/); // no stack trace
    expect(await visibleMessages(p.queueUrl)).toBe(0);
    expect(await itemCount(p.tableName)).toBe(0);
  });

  test('schema violations are listed one per violated rule', async () => {
    const p = await newPipeline({ validator: new Validator(schema, '2020-12', false) });
    const response = await submit(p, '{"pages":0,"extra":true}');
    expect(bodyOf(response).details).toEqual(expect.arrayContaining([
      expect.objectContaining({ path: '/', message: expect.stringMatching(/report/) }),
      expect.objectContaining({ path: '/pages', message: expect.stringMatching(/minimum|1/) }),
    ]));
  });

  test('a valid body with charset in the Content-Type is accepted', async () => {
    const p = await newPipeline();
    const response = await submit(p, '{"a":1}', { 'content-type': 'application/json; charset=utf-8' });
    expect(response.statusCode).toBe(202);
  });
});

describe('GET /jobs/{jobId}', () => {
  test('an unknown job id answers 404', async () => {
    const p = await newPipeline();
    const response = await status(p, '00000000-0000-4000-8000-000000000000');
    expect(response).toEqual({ statusCode: 404, body: { error: 'JobNotFound', message: 'no job 00000000-0000-4000-8000-000000000000 (unknown, or expired)' } });
  });

  test('a malformed job id answers 400 without reading the table', async () => {
    const p = await newPipeline();
    const response = await status(p, 'not-a-uuid');
    expect(response.statusCode).toBe(400);
    expect(response.body.error).toBe('InvalidJobId');
  });
});

describe('failures around the queue', () => {
  test('when enqueueing fails the job is marked FAILED (never stuck PENDING) and the client gets 503', async () => {
    const p = await newPipeline();
    const broken = { ...p.config, queueUrl: `${p.queueUrl}-does-not-exist` };
    const response = await submitJob(post('{"a":1}'), broken, p.store, sqs);
    const scan = await ddb.send(new ScanCommand({ TableName: p.tableName }));
    expect(response.statusCode).toBe(503);
    expect(bodyOf(response).error).toBe('EnqueueFailed');
    expect(scan.Items?.map((i) => i.status.S)).toEqual(['FAILED']);
  });
});

describe('completion events', () => {
  test('JobSucceeded and JobFailed are published to the completion topic (SNS -> SQS)', async () => {
    const p = await newPipeline();
    const inbox = await completionInbox();
    const worker = jobWorker(async (job: { payload: { fail: boolean } }) => {
      if (job.payload.fail) throw new Error('boom');
      return 1;
    });
    const ok = bodyOf(await submit(p, '{"fail":false}')).jobId;
    const bad = bodyOf(await submit(p, '{"fail":true}')).jobId;
    const mapping = new EventSourceMapping(p.queueUrl, worker);
    for (let i = 0; i <= MAX_RECEIVE_COUNT; i++) await mapping.pollOnce();
    const notices = (await inbox()).sort((a, b) => a.type.localeCompare(b.type));
    expect(notices).toEqual([
      { type: 'JobFailed', jobId: bad, error: { name: 'Error', message: 'boom' } },
      { type: 'JobSucceeded', jobId: ok },
    ]);
  });

  test('JobSucceeded goes to the completion bus (EventBridge client mocked: no local emulator exists)', async () => {
    const p = await newPipeline();
    const events = mockClient(EventBridgeClient);
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    try {
      process.env[ENV.COMPLETION_EVENT_BUS_NAME] = 'jobs-bus';
      const { jobId } = bodyOf(await submit(p, '{}'));
      await new EventSourceMapping(p.queueUrl, jobWorker(async () => 'done')).drain();
      const calls = events.commandCalls(PutEventsCommand);
      expect(calls).toHaveLength(1);
      expect(calls[0].args[0].input.Entries).toEqual([{
        EventBusName: 'jobs-bus',
        Source: 'cdk-serverless-patterns.async-http-api',
        DetailType: 'JobSucceeded',
        Detail: JSON.stringify({ jobId }),
      }]);
    } finally {
      events.restore();
    }
  });
});

describe('the deployed handler entry points', () => {
  test('submit reads its configuration (table, queue, limits, schema) from the environment the construct sets', async () => {
    const p = await newPipeline();
    process.env[ENV.MAX_PAYLOAD_BYTES] = '100';
    process.env[ENV.REQUEST_SCHEMA] = JSON.stringify({ type: 'object', required: ['report'] });
    try {
      let handler: typeof import('../../src/async-http-api/runtime/submit.handler').handler;
      jest.isolateModules(() => {
        // A fresh module, so the handler reads this test's environment once, as a cold start does.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        handler = require('../../src/async-http-api/runtime/submit.handler').handler;
      });
      const tooLarge = await handler!(post(JSON.stringify({ report: 'x'.repeat(200) })));
      const invalid = await handler!(post('{"pages":1}'));
      const ok = await handler!(post('{"report":"q3"}'));
      expect([tooLarge.statusCode, invalid.statusCode, ok.statusCode]).toEqual([413, 400, 202]);
      expect(await visibleMessages(p.queueUrl)).toBe(1);
    } finally {
      delete process.env[ENV.MAX_PAYLOAD_BYTES];
      delete process.env[ENV.REQUEST_SCHEMA];
    }
  });

  test('status answers 500 JSON, not a stack trace, when the table cannot be read', async () => {
    process.env[ENV.JOBS_TABLE_NAME] = 'no-such-table';
    let handler: typeof import('../../src/async-http-api/runtime/status.handler').handler;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler = require('../../src/async-http-api/runtime/status.handler').handler;
    });
    const response = await handler!(get('00000000-0000-4000-8000-000000000000'));
    expect(response.statusCode).toBe(500);
    expect(bodyOf(response)).toEqual({ error: 'InternalError', message: 'the job status could not be read; try again' });
  });
});

describe('jobs belong to their owner', () => {
  const UNKNOWN = '00000000-0000-4000-8000-000000000000';

  test('another IAM caller reading a job gets 404 with the very body of an unknown id', async () => {
    const p = await newPipeline();
    const { jobId } = bodyOf(await submit(p, '{}', undefined, ALICE));
    const own = await status(p, jobId, ALICE);
    const other = await status(p, jobId, BOB);
    const unknown = await status(p, UNKNOWN, BOB);
    expect(own.statusCode).toBe(200);
    expect(other.statusCode).toBe(404);
    expect(other.body).toEqual({ ...unknown.body, message: unknown.body.message.replace(UNKNOWN, jobId) });
  });

  test('with a JWT authorizer the owner is issuer + subject: the same sub from another issuer is someone else', async () => {
    const p = await newPipeline();
    const jwt = (iss: string, sub: string) => ({ authorizer: { jwt: { claims: { iss, sub }, scopes: null } } });
    const { jobId } = bodyOf(await submit(p, '{}', undefined, jwt('https://idp.example.com', 'user-1')));
    expect((await status(p, jobId, jwt('https://idp.example.com', 'user-1'))).statusCode).toBe(200);
    expect((await status(p, jobId, jwt('https://idp.example.com', 'user-2'))).statusCode).toBe(404);
    expect((await status(p, jobId, jwt('https://evil.example.com', 'user-1'))).statusCode).toBe(404);
    expect((await p.store.get(jobId))!.owner).toBe('https://idp.example.com|user-1');
  });

  test('with a Lambda authorizer the owner is its principalId', async () => {
    const p = await newPipeline();
    const lambdaAuth = (principalId: string) => ({ authorizer: { lambda: { principalId } } });
    const { jobId } = bodyOf(await submit(p, '{}', undefined, lambdaAuth('tenant-a')));
    expect((await status(p, jobId, lambdaAuth('tenant-a'))).statusCode).toBe(200);
    expect((await status(p, jobId, lambdaAuth('tenant-b'))).statusCode).toBe(404);
  });

  test('an API without authorization has one owner: every anonymous caller reads every job', async () => {
    const p = await newPipeline();
    const { jobId } = bodyOf(await submit(p, '{}', undefined, { authorizer: undefined }));
    expect((await status(p, jobId, { authorizer: undefined })).statusCode).toBe(200);
    expect((await status(p, jobId, ALICE)).statusCode).toBe(404);
  });

  test('fails with 403 when an authorizer ran but named no caller, and writes nothing', async () => {
    const p = await newPipeline();
    const response = await submit(p, '{}', undefined, { authorizer: { jwt: { claims: { iss: 'https://idp.example.com' } } } });
    expect(response.statusCode).toBe(403);
    expect(bodyOf(response).error).toBe('UnknownCaller');
    expect(await itemCount(p.tableName)).toBe(0);
  });

  test('another caller replaying the owner\'s Idempotency-Key gets a job of their own, never the owner\'s', async () => {
    const p = await newPipeline();
    const headers = { 'content-type': 'application/json', 'idempotency-key': 'order-42' };
    const mine = bodyOf(await submit(p, '{"secret":1}', headers, ALICE)).jobId;
    const theirs = await submit(p, '{"secret":1}', headers, BOB);
    expect(bodyOf(theirs).jobId).not.toBe(mine);
    expect((await status(p, mine, BOB)).statusCode).toBe(404);
  });
});

describe('hostile input is answered as documented, never with a 5xx or a stack trace', () => {
  const json = { 'content-type': 'application/json' };
  const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
  const schema: Schema = { type: 'array' };

  test.each([
    ['an Idempotency-Key of 256 characters', '{}', { ...json, 'idempotency-key': 'k'.repeat(256) }, 400, 'InvalidIdempotencyKey'],
    ['an Idempotency-Key with a control character', '{}', { ...json, 'idempotency-key': 'order\u000142' }, 400, 'InvalidIdempotencyKey'],
    ['an Idempotency-Key with a tab', '{}', { ...json, 'idempotency-key': 'order\t42' }, 400, 'InvalidIdempotencyKey'],
    ['an Idempotency-Key with non-ASCII characters', '{}', { ...json, 'idempotency-key': 'commande-é' }, 400, 'InvalidIdempotencyKey'],
    ['a body nested 10,000 levels deep', deep(10_000), json, 400, 'NestingTooDeep'],
    ['a body nested 101 levels deep', deep(101), json, 400, 'NestingTooDeep'],
  ])('%s', async (_name, body, headers, statusCode, error) => {
    const p = await newPipeline();
    const response = await submit(p, body, headers as Record<string, string>);
    expect(response.statusCode).toBe(statusCode);
    expect(bodyOf(response)).toMatchObject({ error, message: expect.any(String) });
    expect(response.body).not.toMatch(/ at .*\.(ts|js):\d+/);
    expect(await itemCount(p.tableName)).toBe(0);
    expect(await visibleMessages(p.queueUrl)).toBe(0);
  });

  test('the documented limits are in the error messages', async () => {
    const p = await newPipeline();
    expect(bodyOf(await submit(p, '{}', { ...json, 'idempotency-key': 'k'.repeat(256) })).message).toMatch(/1 to 255 visible ASCII characters/);
    expect(bodyOf(await submit(p, deep(101))).message).toMatch(/deeper than 100 levels/);
  });

  test('a body nested 10,000 levels deep is rejected with 400 when a request schema is set (the validator recursed into a 500)', async () => {
    const p = await newPipeline({ validator: new Validator(schema, '2020-12', false) });
    const response = await submit(p, deep(10_000));
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).error).toBe('NestingTooDeep');
  });

  test('a body within maxPayloadBytes whose queue message would exceed 256 KiB once U+FFFF is escaped gets 413, not a 503 that no retry can fix', async () => {
    const p = await newPipeline();
    const body = JSON.stringify({ s: '\uffff'.repeat(80_000) }); // 240 KB as sent, 480 KB escaped
    const response = await submit(p, body);
    expect(Buffer.byteLength(body)).toBeLessThan(p.config.maxPayloadBytes);
    expect(response.statusCode).toBe(413);
    expect(bodyOf(response).message).toMatch(/the limit is 262144/);
    expect(await itemCount(p.tableName)).toBe(0);
  });

  test('an Idempotency-Key of exactly 255 characters and a body nested 100 levels are accepted', async () => {
    const p = await newPipeline();
    const response = await submit(p, deep(100), { ...json, 'idempotency-key': 'k'.repeat(255) });
    expect(response.statusCode).toBe(202);
  });

  test.each([
    ['a JSON array', '[1,"two",{"three":3}]', [1, 'two', { three: 3 }]],
    ['a bare string', '"hello"', 'hello'],
    ['a bare number beyond double precision', '12345678901234567890', 12345678901234567000],
    ['null', 'null', null],
    ['a string with U+FFFF, which SQS messages may not carry raw', '{"s":"a\uffffb"}', { s: 'a\uffffb' }],
  ])('%s is accepted and the worker receives it as sent', async (_name, body, expected) => {
    const p = await newPipeline();
    const received: unknown[] = [];
    const accepted = await submit(p, body);
    await new EventSourceMapping(p.queueUrl, jobWorker(async (job) => received.push(job.payload))).drain();
    expect(accepted.statusCode).toBe(202);
    expect(received).toEqual([expected]);
    expect((await status(p, bodyOf(accepted).jobId)).body.status).toBe('SUCCEEDED');
  });

  test.each([
    ['an encoded slash', 'a%2Fb'],
    ['a decoded slash', '00000000-0000-4000-8000-000000000000/../x'],
    ['unicode', '０００００００-0000-4000-8000-000000000000'],
    ['an upper-case UUID', '00000000-0000-4000-8000-00000000000A'],
    ['the empty string', ''],
    ['an Idempotency-Key item id', `idempotency#${'0'.repeat(64)}`],
  ])('a jobId with %s answers 400 InvalidJobId JSON', async (_name, jobId) => {
    const p = await newPipeline();
    const response = await status(p, jobId);
    expect(response.statusCode).toBe(400);
    expect(response.body).toEqual({ error: 'InvalidJobId', message: 'jobId must be a lower-case UUID as returned by POST /jobs' });
  });
});

describe('leases: one delivery at a time runs a job', () => {
  async function receiveOne(queueUrl: string) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({
      QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    }));
    expect(Messages).toHaveLength(1);
    return Messages[0];
  }
  async function queueArnOf(queueUrl: string) {
    return (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  }
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  test('the same message delivered twice at once runs the job function once; the second delivery is reported failed, to come back later', async () => {
    // GIVEN
    const p = await newPipeline();
    let calls = 0;
    const worker = jobWorker(async () => {
      calls++;
      await sleep(300);
      return 'done';
    });
    const { jobId } = bodyOf(await submit(p, '{}'));
    const message = await receiveOne(p.queueUrl);
    const event = sqsEvent(await queueArnOf(p.queueUrl), [message]);
    // WHEN
    const [first, second] = await Promise.all([worker(event, lambdaContext()), sleep(50).then(() => worker(event, lambdaContext()))]);
    // THEN
    expect(calls).toBe(1);
    // whichever took the lease first ran it; the other reported the record failed
    const failures = [first.batchItemFailures, second.batchItemFailures].sort((a, b) => a.length - b.length);
    expect(failures).toEqual([[], [{ itemIdentifier: message.MessageId }]]);
    expect((await status(p, jobId)).body).toMatchObject({ status: 'SUCCEEDED', attempts: 1, result: 'done' });
  });

  test('a redelivery of the message whose earlier delivery holds a live lease does not run the job function, and comes back later', async () => {
    const p = await newPipeline();
    let calls = 0;
    const { jobId } = bodyOf(await submit(p, '{}'));
    const message = await receiveOne(p.queueUrl);
    const holder = `${message.MessageId}/earlier-delivery`;
    await p.store.acquireLease(jobId, holder, Date.now() + 60_000);
    const response = await jobWorker(async () => ++calls)(sqsEvent(await queueArnOf(p.queueUrl), [message]), lambdaContext());
    expect(calls).toBe(0);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: message.MessageId }]);
    expect((await p.store.get(jobId))).toMatchObject({ status: 'RUNNING', leaseToken: holder, attempts: 1 });
  });

  test('a second message of a job that another message runs under a live lease is dropped, not retried until it is dead-lettered', async () => {
    // GIVEN a job enqueued twice, its first message running under a live lease
    const p = await newPipeline();
    let calls = 0;
    const { jobId } = bodyOf(await submit(p, '{}'));
    await sqs.send(new SendMessageCommand({ QueueUrl: p.queueUrl, MessageBody: JSON.stringify({ jobId, payload: {} }) }));
    const first = await receiveOne(p.queueUrl);
    const second = await receiveOne(p.queueUrl);
    await p.store.acquireLease(jobId, `${first.MessageId}/running`, Date.now() + 60_000);
    // WHEN the second message is delivered
    const response = await jobWorker(async () => ++calls)(sqsEvent(await queueArnOf(p.queueUrl), [second]), lambdaContext());
    // THEN it does not run, is not retried (deleted), and the job is untouched
    expect(calls).toBe(0);
    expect(response.batchItemFailures).toEqual([]);
    expect((await p.store.get(jobId))).toMatchObject({ status: 'RUNNING', leaseToken: `${first.MessageId}/running`, attempts: 1 });
  });

  test('a lease that expired (its worker died) is taken over, and only the new holder records the outcome', async () => {
    const p = await newPipeline();
    const { jobId } = bodyOf(await submit(p, '{}'));
    await p.store.acquireLease(jobId, 'dead-delivery', Date.now() - 1);
    await new EventSourceMapping(p.queueUrl, jobWorker(async () => 'taken over')).drain();
    expect(await p.store.markSucceeded(jobId, 'late', 'dead-delivery')).toBe(false); // the dead one wakes up late
    expect((await status(p, jobId)).body).toMatchObject({ status: 'SUCCEEDED', attempts: 2, result: 'taken over' });
  });

  test('a failed attempt gives its lease up, so the retry runs at once', async () => {
    const p = await newPipeline();
    const attempts: number[] = [];
    const worker = jobWorker(async (job) => {
      attempts.push(job.attempt);
      if (job.attempt === 1) throw new Error('transient');
      return 'ok';
    });
    const { jobId } = bodyOf(await submit(p, '{}'));
    const mapping = new EventSourceMapping(p.queueUrl, worker);
    await mapping.pollOnce();
    const between = await p.store.get(jobId);
    await mapping.drain();
    expect(between).toMatchObject({ status: 'RUNNING', lastError: { name: 'Error', message: 'transient' } });
    expect(between!.leaseExpiresAt).toBeUndefined();
    expect(attempts).toEqual([1, 2]);
  });

  test('a job longer than the visibility timeout is not redelivered while it runs: the heartbeat extends the message and the lease', async () => {
    // GIVEN a queue whose messages reappear after 1 second, and a job that runs 3.5 seconds
    const p = await newPipeline();
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: p.queueUrl, Attributes: { VisibilityTimeout: '1' } }));
    let calls = 0;
    const worker = jobWorker(async () => {
      calls++;
      await sleep(3_500);
      return 'long';
    }, { leaseSeconds: 1.5, heartbeatSeconds: 0.4 });
    const { jobId } = bodyOf(await submit(p, '{}'));
    const first = new EventSourceMapping(p.queueUrl, worker);
    const second = new EventSourceMapping(p.queueUrl, worker);
    // WHEN a second poller keeps polling while the first delivery runs
    const running = first.pollOnce();
    let receivedBySecond = 0;
    const leases: number[] = [];
    for (let i = 0; i < 12; i++) {
      await sleep(250);
      receivedBySecond += (await second.pollOnce()).received;
      leases.push((await p.store.get(jobId))?.leaseExpiresAt ?? 0);
    }
    await running;
    // THEN
    expect(receivedBySecond).toBe(0);
    expect(calls).toBe(1);
    expect(Math.max(...leases)).toBeGreaterThan(leases[0]); // extended
    expect((await status(p, jobId)).body).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect(await visibleMessages(p.queueUrl)).toBe(0);
  });

  test('the heartbeat stops at the invocation\'s deadline: the lease ends shortly after it, so a redelivery can take over', async () => {
    const p = await newPipeline();
    const { jobId } = bodyOf(await submit(p, '{}'));
    const message = await receiveOne(p.queueUrl);
    const started = Date.now();
    const context = { ...lambdaContext(), getRemainingTimeInMillis: () => 1_000 };
    const worker = jobWorker(async () => {
      await sleep(2_500); // past the 1 s deadline: Lambda would have stopped the invocation
      return 'too late';
    }, { leaseSeconds: 30, heartbeatSeconds: 0.2 });
    void worker(sqsEvent(await queueArnOf(p.queueUrl), [message]), context);
    await sleep(2_200);
    const record = await p.store.get(jobId);
    expect(record!.status).toBe('RUNNING');
    expect(record!.leaseExpiresAt).toBeLessThanOrEqual(started + 1_000 + 1_000 + 100); // deadline + 1 s grace
    await sleep(500);
  });

  test('each job in a batch logs with its own correlation id, through job.logger and the worker\'s own lines', async () => {
    // GIVEN three jobs in one batch, whose functions interleave
    const p = await newPipeline();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(bodyOf(await submit(p, JSON.stringify({ delay: 90 - i * 40 }))).jobId);
    const lines: Array<Record<string, unknown>> = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        try {
          lines.push(JSON.parse(line));
        } catch {
          // not a log line
        }
      }
      return true;
    });
    try {
      const worker = jobWorker(async (job: { payload: { delay: number }; logger: Logger; jobId: string }) => {
        job.logger.info('working');
        await sleep(job.payload.delay);
        job.logger.info('done working', { mine: job.jobId });
        return 1;
      }, { logger: new Logger({ logLevel: 'INFO', serviceName: 'reports' }) });
      // WHEN
      await new EventSourceMapping(p.queueUrl, worker).drain();
    } finally {
      write.mockRestore();
    }
    // THEN every line of a job carries that job's id as correlation id
    const relevant = lines.filter((l) => ['working', 'done working', 'job succeeded'].includes(String(l.message)));
    expect(relevant).toHaveLength(9);
    for (const line of relevant) expect(line.correlation_id).toBe(line.jobId);
    expect(new Set(relevant.map((l) => l.correlation_id))).toEqual(new Set(ids));
    expect(relevant.filter((l) => l.message === 'done working').every((l) => l.mine === l.correlation_id)).toBe(true);
  });

  test('a batch in which every job fails reports every record as an item failure instead of failing the invocation', async () => {
    const p = await newPipeline();
    for (let i = 0; i < 3; i++) await submit(p, '{}');
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: p.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    const response = await jobWorker(async () => {
      throw new Error('down');
    })(sqsEvent(await queueArnOf(p.queueUrl), Messages), lambdaContext());
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(Messages.map((m) => m.MessageId).sort());
  });
});

describe('no stuck jobs', () => {
  const keyed = (key: string) => ({ 'content-type': 'application/json', 'idempotency-key': key });

  test('a repeated Idempotency-Key after a failed enqueue (503) enqueues the job again, and it runs', async () => {
    // GIVEN a submit whose enqueue failed
    const p = await newPipeline();
    const broken = { ...p.config, queueUrl: `${p.queueUrl}-does-not-exist` };
    const failed = await submitJob(post('{"a":1}', keyed('order-9')), broken, p.store, sqs);
    // WHEN the client retries with the same key, as the 503 tells it to
    const retried = await submit(p, '{"a":1}', keyed('order-9'));
    const before = await status(p, bodyOf(retried).jobId);
    await new EventSourceMapping(p.queueUrl, jobWorker(async () => 'ran')).drain();
    // THEN
    expect(failed.statusCode).toBe(503);
    expect(bodyOf(failed).message).toMatch(/same Idempotency-Key/);
    expect(retried.statusCode).toBe(202);
    expect(bodyOf(retried).status).toBe('PENDING');
    expect(before.body.error).toBeUndefined();
    expect((await status(p, bodyOf(retried).jobId)).body).toMatchObject({ status: 'SUCCEEDED', result: 'ran', attempts: 1 });
  });

  test('a repeated Idempotency-Key on a job PENDING for longer than the threshold (the submit died before enqueueing) enqueues it again', async () => {
    const p = await newPipeline();
    const longAgo = new Date(Date.now() - (p.config.stalePendingSeconds + 60) * 1000);
    const jobId = '11111111-1111-4111-8111-111111111111';
    await p.store.claimIdempotencyKey(idempotencyItemKey(ALICE, 'k-stale'), { jobId, payloadHash: sha256('{}'), ttlSeconds: 3600 }, longAgo);
    await p.store.createPending({ jobId, owner: ALICE, payloadHash: sha256('{}'), ttlSeconds: 3600 }, longAgo);
    const repeat = await submit(p, '{}', keyed('k-stale'), ALICE);
    expect(bodyOf(repeat)).toMatchObject({ jobId, status: 'PENDING' });
    expect(await visibleMessages(p.queueUrl)).toBe(1);
  });

  test('a repeated Idempotency-Key on a recently PENDING job does not enqueue it twice', async () => {
    const p = await newPipeline();
    await submit(p, '{}', keyed('k-fresh'));
    await submit(p, '{}', keyed('k-fresh'));
    expect(await visibleMessages(p.queueUrl)).toBe(1);
  });

  test('a key recorded without its job (the submit died between the two writes) records and enqueues the job on repeat', async () => {
    const p = await newPipeline();
    const jobId = '22222222-2222-4222-8222-222222222222';
    await p.store.claimIdempotencyKey(idempotencyItemKey(ALICE, 'k-half'), { jobId, payloadHash: sha256('{}'), ttlSeconds: 3600 });
    const repeat = await submit(p, '{}', keyed('k-half'), ALICE);
    expect(bodyOf(repeat)).toMatchObject({ jobId, status: 'PENDING' });
    expect(await visibleMessages(p.queueUrl)).toBe(1);
    expect((await status(p, jobId, ALICE)).statusCode).toBe(200);
  });
});

describe('the dead-letter consumer', () => {
  async function deadLetter(p: Pipeline, body: string) {
    await sqs.send(new SendMessageCommand({ QueueUrl: p.deadLetterQueueUrl, MessageBody: body }));
    return new EventSourceMapping(p.deadLetterQueueUrl, (event, context) => recordDeadLetteredJobs(event, p.store, context)).pollOnce(1);
  }

  test('records a job left RUNNING by a crashed last delivery FAILED, with the last recorded error, and sends JobFailed', async () => {
    // GIVEN a job whose attempt failed, and whose last delivery then crashed (lease expired)
    const p = await newPipeline();
    const notices = await completionInbox();
    const { jobId } = bodyOf(await submit(p, '{}'));
    await p.store.acquireLease(jobId, 'attempt-1', Date.now() + 60_000);
    await p.store.releaseLease(jobId, 'attempt-1', { name: 'TimeoutError', message: 'renderer timed out' });
    await p.store.acquireLease(jobId, 'attempt-2', Date.now() - 1);
    // WHEN its message reaches the DLQ
    const polled = await deadLetter(p, JSON.stringify({ jobId, payload: {} }));
    // THEN
    const job = (await status(p, jobId)).body;
    expect(polled).toEqual({ received: 1, failed: 0 });
    expect(job).toMatchObject({ status: 'FAILED', attempts: 2, error: { name: 'DeliveryFailed' } });
    expect(job.error.message).toMatch(/crashed, ran out of memory or timed out.*last recorded error was TimeoutError: renderer timed out/);
    expect(await notices()).toEqual([{ type: 'JobFailed', jobId, error: job.error }]);
  });

  test('leaves a finished job alone and sends nothing (the worker recorded its last failure itself)', async () => {
    const p = await newPipeline();
    const notices = await completionInbox();
    const { jobId } = bodyOf(await submit(p, '{}'));
    await p.store.acquireLease(jobId, 'last', Date.now() + 60_000);
    await p.store.markFailed(jobId, { name: 'Error', message: 'boom' }, 'last');
    expect(await deadLetter(p, JSON.stringify({ jobId, payload: {} }))).toEqual({ received: 1, failed: 0 });
    expect((await status(p, jobId)).body).toMatchObject({ status: 'FAILED', error: { name: 'Error', message: 'boom' } });
    expect(await notices()).toEqual([]);
  });

  test('retries later a job that a delivery still runs under a live lease', async () => {
    const p = await newPipeline();
    const { jobId } = bodyOf(await submit(p, '{}'));
    await p.store.acquireLease(jobId, 'alive', Date.now() + 60_000);
    expect(await deadLetter(p, JSON.stringify({ jobId, payload: {} }))).toEqual({ received: 1, failed: 1 });
    expect((await status(p, jobId)).body.status).toBe('RUNNING');
  });

  test('records a PENDING job FAILED (a job that never started, e.g. its deliveries all found another lease)', async () => {
    const p = await newPipeline();
    const { jobId } = bodyOf(await submit(p, '{}'));
    await deadLetter(p, JSON.stringify({ jobId, payload: {} }));
    expect((await status(p, jobId)).body).toMatchObject({ status: 'FAILED', attempts: 0, error: { name: 'DeliveryFailed' } });
  });

  test('drops messages that are not jobs, and unknown jobs', async () => {
    const p = await newPipeline();
    expect(await deadLetter(p, 'not json')).toEqual({ received: 1, failed: 0 });
    expect(await deadLetter(p, JSON.stringify({ jobId: '33333333-3333-4333-8333-333333333333' }))).toEqual({ received: 1, failed: 0 });
    expect(await visibleMessages(p.deadLetterQueueUrl)).toBe(0);
  });
});
