/**
 * Cost model: the monthly bill of AsyncHttpApi's default configuration for a stated workload,
 * line by line, next to two baselines: the same flow on a REST API with x86 functions, and the
 * architecture the synth benchmark's baseline builds (REST API service integrations to SQS and
 * DynamoDB, aws-sqs-lambda worker on x86). us-east-1 on-demand prices, free tiers excluded.
 *
 * Memory sizes, architectures and the log level of our functions are read from a synthesized
 * template of `new AsyncHttpApi(...)` with defaults, so the model follows the construct. Durations,
 * log bytes and the workload are assumptions, stated in WORKLOAD: nothing here was measured in AWS.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ApiAuthorization, AsyncHttpApi, Handler, ServerlessRestApi } from '../src';

/**
 * Public unit prices, us-east-1, with where they were taken from and the date that source shows.
 * The live AWS pricing pages could not be opened from here; these come from stored copies of
 * public pages (AWS documentation and dated third-party pricing guides that quote the AWS pages).
 */
export const PRICES = {
  httpApiRequest: {
    usd: 1.00 / 1e6,
    unit: '$1.00 per 1M HTTP API requests (first 300M/month)',
    source: 'AWS whitepaper "Best Practices for Designing Amazon API Gateway Private APIs and Private Integration", Cost optimization, Table 4 (docs.aws.amazon.com, page undated); same in go-cloud.io "AWS API Gateway Pricing ... Cost Guide (2026)"',
    date: 'undated AWS page; 2026 guide',
  },
  restApiRequest: {
    usd: 3.50 / 1e6,
    unit: '$3.50 per 1M REST API requests (first 333M/month)',
    source: 'same AWS whitepaper table; same in awsforengineers.com "AWS API Gateway Pricing Explained" (19 May 2025)',
    date: '2025-05-19',
  },
  lambdaRequest: {
    usd: 0.20 / 1e6,
    unit: '$0.20 per 1M Lambda requests (x86 and Arm)',
    source: 'lambda_local_runner docs/lambdas-md/lambda-13-cost.md (git.mcrn.ar, committed 2026-05-11), quoting aws.amazon.com/lambda/pricing; same in cloudchipr.com "AWS Lambda Pricing Breakdown: Ultimate Guide 2024" (US East, N. Virginia)',
    date: '2026-05-11',
  },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    unit: '$0.0000133334 per Arm GB-second (first 7.5B GB-s/month)',
    source: 'same as Lambda request',
    date: '2026-05-11',
  },
  lambdaX86GbSecond: {
    usd: 0.0000166667,
    unit: '$0.0000166667 per x86 GB-second (first 6B GB-s/month)',
    source: 'same as Lambda request',
    date: '2026-05-11',
  },
  sqsRequest: {
    usd: 0.40 / 1e6,
    unit: '$0.40 per 1M SQS standard requests (64 KB chunks; first 100B/month)',
    source: 'cloudburn.io "Amazon SQS Pricing: Complete Guide + Calculator (2026)": "All prices are for US East (N. Virginia) as of March 2026"',
    date: '2026-03',
  },
  dynamoWriteRequestUnit: {
    usd: 0.625 / 1e6,
    unit: '$0.625 per 1M on-demand write request units (1 KB; after the Nov 2024 cut)',
    source: 'airbyte.com "Amazon DynamoDB Pricing: On-Demand & Provisioned Plans" (21 July 2025), US East',
    date: '2025-07-21',
  },
  dynamoReadRequestUnit: {
    usd: 0.125 / 1e6,
    unit: '$0.125 per 1M on-demand read request units (4 KB strongly consistent)',
    source: 'same as DynamoDB write request unit',
    date: '2025-07-21',
  },
  logsIngestionGb: {
    usd: 0.50,
    unit: '$0.50 per GB of CloudWatch Logs Standard ingestion (Lambda logs: first 10 TB tier since 1 May 2025)',
    source: 'duckbillgroup.com on the 1 May 2025 Lambda logs pricing change ("$0.50 per GB for Standard Logs in us-east-1"); aws.amazon.com/cloudwatch/pricing (stored copy, undated) for the free tier that is excluded',
    date: '2025-05',
  },
} as const;

