/**
 * Fault injection on the AsyncHttpApi pipeline, run for real: the submit handler, `jobWorker`
 * and the dead-letter consumer against fauxqs (SQS, SNS) and dynalite (DynamoDB, on disk so it
 * can be restarted) on 127.0.0.1, with the simulated SQS event source mapping. Each case injects
 * one fault, then asserts the final state of every job and counts the job function's executions
 * (and that no execution started on a job that was already finished).
 */
import { spawn } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import * as readline from 'readline';
import { DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { recordDeadLetteredJobs } from '../../src/async-http-api/runtime/dlq.handler';
import { ENV } from '../../src/async-http-api/runtime/env';
import { JobRecord } from '../../src/async-http-api/runtime/job-store';
import { submitJob } from '../../src/async-http-api/runtime/submit.handler';
import { Job, jobWorker, JobWorkerOptions } from '../../src/runtime';
import { httpApiEvent, lambdaContext, sqsEvent } from '../fixtures/events';
import { RunningEmulator, startDynalite, startFauxqs } from '../helpers/emulators';
import { EventSourceMapping, EventSourceMappingOptions } from '../helpers/event-source';
import { completionInbox, createJobPipeline, JobPipeline } from '../helpers/job-pipeline';

const MAX_RECEIVE_COUNT = 3;

let sqsEmulator: RunningEmulator;
let dynamoEmulator: RunningEmulator;
let dynamoPath: string;
let sqs: SQSClient;

beforeAll(async () => {
  dynamoPath = mkdtempSync(path.join(tmpdir(), 'faults-dynalite-'));
  [sqsEmulator, dynamoEmulator] = await Promise.all([startFauxqs(), startDynalite({ path: dynamoPath })]);
  sqs = new SQSClient({});
});
afterAll(async () => {
  await Promise.all([sqsEmulator.stop(), dynamoEmulator.stop()]);
  rmSync(dynamoPath, { recursive: true, force: true });
});
afterEach(() => {
  delete process.env[ENV.COMPLETION_TOPIC_ARN];
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const FINAL = new Set(['SUCCEEDED', 'FAILED']);

/** A pipeline whose queue hides a received message for `visibilitySeconds`. */
async function pipeline(visibilitySeconds: number, maxReceiveCount = MAX_RECEIVE_COUNT): Promise<JobPipeline> {
  const p = await createJobPipeline(maxReceiveCount);
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: p.queueUrl, Attributes: { VisibilityTimeout: String(visibilitySeconds) } }));
  return p;
}

async function submitJobs(p: JobPipeline, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const event = httpApiEvent({ method: 'POST', path: '/jobs', routeKey: 'POST /jobs', body: JSON.stringify({ i }), headers: { 'content-type': 'application/json' } });
    const response = await submitJob(event, p.config, p.store, sqs);
    expect(response.statusCode).toBe(202);
    ids.push(JSON.parse(response.body!).jobId);
  }
  return ids;
}

/**
 * Counts the job function's executions per job, and the executions that started although the
 * job was already finished (a double run: must stay 0).
 */
class Executions {
  readonly runs = new Map<string, number>();
  doubleRuns = 0;
  constructor(private readonly p: JobPipeline) {}
  async start(job: Job): Promise<void> {
    this.runs.set(job.jobId, (this.runs.get(job.jobId) ?? 0) + 1);
    const record = await this.p.store.get(job.jobId);
    if (record && FINAL.has(record.status)) this.doubleRuns++;
  }
  of(jobId: string): number {
    return this.runs.get(jobId) ?? 0;
  }
}

async function records(p: JobPipeline, ids: string[]): Promise<JobRecord[]> {
  return Promise.all(ids.map(async (id) => (await p.store.get(id))!));
}

/**
 * Runs every mapping in its own polling loop (as independent Lambda pollers do, so one keeps
 * polling while another's invocation runs), and the dead-letter consumer on the DLQ, until every
 * job is final.
 */
