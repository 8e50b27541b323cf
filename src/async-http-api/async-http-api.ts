import { Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as apigwv2Integrations from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ApiAuthorization } from './api-authorization';
import { validateRequestSchema } from './request-schema';
import { ENV, MAX_PAYLOAD_BYTES } from './runtime/env';
import { AlarmSink, AlarmSpec, PatternAlarms } from '../core/alarm-factory';
import { AlarmsOptions } from '../core/alarms';
import { bundledHandlerCode } from '../core/assets';
import { DatabaseAccessOptions } from '../core/database';
import { DEFAULTS } from '../core/defaults';
import { PatternValidationError } from '../core/errors';
import { PATTERN_FUNCTION_CONTEXT, QUEUE_INTERNALS } from '../core/function-internals';
import { Handler } from '../core/handler';
import { acknowledgeNagFindings } from '../core/nag';
import { vendedLogGroupName } from '../core/names';
import { Notifications } from '../core/notifications';
import { DeadLetteredQueue, DeadLetteredQueueProps, QueueConsumerOptions } from '../core/queue';
import { FunctionInvocation, ServerlessFunction, ServerlessFunctionProps } from '../core/serverless-function';
import { validateIntegerRange, validateWholeSeconds } from '../core/validation';

/** Defaults of AsyncHttpApi, with their reasons. */
const ASYNC_HTTP_API_DEFAULTS = {
  /** Steady-state requests per second per stage: protects the table and queue from a runaway client. */
  throttlingRateLimit: 50,
  /** Burst above the rate. */
  throttlingBurstLimit: 100,
  /** A week: long enough for any client to poll, short enough to keep the table small. */
  jobTtl: Duration.days(7),
  minJobTtl: Duration.hours(1),
  maxJobTtl: Duration.days(365),
  /** Lambda environment variables are limited to 4 KB in total; the schema gets most of it. */
  maxRequestSchemaBytes: 3_072,
  /** Library handlers answer HTTP requests: small and quick. */
  apiFunctionMemorySize: 256,
  apiFunctionTimeout: Duration.seconds(10),
  /** The dead-letter consumer: 6 x its timeout must fit the DLQ's default 30 s visibility timeout. */
  deadLetterFunctionTimeout: Duration.seconds(5),
  /** The worker's own default: long-running work is why this pattern exists. */
  workerTimeout: Duration.minutes(5),
  /**
   * A dead-lettered message the dead-letter consumer has not recorded after this long (beyond the
   * worker timeout, during which a delivery may still hold the job's lease) means it cannot.
   */
  unrecordedDeadLetterGrace: Duration.minutes(15),
} as const;