export type PriceKey = keyof typeof PRICES;

/** The workload and every assumption of the model. */
export const WORKLOAD = {
  jobsPerMonth: 1_000_000,
  /** Each job: one POST /jobs and this many GET /jobs/{jobId} polls. */
  statusPollsPerJob: 1,
  /** Request and result bodies at most 1 KB: one SQS chunk, one write request unit per write, one read unit per read. */
  payloadBytes: 1_024,
  /** Warm durations of the library's handlers (one DynamoDB put + one SQS send; one DynamoDB get). */
  submitMs: 40,
  statusMs: 20,
  /**
   * The worker's own overhead per job (jobWorker: mark RUNNING, mark SUCCEEDED), excluding the
   * job's work, which is the same in every architecture (see `workCostPer100Ms`).
   */
  workerOverheadMs: 50,
  /**
   * Jobs per worker invocation. 1M jobs/month is ~0.4 jobs/s; with no batching window Lambda invokes
   * as soon as a message arrives, so batches are mostly single jobs (the conservative case).
   */
  jobsPerWorkerBatch: 1,
  /**
   * Empty long-poll receives of the SQS event source mapping: 5 pollers, 20 s long polls, all month
   * (5 x 2,592,000 s / 20 s). An idle queue consumed by Lambda is not free.
   */
  emptyReceivesPerMonth: 5 * (30 * 24 * 3600) / 20,
  /** Log bytes per invocation / request (estimates from the handlers' log calls, not measured). */
  logBytes: {
    /** One Powertools INFO line ("job accepted"). */
    submit: 300,
    /** The status handler logs only errors. */
    status: 0,
    /** One INFO line ("job succeeded") and one EMF metrics line. */
    worker: 700,
    /** START, END and REPORT lines of a function with text logs at the default level (baseline functions). */
    platformTextLines: 350,
    /** One access-log line (our 12-field JSON; CDK's jsonWithStandardFields for the REST baselines). */
    accessLogLine: 350,
    /** API Gateway execution logging at INFO (Solutions Constructs' default for REST APIs), per request. */
    restExecutionLogInfo: 1_000,
    /** The synth baseline's worker: one line saying what it wrote. */
    baselineWorker: 200,
  },
  gb: 1024 ** 3,
};

/** Our functions' memory, architecture and system log level, read from a default AsyncHttpApi. */
export interface DeployedFunction { memoryMb: number; architecture: string; systemLogLevel?: string }

export function readAsyncHttpApiDefaults(): { submit: DeployedFunction; status: DeployedFunction; worker: DeployedFunction } {
  const stack = new Stack(new App(), 'CostModel', { env: { account: '123456789012', region: 'us-east-1' } });
  new AsyncHttpApi(stack, 'Jobs', { worker: Handler.fromCode(lambda.Code.fromInline('exports.handler = async () => ({});'), { handler: 'index.handler' }) });
  const resources = Object.values<any>(stack.resolve((stack as any)._toCloudFormation()).Resources);
  const fn = (suffix: string): DeployedFunction => {
    const found = resources.find((r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description ?? '').endsWith(suffix));
    if (!found) throw new Error(`cost model: no function described "...${suffix}" in a default AsyncHttpApi`);
    return {
      memoryMb: found.Properties.MemorySize ?? 128,
      architecture: (found.Properties.Architectures ?? ['x86_64'])[0],
      systemLogLevel: found.Properties.LoggingConfig?.SystemLogLevel,
    };
  };
  return { submit: fn(': POST /jobs'), status: fn(': GET /jobs/{jobId}'), worker: fn(': runs jobs from the queue') };
}

export interface LineItem {
  readonly item: string;
  readonly quantity: number;
  readonly price: PriceKey;
  /** What the quantity assumes. */
  readonly basis: string;
}

export interface Architecture {
  readonly name: string;
  readonly description: string;
  readonly items: LineItem[];
}