async function runUntilFinal(p: JobPipeline, ids: string[], mappings: EventSourceMapping[], timeoutMs: number): Promise<JobRecord[]> {
  const dlq = new EventSourceMapping(p.deadLetterQueueUrl, (event, context) => recordDeadLetteredJobs(event, p.store, context));
  const until = Date.now() + timeoutMs;
  let done = false;
  const loop = async (m: EventSourceMapping) => {
    while (!done) {
      const { received } = await m.pollOnce(0).catch(() => ({ received: 0 }));
      if (received === 0) await sleep(100);
    }
  };
  const loops = [...mappings, dlq].map(loop);
  try {
    for (;;) {
      const states = await records(p, ids);
      if (states.every((r) => FINAL.has(r.status))) return states;
      if (Date.now() > until) {
        throw new Error(`jobs not final after ${timeoutMs} ms: ${states.map((r) => `${r.jobId}=${r.status}`).join(', ')}`);
      }
      await sleep(100);
    }
  } finally {
    done = true;
    await Promise.race([Promise.all(loops), sleep(1_000)]); // a timed-out invocation's loop may still wait
  }
}

async function queueDepth(queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({
    QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
  }));
  return Number(Attributes!.ApproximateNumberOfMessages) + Number(Attributes!.ApproximateNumberOfMessagesNotVisible);
}


function mapping(p: JobPipeline, worker: ReturnType<typeof jobWorker>, options: EventSourceMappingOptions = {}, batchSize = 10) {
  return new EventSourceMapping(p.queueUrl, worker, batchSize, options);
}

test('the worker process is killed mid-job: its lease expires, another worker takes the job over, and it ends SUCCEEDED', async () => {
  // GIVEN a job that a worker in another process has started, heartbeating a 2 s lease
  const p = await pipeline(30);
  const [jobId] = await submitJobs(p, 1);
  // One process (node with tsx's loader), so the kill hits the worker itself.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fixtures', 'worker-process.ts')], {
    env: { ...process.env, LEASE_SECONDS: '2', HEARTBEAT_SECONDS: '0.5' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const started = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', (line) => resolve(JSON.parse(line).started));
    child.once('exit', (code) => reject(new Error(`the worker process exited (${code}) before starting the job`)));
  });
  await sleep(1_200); // a few heartbeats
  expect(child.exitCode).toBeNull(); // still working
  const running = await p.store.get(jobId);
  // WHEN it is killed (no chance to release anything)
  child.kill('SIGKILL');
  const killedAt = Date.now();
  const executions = new Executions(p);
  const worker = jobWorker(async (job) => {
    await executions.start(job);
    return 'recovered';
  }, { leaseSeconds: 2 });
  const [done] = await runUntilFinal(p, [jobId], [mapping(p, worker, { failedVisibility: 'keep' })], 20_000);
  // THEN
  expect(started).toBe(jobId);
  expect(running).toMatchObject({ status: 'RUNNING', attempts: 1 });
  expect(running!.leaseExpiresAt).toBeGreaterThan(Date.parse(running!.startedAt!) + 2_000); // extended past the first lease: it was heartbeating
  expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 2, result: 'recovered' });
  expect(Date.parse(done.finishedAt!)).toBeGreaterThan(killedAt);
  expect(executions.of(jobId)).toBe(1); // + 1 in the killed process
  expect(executions.doubleRuns).toBe(0);
  expect(await queueDepth(p.queueUrl)).toBe(0);
});

