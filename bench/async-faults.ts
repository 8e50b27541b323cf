/**
 * The local AsyncHttpApi pipeline under faults: N jobs submitted through the real submit handler,
 * run by a jobWorker through simulated event source mappings (8 pollers, batches of 10, a 5 s
 * function timeout) against fauxqs and dynalite on 127.0.0.1, once fault-free and once with a
 * share of deliveries crashed (the job function never returns, so the whole invocation times out
 * and its batch comes back after the visibility timeout, as Lambda does) and a share of messages
 * duplicated (a second copy sent at random). The dead-letter consumer runs on the DLQ throughout.
 * Prints jobs/s for both runs side by side and checks, in its own output: 0 lost (every job
 * SUCCEEDED with its result), 0 stuck (none PENDING or RUNNING), 0 double runs (no execution
 * started on a finished job).
 */
// Must come first: quiets Powertools before any handler module creates its Logger.
import '../test/helpers/quiet-powertools';
import { DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SendMessageCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { recordDeadLetteredJobs } from '../src/async-http-api/runtime/dlq.handler';
import { submitJob } from '../src/async-http-api/runtime/submit.handler';
import { jobWorker } from '../src/runtime';
import { httpApiEvent } from '../test/fixtures/events';
import { startDynalite, startFauxqs } from '../test/helpers/emulators';
import { EventSourceMapping } from '../test/helpers/event-source';
import { createJobPipeline } from '../test/helpers/job-pipeline';

export interface FaultRunFigures {
  readonly jobs: number;
  readonly crashRate: number;
  readonly duplicateRate: number;
  readonly crashedDeliveries: number;
  readonly duplicatedMessages: number;
  readonly executions: number;
  readonly submitSeconds: number;
  readonly processSeconds: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly stuck: number;
  readonly lost: number;
  readonly doubleRuns: number;
}

/** The simulated function timeout, and the queue's visibility timeout (> timeout + the 1 s lease grace). */
const FUNCTION_TIMEOUT_MS = 5_000;
const VISIBILITY_SECONDS = 8;
const POLLERS = 8;

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** A small seeded generator (LCG), so a run's faults can be replayed. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One run on the running emulators: a fresh table, queue and DLQ. */
export async function faultRun(jobs: number, crashRate: number, duplicateRate: number, seed = 1): Promise<FaultRunFigures> {
  const sqs = new SQSClient({});
  const ddb = new DynamoDBClient({});
  const random = seeded(seed);
  const { tableName, queueUrl, deadLetterQueueUrl, config, store } = await createJobPipeline(5);
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { VisibilityTimeout: String(VISIBILITY_SECONDS) } }));

  const submitted = new Map<string, number>();
  let duplicatedMessages = 0;
  const started = Date.now();
  await pool(Array.from({ length: jobs }, (_, i) => i), 32, async (i) => {
    const body = JSON.stringify({ n: i });
    const event = httpApiEvent({ method: 'POST', path: '/jobs', routeKey: 'POST /jobs', body, headers: { 'content-type': 'application/json' } });
    const response = await submitJob(event, config, store, sqs);
    if (response.statusCode !== 202) throw new Error(`job ${i} was answered ${response.statusCode}: ${response.body}`);
    const jobId = JSON.parse(response.body!).jobId as string;
    submitted.set(jobId, i);
    if (random() < duplicateRate) {
      duplicatedMessages++;
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ jobId, payload: { n: i } }) }));
    }
  });
  const submitSeconds = (Date.now() - started) / 1000;

  let executions = 0;
  let crashedDeliveries = 0;
  let doubleRuns = 0;
  const completed = new Set<string>();
  let allCompletedAt = 0;
  const worker = jobWorker(async (job: { jobId: string; payload: { n: number } }) => {
    executions++;
    const record = await store.get(job.jobId);
    if (record && (record.status === 'SUCCEEDED' || record.status === 'FAILED')) doubleRuns++;
    if (random() < crashRate) {
      crashedDeliveries++;
      await new Promise(() => undefined); // this delivery crashes: its invocation times out
    }
    completed.add(job.jobId);
    if (completed.size === jobs && !allCompletedAt) allCompletedAt = Date.now();
    return job.payload.n * 2;
  });
  const processing = Date.now();
  let done = false;
  const poll = async (mapping: EventSourceMapping) => {
    while (!done) {
      const { received } = await mapping.pollOnce(0);
      if (received === 0) await sleep(50);
    }
  };
  const loops = [
    ...Array.from({ length: POLLERS }, () => poll(new EventSourceMapping(queueUrl, worker, 10, { invocationTimeoutMs: FUNCTION_TIMEOUT_MS, failedVisibility: 'keep' }))),
    poll(new EventSourceMapping(deadLetterQueueUrl, (event, context) => recordDeadLetteredJobs(event, store, context))),
  ];
  // Done when both queues hold nothing, visible or in flight, twice in a row.
  let emptyChecks = 0;
  while (emptyChecks < 2) {
    await sleep(500);
    const depths = await Promise.all([queueUrl, deadLetterQueueUrl].map(async (url) => {
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      return Number(Attributes!.ApproximateNumberOfMessages) + Number(Attributes!.ApproximateNumberOfMessagesNotVisible);
    }));
    emptyChecks = depths.every((d) => d === 0) ? emptyChecks + 1 : 0;
  }
  // Throughput: until the last job's function returned (the queues drain, and stragglers are
  // dropped as duplicates, after that; the checks below wait for it).
  const processSeconds = ((allCompletedAt || Date.now()) - processing) / 1000;
  done = true;
  await Promise.race([Promise.all(loops), sleep(FUNCTION_TIMEOUT_MS + 1_000)]);

  let succeeded = 0;
  let failed = 0;
  let stuck = 0;
  let seen = 0;
  let wrongResult = 0;
  for await (const page of paginateScan({ client: ddb }, { TableName: tableName, ConsistentRead: true })) {
    for (const item of page.Items ?? []) {
      const n = submitted.get(item.jobId.S!);
      if (n === undefined) continue; // an Idempotency-Key item (none in this run) or foreign
      seen++;
      const status = item.status.S;
      if (status === 'SUCCEEDED') {
        if (Number(item.result?.N) === n * 2) succeeded++;
        else wrongResult++;
      } else if (status === 'FAILED') {failed++;} else if (status === 'PENDING' || status === 'RUNNING') {stuck++;}
    }
  }
  return {
    jobs,
    crashRate,
    duplicateRate,
    crashedDeliveries,
    duplicatedMessages,
    executions,
    submitSeconds,
    processSeconds,
    // lost: no record, or a result that is not the job's own; FAILED jobs are counted apart (none expected here)
    succeeded,
    failed,
    stuck,
    lost: jobs - seen + wrongResult,
    doubleRuns,
  };
}