const gbSeconds = (invocations: number, memoryMb: number, ms: number) => invocations * (memoryMb / 1024) * (ms / 1000);

export function architectures(): Architecture[] {
  const w = WORKLOAD;
  const ours = readAsyncHttpApiDefaults();
  const jobs = w.jobsPerMonth;
  const apiRequests = jobs * (1 + w.statusPollsPerJob);
  const statusCalls = jobs * w.statusPollsPerJob;
  const workerInvocations = jobs / w.jobsPerWorkerBatch;
  const armPrice = (f: DeployedFunction): PriceKey => (f.architecture === 'arm64' ? 'lambdaArmGbSecond' : 'lambdaX86GbSecond');
  // With SystemLogLevel WARN, Lambda drops its INFO platform lines (START/END/REPORT).
  const ourPlatformBytes = ours.worker.systemLogLevel === 'WARN' ? 0 : w.logBytes.platformTextLines;
  const ourGbs = {
    submit: gbSeconds(jobs, ours.submit.memoryMb, w.submitMs),
    status: gbSeconds(statusCalls, ours.status.memoryMb, w.statusMs),
    worker: gbSeconds(workerInvocations, ours.worker.memoryMb, w.workerOverheadMs),
  };
  // SendMessage + receives with messages + empty long polls + DeleteMessageBatch
  const sqsRequests = jobs + workerInvocations + w.emptyReceivesPerMonth + workerInvocations;
  const sqsBasis = `${jobs / 1e6}M SendMessage + ${workerInvocations / 1e6}M receives with messages + ${(w.emptyReceivesPerMonth / 1e6).toFixed(3)}M empty long polls + ${workerInvocations / 1e6}M deletes`;
  const logGb = (bytes: number) => bytes / w.gb;

  const oursItems: LineItem[] = [
    { item: 'API Gateway HTTP API requests', quantity: apiRequests, price: 'httpApiRequest', basis: `${jobs / 1e6}M POST + ${statusCalls / 1e6}M GET` },
    { item: 'Lambda requests (submit, status, worker)', quantity: jobs + statusCalls + workerInvocations, price: 'lambdaRequest', basis: `worker batches of ${w.jobsPerWorkerBatch}` },
    {
      item: `Lambda GB-s: submit (${ours.submit.memoryMb} MB ${ours.submit.architecture}, ${w.submitMs} ms)`, quantity: ourGbs.submit, price: armPrice(ours.submit), basis: 'memory and architecture from the construct',
    },
    {
      item: `Lambda GB-s: status (${ours.status.memoryMb} MB ${ours.status.architecture}, ${w.statusMs} ms)`, quantity: ourGbs.status, price: armPrice(ours.status), basis: 'memory and architecture from the construct',
    },
    {
      item: `Lambda GB-s: worker overhead (${ours.worker.memoryMb} MB ${ours.worker.architecture}, ${w.workerOverheadMs} ms)`, quantity: ourGbs.worker, price: armPrice(ours.worker), basis: 'the job\'s own work excluded',
    },
    { item: 'SQS requests', quantity: sqsRequests, price: 'sqsRequest', basis: sqsBasis },
    { item: 'DynamoDB write request units', quantity: 3 * jobs, price: 'dynamoWriteRequestUnit', basis: 'PutItem PENDING, UpdateItem RUNNING, UpdateItem SUCCEEDED' },
    { item: 'DynamoDB read request units', quantity: statusCalls, price: 'dynamoReadRequestUnit', basis: 'GetItem, strongly consistent' },
    {
      item: 'CloudWatch Logs ingestion (GB)',
      quantity: logGb(jobs * w.logBytes.submit + statusCalls * w.logBytes.status + workerInvocations * w.logBytes.worker
        + (jobs + statusCalls + workerInvocations) * ourPlatformBytes + apiRequests * w.logBytes.accessLogLine),
      price: 'logsIngestionGb',
      basis: `${w.logBytes.submit} B/submit, ${w.logBytes.status} B/status, ${w.logBytes.worker} B/worker run, ${ourPlatformBytes} B platform lines (system log level ${ours.worker.systemLogLevel ?? 'default'}), ${w.logBytes.accessLogLine} B/access-log line`,
    },
  ];

  const x86 = (gbs: number) => gbs; // same GB-seconds, x86 price
  const sameFlowItems: LineItem[] = oursItems.map((line) => {
    if (line.price === 'httpApiRequest') return { ...line, item: 'API Gateway REST API requests', price: 'restApiRequest' };
    if (line.price === 'lambdaArmGbSecond') return { ...line, item: line.item.replace('arm64', 'x86_64'), quantity: x86(line.quantity), price: 'lambdaX86GbSecond' };
    if (line.price === 'logsIngestionGb') {
      const platform = (jobs + statusCalls + workerInvocations) * w.logBytes.platformTextLines;
      return {
        ...line,
        quantity: logGb(jobs * w.logBytes.submit + statusCalls * w.logBytes.status + workerInvocations * w.logBytes.worker
          + platform + apiRequests * w.logBytes.accessLogLine),
        basis: `as ours, plus ${w.logBytes.platformTextLines} B of START/END/REPORT per invocation (default text logs)`,
      };
    }
    return line;
  });

  const synthBaselineItems: LineItem[] = [
    { item: 'API Gateway REST API requests', quantity: apiRequests, price: 'restApiRequest', basis: `${jobs / 1e6}M POST (-> SQS) + ${statusCalls / 1e6}M GET (-> DynamoDB)` },
    { item: 'Lambda requests (worker only)', quantity: workerInvocations, price: 'lambdaRequest', basis: 'no submit/status functions: service integrations' },
    {
      item: `Lambda GB-s: worker (${ours.worker.memoryMb} MB x86_64, ${w.workerOverheadMs} ms)`, quantity: gbSeconds(workerInvocations, ours.worker.memoryMb, w.workerOverheadMs), price: 'lambdaX86GbSecond', basis: 'same memory and overhead as ours',
    },
    { item: 'SQS requests', quantity: sqsRequests, price: 'sqsRequest', basis: sqsBasis },
    { item: 'DynamoDB write request units', quantity: jobs, price: 'dynamoWriteRequestUnit', basis: 'the worker writes the result once (no PENDING/RUNNING records: a queued job reads as 404)' },
    { item: 'DynamoDB read request units', quantity: statusCalls, price: 'dynamoReadRequestUnit', basis: 'GetItem, strongly consistent' },
    {
      item: 'CloudWatch Logs ingestion (GB)',
      quantity: logGb(workerInvocations * (w.logBytes.baselineWorker + w.logBytes.platformTextLines)
        + apiRequests * (w.logBytes.accessLogLine + w.logBytes.restExecutionLogInfo)),
      price: 'logsIngestionGb',
      basis: `${w.logBytes.baselineWorker + w.logBytes.platformTextLines} B/worker run, ${w.logBytes.accessLogLine} B access log + ${w.logBytes.restExecutionLogInfo} B execution log (INFO) per request`,
    },
  ];

  return [
    { name: 'AsyncHttpApi (ours, defaults)', description: 'HTTP API -> submit (Lambda) -> DynamoDB + SQS -> worker (Lambda); GET -> status (Lambda) -> DynamoDB; arm64', items: oursItems },
    { name: 'Baseline: same flow, REST API + x86', description: 'the same functions and calls on a REST API with x86_64 functions and default text logs', items: sameFlowItems },
    { name: 'Baseline: synth benchmark architecture', description: 'REST API service integrations (POST -> SQS SendMessage, GET -> DynamoDB GetItem), aws-sqs-lambda worker on x86_64', items: synthBaselineItems },
  ];
}