/** Props of an `AsyncHttpApi`. */
export interface AsyncHttpApiProps extends DatabaseAccessOptions, QueueConsumerOptions {
  /**
   * The code that runs each job, consuming the jobs queue: `Handler.fromAsset(path, { handler })`
   * (any runtime; wrap a Node.js handler with `jobWorker` from `cdk-serverless-patterns-runtime`,
   * or follow docs/protocols.md in another language), `Handler.fromEntry(entry)` or
   * `Handler.fromFunction(fn)` (the pattern adds the SQS event source, the table permissions and
   * the environment). The worker's timeout sizes the queue's visibility timeout (6 x).
   */
  readonly worker: Handler;
  /**
   * Who may call both routes: `ApiAuthorization.iam()` (SigV4, for servers and functions; see
   * `grantSubmit`/`grantRead`), `ApiAuthorization.jwt({ issuer, audience })` (bearer tokens, for
   * browsers, also through `StaticSite.apiOrigin`), `ApiAuthorization.none()` or
   * `ApiAuthorization.authorizer(a)`.
   *
   * @default ApiAuthorization.iam()
   */
  readonly authorization?: ApiAuthorization;
  /**
   * Stage throttling: steady-state requests per second, 1 to 10000.
   *
   * @default 50
   */
  readonly throttlingRateLimit?: number;
  /**
   * Stage throttling: burst capacity, 1 to 5000.
   *
   * @default 100
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Largest request body accepted, 1 to 261120 bytes (the SQS 256 KiB message limit minus 1 KiB
   * for the envelope). Larger bodies get 413.
   *
   * @default 261120
   */
  readonly maxPayloadBytes?: number;
  /**
   * A JSON Schema (draft 2020-12, as an object) that request bodies must satisfy; violations get
   * 400 listing them. Checked at synth against the JSON Schema meta-schema with the validator the
   * submit handler uses (@cfworker/json-schema): an invalid schema fails naming the JSON path of
   * the error (e.g. `requestSchema/properties/name/type`), and so does a `$ref` that resolves to
   * nothing. At most 3 KB as JSON (it travels in an environment variable).
   *
   * @default - any JSON body is accepted
   */
  readonly requestSchema?: { [key: string]: any };
  /**
   * How long a job record is kept after it was created (DynamoDB TTL), 1 hour to 365 days, in
   * whole seconds.
   *
   * @default Duration.days(7)
   */
  readonly jobTtl?: Duration;
  /**
   * What happens to the job table when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Deliveries of a job before it is recorded FAILED and its message dead-lettered, 1 to 1000.
   *
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * Where `JobSucceeded` and `JobFailed` notices go, so clients can be pushed instead of polling:
   * `Notifications.sns(topic?)` (message attribute `type`; without a topic, a new one encrypted
   * with a customer-managed key) or `Notifications.eventBridge(bus?)` (source
   * `cdk-serverless-patterns.async-http-api`, detail `{ jobId, error? }`; without a bus, the
   * account's default bus). The worker and the dead-letter consumer may publish there.
   *
   * @default - no notices; clients poll `GET /jobs/{jobId}`
   */
  readonly notifications?: Notifications;
  /**
   * The pattern's alarms. On by default (each needs a human):
   * - `Queue.DeadLetters`: a job reached the dead-letter queue (its last delivery failed, crashed
   *   or timed out) in a five-minute period; it is recorded FAILED. Stays in ALARM while the
   *   dead-letter consumer keeps retrying a message it cannot record.
   * - `Queue.OldestMessageAge`: the oldest waiting job is 15 minutes old for 5 minutes (threshold in seconds).
   * - `DeadLetterHandler.UnrecordedJobs`: a dead-lettered job waits unrecorded longer than the
   *   worker timeout + 15 minutes (threshold in seconds): callers still see it RUNNING.
   * - `Api.ServerErrorRate`: at least 5% of requests answered 5xx (function errors, throttles,
   *   timeouts) in 2 of the last 3 five-minute periods (threshold in percent).
   *
   * Off by default, turned on with `overrides: { '<name>': { enabled: true } }`:
   * `Worker.ErrorRate` (failed attempts are retried and end in `Queue.DeadLetters`),
   * `Worker.Duration`, `Submit.ErrorRate`, `Submit.Throttles`, `Submit.Duration`,
   * `Status.ErrorRate`, `Status.Throttles`, `Status.Duration` (callers see these as 5xx, which
   * `Api.ServerErrorRate` watches), `DeadLetterHandler.ErrorRate`, `DeadLetterHandler.Duration`.
   * A worker from `Handler.fromFunction` has no `Worker.*` alarms (its alarms are yours).
   *
   * @default - the four alarms above, without actions
   */
  readonly alarms?: AlarmsOptions;
}

/**
 * An asynchronous job API: `POST /jobs` validates the body, records a PENDING job in DynamoDB,
 * queues it and answers 202 with the job id; a worker function runs the job from an SQS queue
 * (with a dead-letter queue); `GET /jobs/{jobId}` answers PENDING, RUNNING, SUCCEEDED (with the
 * result) or FAILED (with the error). For work longer than an HTTP timeout.
 *
 * @example
 * const jobs = new AsyncHttpApi(this, 'Reports', {
 *   worker: Handler.fromAsset('dist/report', { handler: 'index.handler' }),
 * });
 */