test('a handler that exceeds its timeout: a job timing out once is retried and SUCCEEDS, one timing out every time ends FAILED through the dead-letter consumer', async () => {
  // GIVEN a 1 s function timeout and a queue that hides messages for 3 s (> timeout + 1 s lease grace)
  const p = await pipeline(3);
  const notices = await completionInbox();
  const [once, always] = await submitJobs(p, 2);
  const executions = new Executions(p);
  const worker = jobWorker(async (job) => {
    await executions.start(job);
    if (job.jobId === always || job.attempt === 1) await new Promise(() => undefined); // runs past the timeout
    return 'in time';
  });
  // WHEN
  const [first, second] = await runUntilFinal(p, [once, always], [mapping(p, worker, { invocationTimeoutMs: 1_000, failedVisibility: 'keep' }, 1)], 40_000);
  // THEN
  expect(first).toMatchObject({ status: 'SUCCEEDED', attempts: 2, result: 'in time' });
  expect(second).toMatchObject({ status: 'FAILED', attempts: MAX_RECEIVE_COUNT, error: { name: 'DeliveryFailed' } });
  expect(executions.of(once)).toBe(2);
  expect(executions.of(always)).toBe(MAX_RECEIVE_COUNT);
  expect(executions.doubleRuns).toBe(0);
  const sent = await notices();
  expect(sent.filter((n) => n.type === 'JobFailed').map((n) => n.jobId)).toEqual([always]);
  expect(sent.filter((n) => n.type === 'JobSucceeded').map((n) => n.jobId)).toEqual([once]);
  expect(await queueDepth(p.queueUrl)).toBe(0);
  expect(await queueDepth(p.deadLetterQueueUrl)).toBe(0);
});

test('a throw on the last attempt: the worker records FAILED, the dead-letter consumer leaves it, JobFailed is sent once', async () => {
  const p = await pipeline(30);
  const notices = await completionInbox();
  const [failing, fine] = await submitJobs(p, 2);
  const executions = new Executions(p);
  const worker = jobWorker(async (job) => {
    await executions.start(job);
    if (job.jobId === failing) throw new Error(`attempt ${job.attempt} failed`);
    return 'fine';
  });
  const [a, b] = await runUntilFinal(p, [failing, fine], [mapping(p, worker)], 20_000);
  await sleep(200);
  await new EventSourceMapping(p.deadLetterQueueUrl, (event, context) => recordDeadLetteredJobs(event, p.store, context)).drain();
  expect(a).toMatchObject({ status: 'FAILED', attempts: MAX_RECEIVE_COUNT, error: { name: 'Error', message: `attempt ${MAX_RECEIVE_COUNT} failed` } });
  expect(b).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
  expect(await p.store.get(failing)).toEqual(a); // untouched by the dead-letter consumer
  expect([executions.of(failing), executions.of(fine)]).toEqual([MAX_RECEIVE_COUNT, 1]);
  expect(executions.doubleRuns).toBe(0);
  expect((await notices()).filter((n) => n.type === 'JobFailed')).toEqual([{ type: 'JobFailed', jobId: failing, error: a.error }]);
});

test('DynamoDB throttling (ProvisionedThroughputExceededException injected by SDK middleware into 30% of the worker\'s calls): every job ends SUCCEEDED, no finished job runs again', async () => {
  // GIVEN a worker whose DynamoDB client is throttled at random (seeded), with no SDK retries to absorb it
  const p = await pipeline(1, 50);
  const ids = await submitJobs(p, 10);
  const client = new DynamoDBClient({ maxAttempts: 1 });
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  let calls = 0;
  let throttled = 0;
  client.middlewareStack.add((next) => async (args) => {
    calls++;
    if (random() < 0.3) {
      throttled++;
      throw new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds the allowed throughput (injected)', $metadata: { httpStatusCode: 400 } });
    }
    return next(args);
  }, { step: 'initialize', name: 'injectThrottling' });
  const executions = new Executions(p);
  const options: JobWorkerOptions = { dynamoDbClient: client, leaseSeconds: 1, heartbeatSeconds: 0.3 };
  const worker = jobWorker(async (job) => {
    await executions.start(job);
    return `done ${job.jobId}`;
  }, options);
  // WHEN
  const final = await runUntilFinal(p, ids, [mapping(p, worker, { failedVisibility: 'keep' })], 45_000);
  // THEN
  expect(throttled).toBeGreaterThan(0);
  expect(calls).toBeGreaterThan(throttled);
  for (const r of final) expect(r).toMatchObject({ status: 'SUCCEEDED', result: `done ${r.jobId}` });
  for (const id of ids) expect(executions.of(id)).toBeGreaterThanOrEqual(1);
  expect(executions.doubleRuns).toBe(0);
  expect(await queueDepth(p.queueUrl)).toBe(0);
});