export function cost(line: LineItem): number {
  return line.quantity * PRICES[line.price].usd;
}

export function total(arch: Architecture): number {
  return arch.items.reduce((sum, line) => sum + cost(line), 0);
}

/** The job's own work, per 100 ms at the worker's memory: the same in every architecture, so left out of the totals. */
export function workCostPer100Ms(memoryMb: number, price: PriceKey): number {
  return gbSeconds(WORKLOAD.jobsPerMonth, memoryMb, 100) * PRICES[price].usd;
}

const usd = (n: number) => `$${n.toFixed(n < 0.01 ? 4 : 2)}`;
const qty = (n: number) => (n >= 1000 ? Math.round(n).toLocaleString('en-US') : +n.toFixed(3));

export function lineItemTable(arch: Architecture) {
  return [
    ...arch.items.map((line) => ({
      'line item': line.item,
      'quantity': qty(line.quantity),
      'unit price (us-east-1)': PRICES[line.price].unit,
      'price date': PRICES[line.price].date,
      'monthly': usd(cost(line)),
      'basis': line.basis,
    })),
    { 'line item': 'TOTAL', 'quantity': '', 'unit price (us-east-1)': '', 'price date': '', 'monthly': usd(total(arch)), 'basis': 'free tiers excluded' },
  ];
}

