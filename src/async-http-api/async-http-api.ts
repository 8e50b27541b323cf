import { Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as apigwv2Integrations from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ApiAuthorization } from './api-authorization';
import { ENV, MAX_PAYLOAD_BYTES } from './runtime/env';
import { createAlarm } from '../core/alarm-factory';
import { AlarmOptions } from '../core/alarms';
import { bundledHandlerCode } from '../core/assets';
import { DatabaseAccessOptions } from '../core/database';
import { DEFAULTS } from '../core/defaults';
import { PatternValidationError } from '../core/errors';
import { FunctionCodeOptions } from '../core/function-code-options';
import { acknowledgeNagFindings } from '../core/nag';
import { vendedLogGroupName } from '../core/names';
import { DeadLetteredQueue } from '../core/queue';
import { FunctionInvocation, ServerlessFunction } from '../core/serverless-function';
import { userFunction } from '../core/user-function';
import { requireExactlyOne, validateDurationRange, validateIntegerRange } from '../core/validation';

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
} as const;

/** Props of an `AsyncHttpApi`. */
export interface AsyncHttpApiProps extends AlarmOptions, DatabaseAccessOptions {
  /**
   * The worker's code: the pattern builds a `ServerlessFunction` that consumes the jobs queue.
   * Wrap the handler with `jobWorker` from `cdk-serverless-patterns-runtime`.
   * Specify exactly one of `worker` and `workerFunction`.
   *
   * @default - none; `workerFunction` must be given instead
   */
  readonly worker?: FunctionCodeOptions;
  /**
   * An existing function to use as the worker. The pattern adds the SQS event source, the table
   * permissions and (for a `lambda.Function`) the environment variables `jobWorker` reads; its
   * timeout must fit the queue's visibility timeout (6 x `workerTimeout`).
   *
   * @default - none; `worker` must be given instead
   */
  readonly workerFunction?: lambda.IFunction;
  /**
   * The worker's timeout when `workerFunction` is given (to size the queue's visibility timeout).
   *
   * @default - `worker.timeout`, or 5 minutes
   */
  readonly workerTimeout?: Duration;
  /**
   * Who may call both routes: `ApiAuthorization.iam()` (SigV4, for servers and functions),
   * `ApiAuthorization.jwt({ issuer, audience })` (bearer tokens, for browsers, also through
   * `StaticSite.apiOrigin`), `ApiAuthorization.none()` or `ApiAuthorization.authorizer(a)`.
   *
   * @default ApiAuthorization.iam()
   */
  readonly authorization?: ApiAuthorization;
  /**
   * Authorizer of both routes, for example an `HttpJwtAuthorizer`.
   *
   * @default - IAM authorization (SigV4-signed requests), unless `allowUnauthenticatedAccess`
   * @deprecated use `authorization: ApiAuthorization.authorizer(a)` (or `.jwt(...)`)
   */
  readonly authorizer?: apigwv2.IHttpRouteAuthorizer;
  /**
   * Open both routes to anyone on the internet, with no authorization. Only for public demos or
   * when something in front (a WAF, CloudFront with signed requests) authenticates callers.
   *
   * @default false
   * @deprecated use `authorization: ApiAuthorization.none()`
   */
  readonly allowUnauthenticatedAccess?: boolean;
  /**
   * Stage throttling: steady-state requests per second.
   *
   * @default 50
   */
  readonly throttlingRateLimit?: number;
  /**
   * Stage throttling: burst capacity.
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
   * A JSON Schema (draft 2020-12 or 07, as an object) that request bodies must satisfy; violations
   * get 400 listing them. Validated with the cfworker JSON Schema validator, prepared once per container. At most 3 KB as JSON
   * (it travels in an environment variable).
   *
   * @default - any JSON body is accepted
   */
  readonly requestSchema?: { [key: string]: any };
  /**
   * How long a job record is kept after it was created (DynamoDB TTL), 1 hour to 365 days.
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
   * Jobs per worker invocation, 1 to 10.
   *
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * Most concurrent worker invocations, 2 to 1000: protects what the worker calls.
   *
   * @default - no limit beyond the account's concurrency
   */
  readonly maxConcurrency?: number;
  /**
   * An EventBridge bus that receives `JobSucceeded` and `JobFailed` events (source
   * `cdk-serverless-patterns.async-http-api`, detail `{ jobId, error? }`), so clients can be pushed
   * instead of polling.
   *
   * @default - no completion events on EventBridge
   */
  readonly completionEventBus?: events.IEventBus;
  /**
   * An SNS topic that receives `JobSucceeded` and `JobFailed` messages (message attribute `type`).
   *
   * @default - no completion messages on SNS
   */
  readonly completionTopic?: sns.ITopic;
}