/** The fault-free run and the faulty one, in the same process on the same emulators. */
export async function benchAsyncFaults(jobs = 10_000, crashRate = 0.01, duplicateRate = 0.01): Promise<FaultRunFigures[]> {
  const [sqsEmulator, dynamoEmulator] = await Promise.all([startFauxqs(), startDynalite()]);
  try {
    const clean = await faultRun(jobs, 0, 0);
    const faulty = await faultRun(jobs, crashRate, duplicateRate);
    return [clean, faulty];
  } finally {
    await Promise.all([sqsEmulator.stop(), dynamoEmulator.stop()]);
  }
}

export function faultTable(runs: FaultRunFigures[]): Array<Record<string, string | number>> {
  return runs.map((f) => ({
    'run': f.crashRate === 0 && f.duplicateRate === 0 ? 'fault-free' : `${f.crashRate * 100}% crashed, ${f.duplicateRate * 100}% duplicated`,
    'jobs': f.jobs,
    'crashed deliveries': f.crashedDeliveries,
    'duplicate messages': f.duplicatedMessages,
    'job function runs': f.executions,
    'submit jobs/s': Math.round(f.jobs / f.submitSeconds),
    'process jobs/s': Math.round(f.jobs / f.processSeconds),
    'succeeded': f.succeeded,
    'failed': f.failed,
    'lost': f.lost,
    'stuck': f.stuck,
    'double runs': f.doubleRuns,
  }));
}

if (require.main === module) {
  const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
  benchAsyncFaults(arg('jobs', 10_000), arg('crash', 0.01), arg('duplicate', 0.01)).then((runs) => {
    console.table(faultTable(runs));
    const bad = runs.filter((f) => f.lost || f.stuck || f.doubleRuns || f.failed);
    if (bad.length) {
      console.error('FAULT RUN FAILED its checks (lost, stuck, failed or double runs above 0)');
      process.exit(1);
    }
    console.log(`0 lost, 0 stuck, 0 double runs in every run (${runs.map((f) => f.jobs).join(' + ')} jobs)`);
  }).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