test('the same messages delivered twice at once (two invocations of one batch of 5): each job function runs once', async () => {
  const p = await pipeline(30);
  const ids = await submitJobs(p, 5);
  const executions = new Executions(p);
  const worker = jobWorker(async (job) => {
    await executions.start(job);
    await sleep(200);
    return 1;
  });
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: p.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: p.queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const responses: SQSBatchResponse[] = await Promise.all([
    worker(sqsEvent(queueArn, Messages), lambdaContext()),
    worker(sqsEvent(queueArn, Messages), lambdaContext()),
  ]);
  const final = await records(p, ids);
  expect(Messages).toHaveLength(5);
  for (const id of ids) expect(executions.of(id)).toBe(1);
  for (const r of final) expect(r).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
  // each message: one invocation ran it, the other reported it failed (to come back and be dropped)
  expect(responses.flatMap((r) => r.batchItemFailures)).toHaveLength(5);
  expect(executions.doubleRuns).toBe(0);
});

test('jobs longer than the visibility timeout (3 jobs of 2.5 s, visibility 1 s, two pollers): each runs once, none is redelivered while it runs', async () => {
  const p = await pipeline(1);
  const ids = await submitJobs(p, 3);
  const executions = new Executions(p);
  const worker = jobWorker(async (job) => {
    await executions.start(job);
    await sleep(2_500);
    return 'long';
  }, { leaseSeconds: 1.5, heartbeatSeconds: 0.4 });
  const final = await runUntilFinal(p, ids, [mapping(p, worker, { failedVisibility: 'keep' }), mapping(p, worker, { failedVisibility: 'keep' })], 20_000);
  for (const r of final) expect(r).toMatchObject({ status: 'SUCCEEDED', attempts: 1, result: 'long' });
  for (const id of ids) expect(executions.of(id)).toBe(1);
  expect(executions.doubleRuns).toBe(0);
});

test('the DynamoDB emulator restarted mid-run (connections dropped, down for a second, back with its data on the same port): every job ends SUCCEEDED, no finished job runs again', async () => {
  // GIVEN 10 jobs being worked by two pollers
  const p = await pipeline(1, 50);
  const ids = await submitJobs(p, 10);
  const executions = new Executions(p);
  const worker = jobWorker(async (job) => {
    await executions.start(job).catch(() => undefined); // the check itself may hit the outage
    await sleep(300);
    return 'survived';
  }, { leaseSeconds: 1, heartbeatSeconds: 0.3 });
  const mappings = [mapping(p, worker, { failedVisibility: 'keep' }, 2), mapping(p, worker, { failedVisibility: 'keep' }, 2)];
  // WHEN the emulator goes down and comes back while they run
  const port = Number(new URL(dynamoEmulator.endpoint).port);
  const outage = (async () => {
    await sleep(400);
    await dynamoEmulator.stop();
    await sleep(1_000);
    dynamoEmulator = await startDynalite({ path: dynamoPath, port });
  })();
  const polling = (async () => {
    const until = Date.now() + 3_000;
    while (Date.now() < until) await Promise.all(mappings.map((m) => m.pollOnce(0).catch(() => undefined)));
  })();
  await Promise.all([outage, polling]);
  const final = await runUntilFinal(p, ids, mappings, 40_000);
  // THEN
  for (const r of final) expect(r).toMatchObject({ status: 'SUCCEEDED', result: 'survived' });
  for (const id of ids) expect(executions.of(id)).toBeGreaterThanOrEqual(1);
  expect(executions.doubleRuns).toBe(0);
  expect(await queueDepth(p.queueUrl)).toBe(0);
});
