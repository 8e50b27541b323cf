/**
 * `npm run bench`: every benchmark, figures printed as tables and written to docs/benchmarks.md
 * (with the date and the machine). Benchmarks are not tests: they print figures and fail only when
 * a correctness check inside them fails (a lost job).
 * `--smoke` runs each at the smallest size (synth: N=1, one run) so CI keeps them from rotting; it
 * prints only and leaves docs/benchmarks.md alone.
 */
// Must come first: quiets Powertools before any handler module creates its Logger.
import '../test/helpers/quiet-powertools';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { benchAsyncFaults, faultTable } from './async-faults';
import { benchAsyncPipeline } from './async-pipeline';
import {
  architectures, costSummary, lineItemTable, priceSources, PRICES, REST_WORKLOAD, restApiArchitecture, restApiCostSummary,
  TARGET_USD_PER_MILLION_JOBS, total, WORKLOAD, workCostPer100Ms,
} from './cost';
import { benchHandlers, handlerTable } from './handlers';
import { bullets, markdownTable, Row } from './markdown';
import { baselineNotes, benchSynth, growthTable, synthConsoleHeadlines, synthTable, synthVerdicts } from './synth';

const DOC = path.join(__dirname, '..', 'docs', 'benchmarks.md');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const CDK_VERSION: string = require('aws-cdk-lib/package.json').version;

