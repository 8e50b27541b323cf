/**
 * The Python reference worker (examples/python-worker, boto3) takes part in the AsyncHttpApi job
 * protocol of docs/protocols.md: jobs submitted by the real submit handler are run by it through
 * the SQS event source mapping, against fauxqs and dynalite, and read back by the real status
 * handler. Python is Debian's python3 with python3-boto3 (scripts/ensure-python-boto3.sh).
 */
import { execFile } from 'child_process';
import * as path from 'path';
import { promisify } from 'util';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { jobStatus } from '../../src/async-http-api/runtime/status.handler';
import { submitJob } from '../../src/async-http-api/runtime/submit.handler';
import { jobWorker } from '../../src/runtime';
import { httpApiEvent } from '../fixtures/events';
import { RunningEmulator, startDynalite, startFauxqs } from '../helpers/emulators';
import { EventSourceMapping } from '../helpers/event-source';
import { createJobPipeline, JobPipeline } from '../helpers/job-pipeline';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const WORKER_DIR = path.join(__dirname, '..', '..', 'examples', 'python-worker');
const ALICE = 'arn:aws:iam::123456789012:user/alice';
const MAX_RECEIVE_COUNT = 2;

let emulators: RunningEmulator[] = [];
let sqs: SQSClient;

beforeAll(async () => {
  // Fails loudly (never skips) when the machine lacks Debian's python3-boto3.
  await run(PYTHON, ['-c', 'import boto3']);
  emulators = await Promise.all([startFauxqs(), startDynalite()]);
  sqs = new SQSClient({});
});
afterAll(async () => {
  await Promise.all(emulators.map((e) => e.stop()));
});

/** The Python handler as Lambda would invoke it: the SQS event in, the batch response out. */
async function pythonWorker(event: SQSEvent): Promise<SQSBatchResponse> {
  const script = 'import json, sys; sys.path.insert(0, sys.argv[1]); from app import handler; '
    + 'print(json.dumps(handler(json.load(sys.stdin), None)))';
  const child = run(PYTHON, ['-c', script, WORKER_DIR], { env: process.env });
  child.child.stdin!.end(JSON.stringify(event));
  const { stdout } = await child;
  return JSON.parse(stdout) as SQSBatchResponse;
}

/** An API Gateway event as the IAM authorizer passes it on for alice. */
function asAlice<T extends { requestContext: object }>(event: T): T {
  return { ...event, requestContext: { ...event.requestContext, authorizer: { iam: { userArn: ALICE } } } };
}

function post(body: string) {
  return asAlice(httpApiEvent({ method: 'POST', path: '/jobs', routeKey: 'POST /jobs', body, headers: { 'content-type': 'application/json' } }));
}

async function submit(p: JobPipeline, payload: unknown): Promise<string> {
  const response = await submitJob(post(JSON.stringify(payload)), p.config, p.store, sqs);
  expect(response.statusCode).toBe(202);
  return JSON.parse(response.body!).jobId;
}

async function statusOf(p: JobPipeline, jobId: string) {
  const response = await jobStatus(asAlice(httpApiEvent({ method: 'GET', path: `/jobs/${jobId}`, routeKey: 'GET /jobs/{jobId}', pathParameters: { jobId } })), p.store);
  return JSON.parse(response.body!);
}

test('a job submitted through the API is run by the Python worker and answered SUCCEEDED with its result', async () => {
  // GIVEN
  const p = await createJobPipeline(MAX_RECEIVE_COUNT);
  const jobId = await submit(p, { text: 'the quick brown fox' });
  // WHEN
  await new EventSourceMapping(p.queueUrl, pythonWorker).drain();
  // THEN
  const job = await statusOf(p, jobId);
  expect(job).toMatchObject({ jobId, status: 'SUCCEEDED', result: { words: 4, attempt: 1 } });
  const record = await p.store.get(jobId);
  expect(record).toMatchObject({ attempts: 1 });
  expect(record?.leaseToken).toBeUndefined();
});