export class AsyncHttpApi extends Construct {
  /** The HTTP API (API Gateway v2). */
  public readonly httpApi: apigwv2.HttpApi;
  /** The API's stage (`$default`), with access logging and throttling. */
  public readonly stage: apigwv2.HttpStage;
  /** Base URL of the API, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/`. */
  public readonly url: string;
  /** How callers are authorized: 'iam', 'jwt', 'none' or 'custom' (see `ApiAuthorization`). */
  public readonly authorizationKind: string;
  /** The access log group of the stage. */
  public readonly accessLogGroup: logs.LogGroup;
  /** The job records: partition key `jobId`, TTL attribute `expiresAt`. */
  public readonly jobsTable: dynamodb.Table;
  /** The queue that buffers jobs. */
  public readonly queue: sqs.Queue;
  /** Where jobs go after `maxReceiveCount` failed deliveries (the dead-letter consumer drains it). */
  public readonly deadLetterQueue: sqs.Queue;
  /** The worker that runs jobs (the one you gave with `Handler.fromFunction`, or the one built from your code). */
  public readonly workerFunction: lambda.Function;
  /** Handles `POST /jobs`. */
  public readonly submitFunction: ServerlessFunction;
  /** Handles `GET /jobs/{jobId}`. */
  public readonly statusFunction: ServerlessFunction;
  /**
   * Consumes the dead-letter queue: records FAILED (and sends `JobFailed`) each job whose last
   * delivery crashed or timed out. The messages are deleted once recorded; the job records keep
   * the error, and the `Queue.DeadLetters` alarm fires on every one.
   */
  public readonly deadLetterFunction: ServerlessFunction;
  /**
   * The topic that receives `JobSucceeded`/`JobFailed`, with `Notifications.sns()`.
   *
   * @default - undefined unless `notifications` is `Notifications.sns()`
   */
  public readonly notificationTopic?: sns.ITopic;
  /**
   * The bus that receives `JobSucceeded`/`JobFailed`, with `Notifications.eventBridge()`.
   *
   * @default - undefined unless `notifications` is `Notifications.eventBridge()`
   */
  public readonly notificationBus?: events.IEventBus;
  /** Every alarm created (see `alarms` in the props for their names and defaults). */
  public readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: AsyncHttpApiProps) {
    super(scope, id);
    if (!(props.worker instanceof Handler)) {
      throw new PatternValidationError(this, 'worker must be a Handler: Handler.fromAsset(path, { handler }), Handler.fromEntry(entry) or Handler.fromFunction(fn)');
    }
    const authorization = props.authorization ?? ApiAuthorization.iam();
    this.authorizationKind = authorization.kind;
    const maxPayloadBytes = props.maxPayloadBytes ?? MAX_PAYLOAD_BYTES;
    validateIntegerRange(this, 'maxPayloadBytes', maxPayloadBytes, 1, MAX_PAYLOAD_BYTES);
    const jobTtl = props.jobTtl ?? ASYNC_HTTP_API_DEFAULTS.jobTtl;
    validateWholeSeconds(this, 'jobTtl', jobTtl, ASYNC_HTTP_API_DEFAULTS.minJobTtl, ASYNC_HTTP_API_DEFAULTS.maxJobTtl);
    validateIntegerRange(this, 'throttlingRateLimit', props.throttlingRateLimit, 1, 10_000);
    validateIntegerRange(this, 'throttlingBurstLimit', props.throttlingBurstLimit, 1, 5_000);
    if (props.requestSchema !== undefined) validateRequestSchema(this, 'requestSchema', props.requestSchema);
    const requestSchema = props.requestSchema ? JSON.stringify(props.requestSchema) : undefined;
    if (requestSchema && Buffer.byteLength(requestSchema) > ASYNC_HTTP_API_DEFAULTS.maxRequestSchemaBytes) {
      throw new PatternValidationError(this, `requestSchema must be at most ${ASYNC_HTTP_API_DEFAULTS.maxRequestSchemaBytes} bytes as JSON `
        + `(it is passed in an environment variable, and Lambda allows 4 KB in total), got ${Buffer.byteLength(requestSchema)}`);
    }
    const patternAlarms = new PatternAlarms(this, props.alarms);

    this.jobsTable = new dynamodb.Table(this, 'JobsTable', {
      partitionKey: { name: 'jobId', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    const notices = this.notificationTarget(props.notifications);
    this.notificationTopic = notices.topic;
    this.notificationBus = notices.bus;

    // The worker first: its timeout sizes the queue; the queue URL is added once the queue exists.
    const worker = props.worker._bind(this, {
      id: 'Worker',
      prop: 'worker',
      description: `${this.node.path}: runs jobs from the queue`,
      defaultTimeout: ASYNC_HTTP_API_DEFAULTS.workerTimeout,
      environment: { [ENV.JOBS_TABLE_NAME]: this.jobsTable.tableName, ...notices.environment },
      invocation: FunctionInvocation.QUEUE,
      alarms: patternAlarms.forPart('Worker'),
      // Failed attempts are retried; what exhausts them reaches the DLQ, which Queue.DeadLetters watches.
      alarmsOffByDefault: ['ErrorRate'],
      database: props.database,
      databaseSubnets: props.databaseSubnets,
      databaseUser: props.databaseUser,
    });
    this.workerFunction = worker.fn;

    const queueProps: DeadLetteredQueueProps = { consumerTimeout: worker.timeout, maxReceiveCount: props.maxReceiveCount };
    QUEUE_INTERNALS.set(queueProps, { alarms: new DeadLetteredJobsSink(patternAlarms, this.node.path), prop: '' });
    const jobsQueue = new DeadLetteredQueue(this, 'Jobs', queueProps);
    this.queue = jobsQueue.queue;
    this.deadLetterQueue = jobsQueue.deadLetterQueue;

    // The heartbeat extends the visibility of the messages it runs (ChangeMessageVisibility).
    this.workerFunction.addEnvironment(ENV.JOBS_QUEUE_URL, this.queue.queueUrl);
    this.workerFunction.addEnvironment(ENV.MAX_RECEIVE_COUNT, String(jobsQueue.maxReceiveCount));
    this.jobsTable.grant(this.workerFunction, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    notices.grant(this.workerFunction);
    jobsQueue.addConsumer(this.workerFunction, {
      batchSize: props.batchSize,
      maxBatchingWindow: props.maxBatchingWindow,
      maxConcurrency: props.maxConcurrency,
    });

    const apiFunction = (fnId: string, part: string, fnProps: Omit<ServerlessFunctionProps, 'handler'>, offByDefault: string[]): ServerlessFunction => {
      const full: ServerlessFunctionProps = {
        memorySize: ASYNC_HTTP_API_DEFAULTS.apiFunctionMemorySize,
        timeout: ASYNC_HTTP_API_DEFAULTS.apiFunctionTimeout,
        handler: 'index.handler',
        powertools: false,
        ...fnProps,
      };
      PATTERN_FUNCTION_CONTEXT.set(full, { prop: fnId, alarms: patternAlarms.forPart(part), alarmsOffByDefault: offByDefault });
      return new ServerlessFunction(this, fnId, full);
    };
    // Callers see a failed or throttled invocation as a 5xx, which Api.ServerErrorRate watches.
    const answeredByTheApi = ['ErrorRate', 'Throttles'];
    this.submitFunction = apiFunction('SubmitFunction', 'Submit', {
      code: bundledHandlerCode('async-http-api', 'submit'),
      invocation: FunctionInvocation.SYNCHRONOUS,
      description: `${this.node.path}: POST /jobs`,
      environment: {
        [ENV.JOBS_TABLE_NAME]: this.jobsTable.tableName,
        [ENV.JOBS_QUEUE_URL]: this.queue.queueUrl,
        [ENV.MAX_PAYLOAD_BYTES]: String(maxPayloadBytes),
        [ENV.JOB_TTL_SECONDS]: String(jobTtl.toSeconds()),
        ...(requestSchema ? { [ENV.REQUEST_SCHEMA]: requestSchema } : {}),
      },
    }, answeredByTheApi);
    this.jobsTable.grant(this.submitFunction, 'dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    this.queue.grantSendMessages(this.submitFunction);

    this.statusFunction = apiFunction('StatusFunction', 'Status', {
      code: bundledHandlerCode('async-http-api', 'status'),
      invocation: FunctionInvocation.SYNCHRONOUS,
      description: `${this.node.path}: GET /jobs/{jobId}`,
      environment: { [ENV.JOBS_TABLE_NAME]: this.jobsTable.tableName },
    }, answeredByTheApi);
    this.jobsTable.grant(this.statusFunction, 'dynamodb:GetItem');

    // A job whose last delivery crashed or timed out reaches the DLQ still RUNNING: record it FAILED.
    this.deadLetterFunction = apiFunction('DeadLetterFunction', 'DeadLetterHandler', {
      invocation: FunctionInvocation.QUEUE,
      // 6 x 5 s fits the DLQ's 30 s visibility timeout (a few table writes per record need far less).
      timeout: ASYNC_HTTP_API_DEFAULTS.deadLetterFunctionTimeout,
      code: bundledHandlerCode('async-http-api', 'dlq'),
      description: `${this.node.path}: records dead-lettered jobs FAILED`,
      environment: { [ENV.JOBS_TABLE_NAME]: this.jobsTable.tableName, ...notices.environment },
    }, ['ErrorRate']);
    this.jobsTable.grant(this.deadLetterFunction, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    notices.grant(this.deadLetterFunction);
    this.deadLetterFunction.addEventSource(new lambdaEventSources.SqsEventSource(this.deadLetterQueue, {
      batchSize: 10,
      reportBatchItemFailures: true,
    }));
    acknowledgeNagFindings(this.deadLetterFunction.node.findChild(`SqsEventSource:${Names.nodeUniqueId(this.deadLetterQueue.node)}`), [
      { id: 'Serverless-LambdaEventSourceMappingDestination', reason: 'This mapping consumes the dead-letter queue itself: a message it fails on stays there (14 days) and is retried; the DeadLetterHandler.UnrecordedJobs alarm pages' },
    ]);
    const unrecordedAfter = Duration.seconds(worker.timeout.toSeconds() + ASYNC_HTTP_API_DEFAULTS.unrecordedDeadLetterGrace.toSeconds());
    patternAlarms.forPart('DeadLetterHandler').create(this.deadLetterFunction, 'UnrecordedJobsAlarm', 'UnrecordedJobs', {
      metric: this.deadLetterQueue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: unrecordedAfter.toSeconds(),
      description: `${this.node.path}: a dead-lettered job has waited ${unrecordedAfter.toHumanString()} without being recorded FAILED (its callers still see it RUNNING); `
        + 'the dead-letter consumer cannot record it: see its log group',
    });

    const authorizer = authorization._bind(this);
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: `${this.node.path}: asynchronous jobs`,
      createDefaultStage: false,
    });
    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      logGroupName: vendedLogGroupName(this, 'apigateway'),
      retention: DEFAULTS.logRetention,
      removalPolicy: DEFAULTS.logRemovalPolicy,
    });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttlingRateLimit ?? ASYNC_HTTP_API_DEFAULTS.throttlingRateLimit,
        burstLimit: props.throttlingBurstLimit ?? ASYNC_HTTP_API_DEFAULTS.throttlingBurstLimit,
      },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup),
        format: accessLogFormat(),
      },
    });
    this.url = this.stage.url;
    this.httpApi.addRoutes({
      path: '/jobs',
      methods: [apigwv2.HttpMethod.POST],
      integration: new apigwv2Integrations.HttpLambdaIntegration('Submit', this.submitFunction),
      authorizer,
    });
    this.httpApi.addRoutes({
      path: '/jobs/{jobId}',
      methods: [apigwv2.HttpMethod.GET],
      integration: new apigwv2Integrations.HttpLambdaIntegration('Status', this.statusFunction),
      authorizer,
    });
    acknowledgeNagFindings(this.stage, [
      { id: 'Serverless-APIGWXrayEnabled', reason: 'HTTP APIs (API Gateway v2) do not support X-Ray tracing; the submit and status functions trace actively' },
    ]);
    if (authorization.kind === 'none') {
      acknowledgeNagFindings(this.httpApi, [
        { id: 'AwsSolutions-APIG4', reason: 'ApiAuthorization.none() was set explicitly: the API is public by the owner\'s decision' },
      ]);
    }

    const fiveMinutes = Duration.minutes(5);
    patternAlarms.forPart('Api').create(this.stage, 'ServerErrorRateAlarm', 'ServerErrorRate', {
      metric: new cloudwatch.MathExpression({
        expression: 'IF(requests > 0, 100 * errors / requests, 0)',
        usingMetrics: {
          errors: this.stage.metricServerError({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM }),
          requests: this.stage.metricCount({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM }),
        },
        period: fiveMinutes,
        label: '5xx rate (%)',
      }),
      threshold: DEFAULTS.errorRateAlarmPercent,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      description: `${this.node.path}: at least ${DEFAULTS.errorRateAlarmPercent}% of requests answered 5xx in 2 of the last 3 five-minute periods; `
        + 'see the access logs (integrationError) and the submit/status function logs',
    });
    this.alarms = patternAlarms.alarms;
  }

  /**
   * Allows a principal (a role, user or service) to submit jobs: `execute-api:Invoke` on
   * `POST /jobs` of an IAM-authorized API (`ApiAuthorization.iam()`, the default). Fails for an
   * API with another authorization, where IAM policies decide nothing.
   *
   * @param grantee the principal
   */
  public grantSubmit(grantee: iam.IGrantable): iam.Grant {
    return this.grantRoute('grantSubmit', grantee, 'POST/jobs');
  }

  /**
   * Allows a principal to read the status of its jobs: `execute-api:Invoke` on `GET /jobs/*` of
   * an IAM-authorized API. The status route answers only a job's owner (the principal that
   * submitted it); others get 404. Fails for an API with another authorization.
   *
   * @param grantee the principal
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.grantRoute('grantRead', grantee, 'GET/jobs/*');
  }

  /**
   * Jobs waiting in the queue (SQS `ApproximateNumberOfMessagesVisible`, maximum over 5 minutes).
   *
   * @param props changes to the metric
   */
  public metricJobsWaiting(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  /**
   * Age in seconds of the oldest job waiting in the queue (SQS `ApproximateAgeOfOldestMessage`,
   * maximum over 5 minutes): how far the workers are behind.
   *
   * @param props changes to the metric
   */
  public metricOldestJobAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateAgeOfOldestMessage({ statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  /**
   * Jobs that reached the dead-letter queue (SQS `NumberOfMessagesReceived` of the dead-letter
   * queue, sum over 5 minutes); its depth stays near 0 because the dead-letter consumer drains it.
   * A message the consumer retries counts again.
   *
   * @param props changes to the metric
   */
  public metricDeadLetteredJobs(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.deadLetterQueue.metricNumberOfMessagesReceived({ statistic: cloudwatch.Stats.SUM, ...props });
  }

  /**
   * Worker invocations that failed (Lambda `Errors`, sum over 5 minutes): crashes and timeouts.
   * A job whose code throws is reported as a batch item failure and retried, not counted here.
   *
   * @param props changes to the metric
   */
  public metricWorkerErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.workerFunction.metricErrors({ statistic: cloudwatch.Stats.SUM, ...props });
  }

  /**
   * Requests the API answered with 5xx (API Gateway `5xx` of the `$default` stage, sum over 5 minutes).
   *
   * @param props changes to the metric
   */
  public metricServerErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stage.metricServerError({ statistic: cloudwatch.Stats.SUM, ...props });
  }

  private grantRoute(method: string, grantee: iam.IGrantable, route: string): iam.Grant {
    if (this.authorizationKind !== 'iam') {
      throw new PatternValidationError(this, `${method}: the API's authorization is ${this.authorizationKind}, where IAM policies do not decide who may call it; `
        + 'grants work with authorization: ApiAuthorization.iam() (the default)');
    }
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: [Stack.of(this).formatArn({ service: 'execute-api', resource: this.httpApi.apiId, resourceName: `${this.stage.stageName}/${route}` })],
    });
  }

  /** The notice target: its environment for the worker and dead-letter consumer, and the grant to publish. */
  private notificationTarget(notifications: Notifications | undefined): NoticeTarget {
    if (!notifications) return { environment: {}, grant: () => undefined };
    if (notifications.kind === 'SNS') {
      const topic = notifications.topic ?? new sns.Topic(this, 'NotificationTopic', {
        masterKey: new kms.Key(this, 'NotificationKey', {
          enableKeyRotation: true,
          description: `${this.node.path}: encrypts the JobSucceeded/JobFailed topic`,
        }),
        enforceSSL: true,
      });
      return { topic, environment: { [ENV.COMPLETION_TOPIC_ARN]: topic.topicArn }, grant: (fn) => topic.grantPublish(fn) };
    }
    const bus = notifications.bus ?? events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    return { bus, environment: { [ENV.COMPLETION_EVENT_BUS_NAME]: bus.eventBusName }, grant: (fn) => bus.grantPutEventsTo(fn) };
  }
}