async function main(): Promise<void> {
  const smoke = process.argv.includes('--smoke');
  const started = new Date();
  const loadAtStart = os.loadavg();
  const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 1024 ** 3)} GiB`;
  console.log(`cdk-serverless-patterns benchmarks${smoke ? ' (smoke mode)' : ''} on node ${process.version}, ${machine}, ${started.toISOString()}`);
  const doc: string[] = [];
  const section = (title: string, intro: string, ...tables: Row[][]) => {
    console.log(`\n${title}`);
    for (const rows of tables) console.table(rows);
    doc.push(`## ${title}\n\n${intro}\n\n${tables.map(markdownTable).join('\n\n')}`);
  };

  const handlerRuns = smoke ? 3 : 21;
  section('Shipped handlers: bundle size and cold module init',
    `Every handler the library ships (assets/, bundled by \`npx projen bundle\`): bytes raw and gzipped, and module init time as the median of ${handlerRuns} fresh Node processes, interleaved with an empty handler and the "SDK floor" (a handler that only loads the AWS SDK v3 clients the bundle loads; the Lambda runtime provides the SDK). Targets: <= 100 KB and <= 50 ms of own init.`,
    handlerTable(benchHandlers(handlerRuns)));

  const jobs = smoke ? 100 : 10_000;
  const pipeline = await benchAsyncPipeline(jobs);
  section(`AsyncHttpApi local pipeline: ${jobs} jobs`,
    'Jobs submitted through the real submit handler and run by a jobWorker through a simulated event source mapping, against fauxqs (SQS) and dynalite (DynamoDB) on 127.0.0.1. Target: 0 lost.',
    [{
      'jobs': pipeline.jobs,
      'submit jobs/s': Math.round(pipeline.jobs / pipeline.submitSeconds),
      'process jobs/s': Math.round(pipeline.jobs / pipeline.processSeconds),
      'succeeded': pipeline.succeeded,
      'lost': pipeline.lost,
    }]);
  if (pipeline.lost !== 0) throw new Error(`lost ${pipeline.lost} jobs`);

  const faults = await benchAsyncFaults(jobs, 0.01, 0.01);
  section(`AsyncHttpApi under faults: ${jobs} jobs, 1% of deliveries crashed, 1% of messages duplicated`,
    'The same pipeline with 8 pollers, batches of 10 and a simulated 5 s function timeout, run fault-free and then with faults, in the same process on the same emulators. '
    + 'A crashed delivery is a job function that never returns: its invocation times out and its whole batch comes back after the 8 s visibility timeout (the finished jobs in it are dropped as duplicates, the crashed one is taken over once its lease ends). '
    + 'A duplicated message is a second copy of a job\'s message sent at random. The dead-letter consumer runs on the DLQ throughout. '
    + '"process jobs/s" runs until the last job\'s function returned. Targets: 0 lost, 0 stuck (every job SUCCEEDED or FAILED), 0 double runs (no job function started on a finished job).',
    faultTable(faults));
  if (faults.some((f) => f.lost || f.stuck || f.doubleRuns || f.failed)) throw new Error('the fault run lost, failed, left stuck or ran twice a job');

  console.log('\nSynth: ours vs the AWS Solutions Constructs baseline (this takes a while)');
  const synth = benchSynth(smoke, console.log);
  section('Synth: time and CloudFormation resources, ours vs baseline',
    [
      `For each pattern, N instances (N = ${[...new Set(synth.map((f) => f.n))].join(', ')}), one stack per instance (20 AsyncHttpApis would exceed CloudFormation's 500 resources per stack), in one fresh \`App\` per run that builds the construct tree and runs \`App.synth()\` into a fresh directory. `
      + `"ms" is tree + synth, "synth() ms" is \`App.synth()\` alone; medians of ${synth[0]?.runs ?? 0} runs, ours and the baseline interleaved in the same process (the side that goes first alternates), after one unmeasured warm-up run of every case. `
      + 'Ratios are ours / baseline (target for time: <= 1.0). Both sides use inline code for the code a user brings; our library handlers are pre-bundled assets and their staging into the assembly is measured. '
      + `aws-cdk-lib ${CDK_VERSION} (the installed release) runs a built-in CloudFormation validation plugin (WebAssembly rule engine) in every synth by default; it dominates synth time, so every case is measured with it on (what users get) and off (\`new App({ builtinCloudFormationValidation: false })\` from 2.276 on, \`CDK_VALIDATION=false\` before: the constructs alone). `
      + 'Patterns not merged on this branch show "not merged yet": their baseline is still synthesized so it cannot rot.',
      '',
      `Baselines (\`@aws-solutions-constructs/*\` 2.56-2.104 on aws-cdk-lib ${CDK_VERSION}, plus L2s where no usable Solutions Construct exists):`,
      '',
      bullets(baselineNotes()),
      '',
      synthConsoleHeadlines().length ? `Printed while building (collected, once each):\n\n${bullets(synthConsoleHeadlines().map((l) => `\`${l}\``))}` : '',
      '',
      'Results at the largest N:',
      '',
      bullets(synthVerdicts(synth)),
    ].join('\n'),
    synthTable(synth));
  for (const line of synthVerdicts(synth)) console.log(line);
  section('Synth: growth in N',
    'Time per instance at each N, and the marginal time per added instance (N 1 -> 5, 5 -> 20). Growth counts as linear when the marginal time does not grow by more than 1.5x (noise on a shared machine); resources must grow by exactly the same count per instance.',
    growthTable(synth));

  const archs = architectures();
  const ours = archs[0];
  const oursTotal = total(ours);
  const worker = ours.items.find((l) => l.item.startsWith('Lambda GB-s: worker'))!;
  const floor = WORKLOAD.jobsPerMonth * PRICES.httpApiRequest.usd + 3 * WORKLOAD.jobsPerMonth * PRICES.dynamoWriteRequestUnit.usd;
  section(`Cost model: ${WORKLOAD.jobsPerMonth.toLocaleString('en-US')} async jobs per month`,
    [
      `Monthly cost of AsyncHttpApi's default configuration, us-east-1 on-demand prices, free tiers excluded. Workload: each job is one POST /jobs and ${WORKLOAD.statusPollsPerJob} GET /jobs/{jobId} poll, bodies and results <= ${WORKLOAD.payloadBytes} bytes. `
      + `Memory and architecture of our functions are read from a synthesized default AsyncHttpApi; durations are assumptions (submit ${WORKLOAD.submitMs} ms, status ${WORKLOAD.statusMs} ms, worker overhead ${WORKLOAD.workerOverheadMs} ms warm), `
      + `worker batches of ${WORKLOAD.jobsPerWorkerBatch} (~0.4 jobs/s, no batching window), ${WORKLOAD.emptyReceivesPerMonth.toLocaleString('en-US')} empty long polls a month from the event source mapping (5 pollers x 20 s), log bytes as stated per line. Cold-start (INIT) time, which Lambda bills too, is not modelled; nor are data transfer out, storage, alarms and X-Ray traces. Nothing here was measured in AWS.`,
      '',
      `The job's own work is the same in every architecture and left out: each 100 ms of it adds $${workCostPer100Ms(1024, worker.price).toFixed(2)} per 1M jobs on arm64 at 1024 MB (x86: $${workCostPer100Ms(1024, 'lambdaX86GbSecond').toFixed(2)}).`,
      '',
      `**Target <= $${TARGET_USD_PER_MILLION_JOBS} per 1M jobs: ${oursTotal <= TARGET_USD_PER_MILLION_JOBS ? 'met' : 'NOT met'}** ($${oursTotal.toFixed(2)}). `
      + (oursTotal <= TARGET_USD_PER_MILLION_JOBS ? '' : `With a status record, the floor alone is above the target: the POST request ($${(WORKLOAD.jobsPerMonth * PRICES.httpApiRequest.usd).toFixed(2)}) plus three DynamoDB writes per job (PENDING, RUNNING, SUCCEEDED: $${(3 * WORKLOAD.jobsPerMonth * PRICES.dynamoWriteRequestUnit.usd).toFixed(2)}) make $${floor.toFixed(2)} before any Lambda, SQS or log charge. `)
      + `Ours costs ${Math.round((1 - oursTotal / total(archs[1])) * 100)}% less than the same flow on a REST API with x86 functions, and ${Math.round((1 - oursTotal / total(archs[2])) * 100)}% less than the service-integration baseline of the synth benchmark (which writes one status record instead of three and runs no submit/status functions, but pays REST API prices and INFO execution logs).`,
      '',
      'Unit prices, where they come from and the date that source shows (the live AWS pricing pages could not be opened here; these are stored copies of public pages):',
      '',
      bullets(priceSources()),
    ].join('\n'),
    costSummary(archs));
  for (const arch of archs) section(`Cost lines: ${arch.name}`, arch.description, lineItemTable(arch));
  const rest = restApiArchitecture();
  section('Cost model: ServerlessRestApi, per 1M requests',
    `${rest.description}. Memory and architecture are read from a synthesized default ServerlessRestApi; durations and the mix are assumptions (REST_WORKLOAD in bench/cost.ts); cold starts, data transfer, storage and alarms are not modelled. Beside the seed's ~$${REST_WORKLOAD.seedUsdPerMillion} figure for its Pattern 1.`,
    [...lineItemTable(rest), ...restApiCostSummary(rest).map((row) => ({ 'line item': row.architecture, 'monthly': row['per 1M requests'] }))]);

  if (smoke) return;
  const header = [
    '# Benchmarks',
    '',
    'Generated by `npx projen bench` (bench/run.ts); do not edit by hand.',
    '',
    `- Date: ${started.toISOString()}`,
    `- Machine: ${machine} (\`os.cpus()[0].model\`, core count, memory); load average at start ${loadAtStart.map((l) => l.toFixed(2)).join(', ')} (a shared machine: absolute times are noisy, ratios from interleaved runs less so)`,
    `- Node.js: ${process.version}`,
    '',
  ].join('\n');
  fs.mkdirSync(path.dirname(DOC), { recursive: true });
  fs.writeFileSync(DOC, `${header}\n${doc.join('\n\n')}\n`);
  console.log(`\nwrote ${path.relative(process.cwd(), DOC)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