export const TARGET_USD_PER_MILLION_JOBS = 2;

export function costSummary(archs: Architecture[]) {
  const ours = total(archs[0]);
  return archs.map((arch) => ({
    'architecture': arch.name,
    'per month (1M jobs)': usd(total(arch)),
    'per 1M jobs': usd(total(arch) / (WORKLOAD.jobsPerMonth / 1e6)),
    'ours / this': +(ours / total(arch)).toFixed(2),
    [`<= $${TARGET_USD_PER_MILLION_JOBS} per 1M jobs`]: total(arch) / (WORKLOAD.jobsPerMonth / 1e6) <= TARGET_USD_PER_MILLION_JOBS ? 'yes' : 'NO',
  }));
}

export function priceSources(): string[] {
  return Object.values(PRICES).map((p) => `${p.unit}: ${p.source}`);
}

// ---------------------------------------------------------------------------------------------
// ServerlessRestApi: the cost of 1M requests of a CRUD mix, beside the seed's ~$2 figure
// ---------------------------------------------------------------------------------------------

/** The request mix of 1M ServerlessRestApi requests and its assumptions (nothing measured in AWS). */
export const REST_WORKLOAD = {
  requests: 1_000_000,
  /** Share of each route; items are at most 1 KB. */
  mix: { getItem: 0.5, listPage: 0.3, create: 0.1, patch: 0.07, remove: 0.03 },
  /** A list page: 25 items of 1 KB read with an eventually consistent Query (26 items read: one more than the page). */
  listPageKb: 26,
  /** Warm durations of the built-in CRUD handler per route (one DynamoDB call; PATCH reads then writes). */
  ms: { getItem: 20, listPage: 35, create: 25, patch: 45, remove: 25 },
  /** The CRUD handler logs errors only; one access-log line per request (16-field JSON). */
  accessLogLine: 450,
  /** The seed's estimate for its Pattern 1, per 1M requests. */
  seedUsdPerMillion: 2,
};

/** The built-in CRUD handler's memory, architecture and system log level, read from a default ServerlessRestApi. */
export function readServerlessRestApiDefaults(): DeployedFunction {
  const stack = new Stack(new App(), 'RestCostModel', { env: { account: '123456789012', region: 'us-east-1' } });
  new ServerlessRestApi(stack, 'Catalog', { resources: [{ name: 'items' }], authorization: ApiAuthorization.none() });
  const resources = Object.values<any>(stack.resolve((stack as any)._toCloudFormation()).Resources);
  const found = resources.find((r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description ?? '').endsWith(': /items routes'));
  if (!found) throw new Error('cost model: no function described "...: /items routes" in a default ServerlessRestApi');
  return { memoryMb: found.Properties.MemorySize ?? 128, architecture: (found.Properties.Architectures ?? ['x86_64'])[0], systemLogLevel: found.Properties.LoggingConfig?.SystemLogLevel };
}

