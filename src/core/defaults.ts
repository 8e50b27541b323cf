import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';

/**
 * Every default this library chooses, once, with its reason. Patterns and core constructs read
 * from here; the README's defaults table is written from the same list.
 */
export const DEFAULTS = {
  /** Graviton: ~20% cheaper per GB-second than x86_64 and as fast or faster for Node.js. */
  architecture: lambda.Architecture.ARM_64,
  /** Current Node.js LTS on Lambda; cdk-nag AwsSolutions-L1 flags anything older. */
  runtime: lambda.Runtime.NODEJS_24_X,
  /**
   * 1024 MB: Lambda allocates CPU in proportion to memory, and for I/O-bound Node.js handlers 1 GB
   * is where cost per invocation stops falling (Lambda Power Tuning's usual curve). Explicit so that
   * cdk-nag Serverless-LambdaDefaultMemorySize is satisfied.
   */
  memorySize: 1024,
  /** 30 s: long enough for an SDK call with retries, short enough that a hung call costs little. */
  timeout: Duration.seconds(30),
  /** Lambda's hard limits, validated at synth. */
  minMemorySize: 128,
  maxMemorySize: 10_240,
  maxTimeout: Duration.minutes(15),
  /** One month of logs: enough to investigate an incident, bounded storage cost. */
  logRetention: logs.RetentionDays.ONE_MONTH,
  /** Logs outlive the stack (audit), as aws-cdk-lib does for log groups. */
  logRemovalPolicy: RemovalPolicy.RETAIN,
  /** JSON logs so Powertools Logger output and Lambda's own lines are queryable in Logs Insights. */
  logFormat: lambda.LoggingFormat.JSON,
  applicationLogLevel: lambda.ApplicationLogLevel.INFO,
  systemLogLevel: lambda.SystemLogLevel.WARN,
  /** Lambda retries failed asynchronous invocations twice (its own default, made explicit). */
  asyncRetryAttempts: 2,
  /** Events older than 6 hours go to the failure destination instead of being retried. */
  asyncMaxEventAge: Duration.hours(6),
  /** Lambda's limit on a function description (CloudFormation rejects longer ones). */
  maxFunctionDescriptionLength: 256,
  /**
   * A function's error-rate alarm fires at 5% of invocations failing (in 2 of 3 five-minute
   * periods): a sustained rate needs a human; a single error that a retry absorbs does not.
   */
  errorRateAlarmPercent: 5,
  /** Duration alarm fires when p99 reaches 80% of the timeout: time to act before timeouts start. */
  durationAlarmRatio: 0.8,

  /**
   * Powertools for AWS Lambda (TypeScript) v2 public layer, version 50 (Powertools 2.35.0): the
   * first version without AWS SDK clients. Versions up to 49 ship a subset of `@aws-sdk/*` at
   * /opt/nodejs/node_modules, which precedes the runtime's SDK, so a function ran two SDK versions
   * (Powertools docs, "AWS SDK v3 is no longer included in the layer"). Pinned so a deployment is
   * reproducible; override with `powertoolsLayerVersion`. Where it is published:
   * `POWERTOOLS_LAYER_NEWEST_VERSION` (powertools-layers.ts).
   */
  powertoolsLayerVersion: 50,
  /** Versions up to this one bundle AWS SDK clients that shadow the runtime's SDK. */
  powertoolsLastLayerVersionWithSdk: 49,
  powertoolsLayerAccount: '094274105915',
  powertoolsLayerName: 'AWSLambdaPowertoolsTypeScriptV2',

  /** 5 receives: rides out transient errors and throttles without keeping a poison message for long. */
  maxReceiveCount: 5,
  /** The SQS maximum: time for a human to inspect and redrive failed messages. */
  deadLetterRetention: Duration.days(14),
  /** 4 days (SQS default, made explicit). */
  queueRetention: Duration.days(4),
  /** AWS guidance for Lambda event sources: visibility timeout >= 6 x the function timeout. */
  visibilityTimeoutFactor: 6,
  /** Oldest message older than 15 minutes means the consumer is not keeping up. */
  queueAgeAlarmThreshold: Duration.minutes(15),
  /** SQS batch size for Lambda consumers. */
  batchSize: 10,
  /** Lambda's minimum for SQS maximum concurrency; 2 to 1000 allowed. */
  minMaximumConcurrency: 2,
  maxMaximumConcurrency: 1000,
} as const;