interface NoticeTarget {
  readonly topic?: sns.ITopic;
  readonly bus?: events.IEventBus;
  readonly environment: Record<string, string>;
  readonly grant: (fn: lambda.IFunction) => unknown;
}

/**
 * The jobs queue's alarm sink: `DeadLetters` counts messages received from the DLQ (5-minute sum)
 * instead of its depth, because the dead-letter consumer empties the DLQ within seconds and a
 * depth alarm would rarely see a message.
 */
class DeadLetteredJobsSink extends AlarmSink {
  constructor(alarms: PatternAlarms, private readonly apiPath: string) {
    super(alarms, 'Queue');
  }

  public create(scope: Construct, id: string, alarm: string, spec: AlarmSpec): cloudwatch.Alarm | undefined {
    if (alarm !== 'DeadLetters') return super.create(scope, id, alarm, spec);
    const queue = (scope as DeadLetteredQueue).deadLetterQueue;
    return super.create(scope, id, alarm, {
      metric: queue.metricNumberOfMessagesReceived({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      description: `${this.apiPath}: jobs were dead-lettered (their last delivery failed, crashed or timed out) and recorded FAILED; see the worker's logs. `
        + 'If it stays in ALARM, the dead-letter consumer keeps failing on a message (see DeadLetterHandler.UnrecordedJobs)',
    });
  }
}

/** JSON access logs (cdk-nag Serverless-APIGWStructuredLogging) with what an incident needs. */
function accessLogFormat(): apigateway.AccessLogFormat {
  return apigateway.AccessLogFormat.custom(JSON.stringify({
    requestId: '$context.requestId',
    ip: '$context.identity.sourceIp',
    caller: '$context.identity.caller',
    requestTime: '$context.requestTime',
    httpMethod: '$context.httpMethod',
    routeKey: '$context.routeKey',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    authorizerError: '$context.authorizer.error',
  }));
}