/** ServerlessRestApi (defaults) for 1M requests of the mix in REST_WORKLOAD. */
export function restApiArchitecture(): Architecture {
  const w = REST_WORKLOAD;
  const fn = readServerlessRestApiDefaults();
  const n = (route: keyof typeof w.mix) => w.requests * w.mix[route];
  const routes = Object.keys(w.mix) as (keyof typeof w.mix)[];
  const gbs = routes.reduce((sum, r) => sum + gbSeconds(n(r), fn.memoryMb, w.ms[r]), 0);
  const meanMs = routes.reduce((sum, r) => sum + w.mix[r] * w.ms[r], 0);
  const platformBytes = fn.systemLogLevel === 'WARN' ? 0 : WORKLOAD.logBytes.platformTextLines;
  // Strongly consistent GetItem of <= 4 KB: 1 RRU; eventually consistent Query: 0.5 RRU per 4 KB.
  const listRru = Math.ceil(w.listPageKb / 4) * 0.5;
  return {
    name: 'ServerlessRestApi (ours, defaults)',
    description: `HTTP API -> CRUD function (${fn.memoryMb} MB ${fn.architecture}) -> DynamoDB on demand; per 1M requests: ${routes.map((r) => `${Math.round(w.mix[r] * 100)}% ${r}`).join(', ')}`,
    items: [
      { item: 'API Gateway HTTP API requests', quantity: w.requests, price: 'httpApiRequest', basis: 'every request (429s from throttling are not billed)' },
      { item: 'Lambda requests (CRUD handler)', quantity: w.requests, price: 'lambdaRequest', basis: 'one invocation per request' },
      {
        item: `Lambda GB-s (${fn.memoryMb} MB ${fn.architecture}, ${meanMs.toFixed(1)} ms mean)`,
        quantity: gbs,
        price: fn.architecture === 'arm64' ? 'lambdaArmGbSecond' : 'lambdaX86GbSecond',
        basis: `memory and architecture from the construct; ${routes.map((r) => `${r} ${w.ms[r]} ms`).join(', ')}`,
      },
      { item: 'DynamoDB write request units', quantity: n('create') + n('patch') + n('remove'), price: 'dynamoWriteRequestUnit', basis: 'one conditional PutItem/DeleteItem of <= 1 KB per write (a failed condition costs the same)' },
      {
        item: 'DynamoDB read request units',
        quantity: n('getItem') + n('patch') + n('listPage') * listRru,
        price: 'dynamoReadRequestUnit',
        basis: `GetItem strongly consistent (get, and the read before a PATCH): 1 RRU; a list page: ${listRru} RRU (${w.listPageKb} KB eventually consistent Query); the cursor key read once per container is negligible`,
      },
      {
        item: 'CloudWatch Logs ingestion (GB)',
        quantity: (w.requests * (w.accessLogLine + platformBytes)) / WORKLOAD.gb,
        price: 'logsIngestionGb',
        basis: `${w.accessLogLine} B access-log line per request; ${platformBytes} B platform lines (system log level ${fn.systemLogLevel ?? 'default'}); the handler logs errors only`,
      },
    ],
  };
}

/** Ours per 1M requests next to the seed's figure. */
export function restApiCostSummary(arch: Architecture) {
  const perMillion = total(arch) / (REST_WORKLOAD.requests / 1e6);
  return [
    { 'architecture': arch.name, 'per 1M requests': usd(perMillion) },
    { 'architecture': 'Seed Pattern 1 estimate (HTTP API $1.00/M + Lambda + DynamoDB on demand)', 'per 1M requests': `~${usd(REST_WORKLOAD.seedUsdPerMillion)}` },
  ];
}

if (require.main === module) {
  const archs = architectures();
  for (const arch of archs) {
    console.log(`\n${arch.name}: ${arch.description}`);
    console.table(lineItemTable(arch));
  }
  console.table(costSummary(archs));
  const rest = restApiArchitecture();
  console.log(`\n${rest.name}: ${rest.description}`);
  console.table(lineItemTable(rest));
  console.table(restApiCostSummary(rest));
}