test('a job that fails on every attempt is recorded FAILED on the last one, and its message is dead-lettered', async () => {
  // GIVEN a payload the worker rejects
  const p = await createJobPipeline(MAX_RECEIVE_COUNT);
  const jobId = await submit(p, { pages: 3 });
  // WHEN
  await new EventSourceMapping(p.queueUrl, pythonWorker).drain();
  // THEN
  const job = await statusOf(p, jobId);
  expect(job).toMatchObject({ status: 'FAILED', error: { name: 'ValueError', message: 'the payload needs a text' } });
  expect((await p.store.get(jobId))?.attempts).toBe(MAX_RECEIVE_COUNT);
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: p.deadLetterQueueUrl, MaxNumberOfMessages: 10 }));
  expect(Messages.map((m) => JSON.parse(m.Body!).jobId)).toEqual([jobId]);
});

test('a duplicate delivery of a job the TypeScript worker finished is dropped by the Python worker, result unchanged', async () => {
  // GIVEN a job finished by jobWorker, and a second copy of its message
  const p = await createJobPipeline(MAX_RECEIVE_COUNT);
  const jobId = await submit(p, { text: 'one two' });
  await new EventSourceMapping(p.queueUrl, jobWorker(async () => ({ words: 'by typescript' }))).drain();
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: p.queueUrl }));
  expect(Messages).toEqual([]);
  const record = await p.store.get(jobId);
  // WHEN the Python worker gets the duplicate
  const response = await pythonWorker({ Records: [duplicateRecord(p, jobId)] } as SQSEvent);
  // THEN it is not retried and the result is the first one
  expect(response.batchItemFailures).toEqual([]);
  expect(await p.store.get(jobId)).toEqual(record);
});

test('a redelivery of a message whose earlier delivery holds a live lease does not run the job and is retried later', async () => {
  // GIVEN a job whose lease an earlier (TypeScript) delivery of the same message holds for another minute
  const p = await createJobPipeline(MAX_RECEIVE_COUNT);
  const jobId = await submit(p, { text: 'busy' });
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: p.queueUrl, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
  expect(Messages).toHaveLength(1);
  const holder = `${Messages[0].MessageId}/earlier-delivery`;
  const lease = await p.store.acquireLease(jobId, holder, Date.now() + 60_000);
  expect(lease.kind).toBe('acquired');
  // WHEN
  const response = await pythonWorker({ Records: [recordOf(p, Messages[0])] } as SQSEvent);
  // THEN reported for retry, and the job is still RUNNING under the other lease, with one attempt.
  // (Its ChangeMessageVisibility delay is not checked here: Debian's boto3 1.26 speaks SQS's query
  // protocol, which AWS accepts and fauxqs does not; the worker then lets the retry come sooner.)
  expect(response.batchItemFailures).toEqual([{ itemIdentifier: Messages[0].MessageId }]);
  expect(await p.store.get(jobId)).toMatchObject({ status: 'RUNNING', leaseToken: holder, attempts: 1 });
});

test('a second message of a job that another message runs under a live lease is dropped by the Python worker', async () => {
  const p = await createJobPipeline(MAX_RECEIVE_COUNT);
  const jobId = await submit(p, { text: 'busy' });
  await p.store.acquireLease(jobId, 'first-message/running', Date.now() + 60_000);
  const response = await pythonWorker({ Records: [duplicateRecord(p, jobId)] } as SQSEvent);
  expect(response.batchItemFailures).toEqual([]);
  expect(await p.store.get(jobId)).toMatchObject({ status: 'RUNNING', leaseToken: 'first-message/running', attempts: 1 });
});

function recordOf(p: JobPipeline, message: { MessageId?: string; ReceiptHandle?: string; Body?: string; Attributes?: Record<string, string> }) {
  const region = 'us-east-1';
  const [account, name] = p.queueUrl.split('/').slice(-2);
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body!,
    attributes: { ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    awsRegion: region,
    eventSourceARN: `arn:aws:sqs:${region}:${account}:${name}`,
  };
}

function duplicateRecord(p: JobPipeline, jobId: string) {
  return recordOf(p, { MessageId: 'duplicate-1', ReceiptHandle: 'gone', Body: JSON.stringify({ jobId, payload: { text: 'one two' } }) });
}