/**
 * An asynchronous job API: `POST /jobs` validates the body, records a PENDING job in DynamoDB,
 * queues it and answers 202 with the job id; a worker function runs the job from an SQS queue
 * (with a dead-letter queue); `GET /jobs/{jobId}` answers PENDING, RUNNING, SUCCEEDED (with the
 * result) or FAILED (with the error). For work longer than an HTTP timeout.
 *
 * @example
 * const jobs = new AsyncHttpApi(this, 'Reports', {
 *   worker: { code: lambda.Code.fromAsset('dist/report'), handler: 'index.handler' },
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
  /** The queue and its dead-letter queue, with their alarms. */
  public readonly jobsQueue: DeadLetteredQueue;
  /** The queue that buffers jobs. */
  public readonly queue: sqs.Queue;
  /** Where jobs go after `maxReceiveCount` failed deliveries. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The worker that runs jobs. */
  public readonly workerFunction: lambda.IFunction;
  /** Handles `POST /jobs`. */
  public readonly submitFunction: ServerlessFunction;
  /** Handles `GET /jobs/{jobId}`. */
  public readonly statusFunction: ServerlessFunction;
  /**
   * Consumes the dead-letter queue: records FAILED (and sends `JobFailed`) each job whose last
   * delivery crashed or timed out. The messages are deleted once recorded; the job records keep
   * the error, and the `DeadLetteredJobsAlarm` fires on every one.
   */
  public readonly deadLetterFunction: ServerlessFunction;
  /** Every alarm of the pattern: queue, DLQ, dead-lettered jobs, functions and API 5xx. */
  public readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: AsyncHttpApiProps) {
    super(scope, id);
    requireExactlyOne(this, ['worker', 'workerFunction'], [props.worker, props.workerFunction]);
    if (props.worker && props.workerTimeout) {
      throw new PatternValidationError(this, 'workerTimeout applies to workerFunction only; set worker.timeout instead');
    }
    if (props.authorizer && props.allowUnauthenticatedAccess) {
      throw new PatternValidationError(this, 'specify either authorizer or allowUnauthenticatedAccess, not both');
    }
    if (props.authorization && (props.authorizer || props.allowUnauthenticatedAccess)) {
      throw new PatternValidationError(this, 'authorization replaces authorizer and allowUnauthenticatedAccess: give authorization only');
    }
    const legacy = props.authorizer ? ApiAuthorization.authorizer(props.authorizer) : undefined;
    const authorization = props.authorization ?? legacy ?? (props.allowUnauthenticatedAccess ? ApiAuthorization.none() : ApiAuthorization.iam());
    this.authorizationKind = authorization.kind;
    const maxPayloadBytes = props.maxPayloadBytes ?? MAX_PAYLOAD_BYTES;
    validateIntegerRange(this, 'maxPayloadBytes', maxPayloadBytes, 1, MAX_PAYLOAD_BYTES);
    const jobTtl = props.jobTtl ?? ASYNC_HTTP_API_DEFAULTS.jobTtl;
    validateDurationRange(this, 'jobTtl', jobTtl, ASYNC_HTTP_API_DEFAULTS.minJobTtl, ASYNC_HTTP_API_DEFAULTS.maxJobTtl);
    validateIntegerRange(this, 'throttlingRateLimit', props.throttlingRateLimit, 1, 10_000);
    validateIntegerRange(this, 'throttlingBurstLimit', props.throttlingBurstLimit, 1, 5_000);
    validateIntegerRange(this, 'batchSize', props.batchSize, 1, 10);
    const requestSchema = props.requestSchema ? JSON.stringify(props.requestSchema) : undefined;
    if (requestSchema && Buffer.byteLength(requestSchema) > ASYNC_HTTP_API_DEFAULTS.maxRequestSchemaBytes) {
      throw new PatternValidationError(this, `requestSchema must be at most ${ASYNC_HTTP_API_DEFAULTS.maxRequestSchemaBytes} bytes as JSON `
        + `(it is passed in an environment variable, and Lambda allows 4 KB in total), got ${Buffer.byteLength(requestSchema)}`);
    }
    const workerTimeout = props.worker?.timeout ?? props.workerTimeout ?? ASYNC_HTTP_API_DEFAULTS.workerTimeout;

    this.jobsTable = new dynamodb.Table(this, 'JobsTable', {
      partitionKey: { name: 'jobId', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.jobsQueue = new DeadLetteredQueue(this, 'Jobs', {
      consumerTimeout: workerTimeout,
      maxReceiveCount: props.maxReceiveCount,
      alarms: { topic: props.alarmTopic },
    });
    this.queue = this.jobsQueue.queue;
    this.deadLetterQueue = this.jobsQueue.deadLetterQueue;

    const workerEnvironment: Record<string, string> = {
      [ENV.JOBS_TABLE_NAME]: this.jobsTable.tableName,
      // The heartbeat extends the visibility of the messages it runs (ChangeMessageVisibility).
      [ENV.JOBS_QUEUE_URL]: this.queue.queueUrl,
      [ENV.MAX_RECEIVE_COUNT]: String(this.jobsQueue.maxReceiveCount),
      ...(props.completionEventBus ? { [ENV.COMPLETION_EVENT_BUS_NAME]: props.completionEventBus.eventBusName } : {}),
      ...(props.completionTopic ? { [ENV.COMPLETION_TOPIC_ARN]: props.completionTopic.topicArn } : {}),
    };
    const worker = userFunction(this, {
      ...props,
      id: 'Worker',
      code: props.worker,
      existing: props.workerFunction,
      timeout: workerTimeout,
      description: `${this.node.path}: runs jobs from the queue`,
      environment: workerEnvironment,
      invocation: FunctionInvocation.QUEUE,
    });
    const functionAlarms = worker.alarms;
    this.workerFunction = worker.fn;
    this.jobsTable.grant(this.workerFunction, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    props.completionEventBus?.grantPutEventsTo(this.workerFunction);
    props.completionTopic?.grantPublish(this.workerFunction);
    this.jobsQueue.addConsumer(this.workerFunction, { batchSize: props.batchSize, maxConcurrency: props.maxConcurrency });

    const apiFunctionDefaults = {
      memorySize: ASYNC_HTTP_API_DEFAULTS.apiFunctionMemorySize,
      timeout: ASYNC_HTTP_API_DEFAULTS.apiFunctionTimeout,
      handler: 'index.handler',
      invocation: FunctionInvocation.SYNCHRONOUS,
      powertools: false,
      alarms: { topic: props.alarmTopic },
    };
    this.submitFunction = new ServerlessFunction(this, 'SubmitFunction', {
      ...apiFunctionDefaults,
      code: bundledHandlerCode('async-http-api', 'submit'),
      description: `${this.node.path}: POST /jobs`,
      environment: {
        [ENV.JOBS_TABLE_NAME]: this.jobsTable.tableName,
        [ENV.JOBS_QUEUE_URL]: this.queue.queueUrl,
        [ENV.MAX_PAYLOAD_BYTES]: String(maxPayloadBytes),
        [ENV.JOB_TTL_SECONDS]: String(jobTtl.toSeconds()),
        ...(requestSchema ? { [ENV.REQUEST_SCHEMA]: requestSchema } : {}),
      },
    });
    this.jobsTable.grant(this.submitFunction, 'dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    this.queue.grantSendMessages(this.submitFunction);

    this.statusFunction = new ServerlessFunction(this, 'StatusFunction', {
      ...apiFunctionDefaults,
      code: bundledHandlerCode('async-http-api', 'status'),
      description: `${this.node.path}: GET /jobs/{jobId}`,
      environment: { [ENV.JOBS_TABLE_NAME]: this.jobsTable.tableName },
    });
    this.jobsTable.grant(this.statusFunction, 'dynamodb:GetItem');

    // A job whose last delivery crashed or timed out reaches the DLQ still RUNNING: record it FAILED.
    this.deadLetterFunction = new ServerlessFunction(this, 'DeadLetterFunction', {
      ...apiFunctionDefaults,
      invocation: FunctionInvocation.QUEUE,
      // 6 x 5 s fits the DLQ's 30 s visibility timeout (a few table writes per record need far less).
      timeout: ASYNC_HTTP_API_DEFAULTS.deadLetterFunctionTimeout,
      code: bundledHandlerCode('async-http-api', 'dlq'),
      description: `${this.node.path}: records dead-lettered jobs FAILED`,
      environment: {
        [ENV.JOBS_TABLE_NAME]: this.jobsTable.tableName,
        ...(props.completionEventBus ? { [ENV.COMPLETION_EVENT_BUS_NAME]: props.completionEventBus.eventBusName } : {}),
        ...(props.completionTopic ? { [ENV.COMPLETION_TOPIC_ARN]: props.completionTopic.topicArn } : {}),
      },
    });
    this.jobsTable.grant(this.deadLetterFunction, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    props.completionEventBus?.grantPutEventsTo(this.deadLetterFunction);
    props.completionTopic?.grantPublish(this.deadLetterFunction);
    this.deadLetterFunction.addEventSource(new lambdaEventSources.SqsEventSource(this.deadLetterQueue, {
      batchSize: 10,
      reportBatchItemFailures: true,
    }));
    acknowledgeNagFindings(this.deadLetterFunction.node.findChild(`SqsEventSource:${Names.nodeUniqueId(this.deadLetterQueue.node)}`), [
      { id: 'Serverless-LambdaEventSourceMappingDestination', reason: 'This mapping consumes the dead-letter queue itself: a message it fails on stays there (14 days) and is retried; the dead-lettered jobs alarm and the function\'s error alarm page' },
    ]);

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
        { id: 'AwsSolutions-APIG4', reason: 'ApiAuthorization.none() (or allowUnauthenticatedAccess) was set explicitly: the API is public by the owner\'s decision' },
      ]);
    }

    this.alarms = [
      ...this.jobsQueue.alarms,
      ...functionAlarms,
      ...this.submitFunction.alarms,
      ...this.statusFunction.alarms,
      ...this.deadLetterFunction.alarms,
      // The DLQ consumer empties the DLQ within seconds, so its depth alarm may never see a message.
      createAlarm(this, 'DeadLetteredJobsAlarm', {
        metric: this.deadLetterQueue.metricNumberOfMessagesReceived({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        description: `${this.node.path}: jobs were dead-lettered (their last delivery crashed, timed out or failed) and recorded FAILED; see the worker's logs`,
      }, props),
      createAlarm(this, 'ServerErrorsAlarm', {
        metric: new cloudwatch.Metric({
          namespace: 'AWS/ApiGateway',
          metricName: '5xx',
          dimensionsMap: { ApiId: this.httpApi.apiId, Stage: '$default' },
          statistic: cloudwatch.Stats.SUM,
          period: Duration.minutes(5),
        }),
        threshold: 1,
        description: `${this.node.path}: the API answered 5xx; see the access logs and the submit/status function logs`,
      }, props),
    ];
  }

  /**
   * Allows a principal (a role, user or service) to call both routes of an IAM-authorized API.
   */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: [
        Stack.of(this).formatArn({ service: 'execute-api', resource: this.httpApi.apiId, resourceName: '$default/POST/jobs' }),
        Stack.of(this).formatArn({ service: 'execute-api', resource: this.httpApi.apiId, resourceName: '$default/GET/jobs/*' }),
      ],
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
