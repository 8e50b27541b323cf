/**
 * The local AsyncHttpApi pipeline under load: N jobs submitted through the real submit handler,
 * run by a jobWorker through a simulated event source mapping (several pollers, batches of 10),
 * against fauxqs (SQS) and dynalite (DynamoDB) on 127.0.0.1. Prints jobs/s for each phase and
 * checks, in its own output, that every job ended SUCCEEDED with its result: 0 lost.
 */
// Must come first: quiets Powertools before any handler module creates its Logger.
import '../test/helpers/quiet-powertools';
import { DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { submitJob } from '../src/async-http-api/runtime/submit.handler';
import { jobWorker } from '../src/runtime';
import { httpApiEvent } from '../test/fixtures/events';
import { startDynalite, startFauxqs } from '../test/helpers/emulators';
import { EventSourceMapping } from '../test/helpers/event-source';
import { createJobPipeline } from '../test/helpers/job-pipeline';

export interface PipelineFigures {
  readonly jobs: number;
  readonly submitSeconds: number;
  readonly processSeconds: number;
  readonly succeeded: number;
  readonly lost: number;
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

export async function benchAsyncPipeline(jobs = 10_000): Promise<PipelineFigures> {
  const [sqsEmulator, dynamoEmulator] = await Promise.all([startFauxqs(), startDynalite()]);
  try {
    const sqs = new SQSClient({});
    const ddb = new DynamoDBClient({});
    const { tableName, queueUrl, config, store } = await createJobPipeline(5);

    const submitted = new Map<string, number>();
    const started = Date.now();
    await pool(Array.from({ length: jobs }, (_, i) => i), 32, async (i) => {
      const event = httpApiEvent({ method: 'POST', path: '/jobs', routeKey: 'POST /jobs', body: JSON.stringify({ n: i }), headers: { 'content-type': 'application/json' } });
      const response = await submitJob(event, config, store, sqs);
      if (response.statusCode !== 202) throw new Error(`job ${i} was answered ${response.statusCode}: ${response.body}`);
      submitted.set(JSON.parse(response.body!).jobId, i);
    });
    const submitSeconds = (Date.now() - started) / 1000;

    const worker = jobWorker(async (job: { payload: { n: number } }) => job.payload.n * 2);
    const processing = Date.now();
    await Promise.all(Array.from({ length: 8 }, async () => {
      const mapping = new EventSourceMapping(queueUrl, worker);
      await mapping.drain(jobs);
    }));
    const processSeconds = (Date.now() - processing) / 1000;

    let succeeded = 0;
    for await (const page of paginateScan({ client: ddb }, { TableName: tableName, ConsistentRead: true })) {
      for (const item of page.Items ?? []) {
        const n = submitted.get(item.jobId.S!);
        if (item.status.S === 'SUCCEEDED' && n !== undefined && Number(item.result?.N) === n * 2) succeeded++;
      }
    }
    return { jobs, submitSeconds, processSeconds, succeeded, lost: jobs - succeeded };
  } finally {
    await Promise.all([sqsEmulator.stop(), dynamoEmulator.stop()]);
  }
}

if (require.main === module) {
  const jobs = Number(process.argv.find((a) => a.startsWith('--jobs='))?.split('=')[1] ?? 10_000);
  benchAsyncPipeline(jobs).then((f) => {
    console.table([{
      'jobs': f.jobs,
      'submit jobs/s': Math.round(f.jobs / f.submitSeconds),
      'process jobs/s': Math.round(f.jobs / f.processSeconds),
      'end-to-end jobs/s': Math.round(f.jobs / (f.submitSeconds + f.processSeconds)),
      'succeeded': f.succeeded,
      'lost': f.lost,
    }]);
    if (f.lost !== 0) {
      console.error(`LOST ${f.lost} of ${f.jobs} jobs`);
      process.exit(1);
    }
    console.log(`0 lost: all ${f.jobs} jobs SUCCEEDED with their result`);
  }).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
