import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FILE_ENV } from './runtime/env';
import { PatternAlarms } from '../core/alarm-factory';
import { AlarmsOptions } from '../core/alarms';
import { createAccessLogsBucket, NONCURRENT_VERSION_EXPIRATION, PRIVATE_BUCKET_PROPS } from '../core/buckets';
import { DatabaseAccessOptions } from '../core/database';
import { DEFAULTS } from '../core/defaults';
import { PatternValidationError } from '../core/errors';
import { BoundHandler, HandlerBinding, QUEUE_INTERNALS } from '../core/function-internals';
import { Handler } from '../core/handler';
import { acknowledgeNagFindings, nagResourceFinding } from '../core/nag';
import { Notifications } from '../core/notifications';
import { DeadLetteredQueue, DeadLetteredQueueProps, QueueConsumerOptions } from '../core/queue';
import { FunctionInvocation, ServerlessFunction } from '../core/serverless-function';

/** Defaults of FileProcessingPipeline, with their reasons. */
const FILE_PIPELINE_DEFAULTS = {
  /** Processing files is heavier than answering HTTP: 2 minutes. */
  processorTimeout: Duration.minutes(2),
} as const;

const ONE_MINUTE_MAX = { period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM };

/** Props of a `FileProcessingPipeline`. */
export interface FileProcessingPipelineProps extends DatabaseAccessOptions, QueueConsumerOptions {
  /**
   * The processor's code. Wrap the handler with `fileProcessor` from
   * `cdk-serverless-patterns-runtime`. Its timeout (default 2 minutes; for `Handler.fromFunction`,
   * the function's) sizes the queue's visibility timeout (6 x) and must be at most 15 minutes:
   * longer work belongs in Step Functions or ECS. The pattern adds the event source, read access
   * to the input, write access to the output, the notice grants and the environment.
   */
  readonly processor: Handler;
  /**
   * The bucket uploads arrive in.
   *
   * @default - a new private, encrypted, TLS-only, versioned bucket with access logs
   */
  readonly inputBucket?: s3.IBucket;
  /**
   * The bucket outputs are written to. May be the input bucket, if the output prefix lies outside
   * the input filter (a processor that triggers itself bills forever).
   *
   * @default - a new private, encrypted, TLS-only bucket with access logs
   */
  readonly outputBucket?: s3.IBucket;
  /**
   * Only keys under this prefix are processed, e.g. `uploads/`. S3 keys have no leading `/`, so
   * a prefix starting with `/` fails synth (it would never match).
   *
   * @default - every key
   */
  readonly inputPrefix?: string;
  /**
   * Only keys ending in one of these are processed (one S3 notification per suffix). Entries must
   * be non-empty, without a comma, and none may end with another (S3 rejects overlapping filters).
   *
   * @default - every key
   */
  readonly inputSuffixes?: string[];
  /**
   * Prefix of every output key, e.g. `results/`; no leading `/`.
   *
   * @default - '' with a separate output bucket; required when input and output are the same bucket
   */
  readonly outputPrefix?: string;
  /**
   * What happens to the buckets this construct creates when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Where `FileProcessed` / `FileFailed` notices go: `Notifications.sns(topic?)` (message
   * attribute `type`) or `Notifications.eventBridge(bus?)` (source
   * `cdk-serverless-patterns.file-processing-pipeline`).
   *
   * @default Notifications.sns() - a new topic encrypted with a new KMS key, TLS-only
   */
  readonly notifications?: Notifications;
  /**
   * Deliveries of an upload event before it is dead-lettered (and `FileFailed` is sent), 1 to 1000.
   *
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * The alarms:
   *
   * - `Queue.DeadLetters`: an upload event in the dead-letter queue (max over 1 minute >= 1). On.
   * - `Queue.OldestMessageAge`: the oldest upload event is older than 15 minutes for 5 minutes. On.
   * - `Processor.ErrorRate`: >= 5% of invocations failed in 2 of 3 five-minute periods. Off by
   *   default: `fileProcessor` reports a failed file as a batch item failure (not an invocation
   *   error), and what does fail the invocation (a crash, a timeout) returns the batch to the
   *   queue, where `OldestMessageAge` and, after `maxReceiveCount` deliveries, `DeadLetters`
   *   already page.
   * - `Processor.Duration`: p99 duration >= 80% of the timeout. Off by default.
   *
   * The `Processor` alarms exist only for a processor the pattern builds (not `Handler.fromFunction`).
   *
   * @default - the alarms that are on, without actions
   */
  readonly alarms?: AlarmsOptions;
}

/**
 * Upload to S3 → ObjectCreated event → SQS queue (+ DLQ) → processor function → output bucket →
 * a `FileProcessed` notice per object (SNS or EventBridge), and a `FileFailed` notice when an
 * upload ends in the DLQ. Private, encrypted, TLS-only, access-logged buckets; the processor may
 * read the input and write the output, nothing more.
 *
 * @example
 * const thumbs = new FileProcessingPipeline(this, 'Thumbnails', {
 *   processor: Handler.fromAsset('dist/thumbnail', { handler: 'index.handler' }),
 *   inputPrefix: 'uploads/',
 *   inputSuffixes: ['.jpg', '.png'],
 * });
 */
export class FileProcessingPipeline extends Construct {
  /** Where uploads arrive. */
  public readonly inputBucket: s3.IBucket;
  /** Where outputs are written. */
  public readonly outputBucket: s3.IBucket;
  /**
   * The bucket that receives the server access logs of the buckets this construct created.
   *
   * @default - undefined when both buckets were given
   */
  public readonly accessLogsBucket?: s3.Bucket;
  /** The queue of upload events. */
  public readonly queue: sqs.Queue;
  /** Where upload events go after `maxReceiveCount` failed deliveries. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The processor (built from `processor`, or the function of `Handler.fromFunction`). */
  public readonly processorFunction: lambda.Function;
  /**
   * The topic of FileProcessed / FileFailed notices (`Notifications.sns()`).
   *
   * @default - undefined when notices go to an EventBridge bus
   */
  public readonly notificationTopic?: sns.ITopic;
  /**
   * The bus of FileProcessed / FileFailed events (`Notifications.eventBridge()`).
   *
   * @default - undefined when notices go to an SNS topic
   */
  public readonly notificationBus?: events.IEventBus;
  /** The prefix of the keys that are processed ('' for every key). */
  public readonly inputPrefix: string;
  /** The prefix of every output key. */
  public readonly outputPrefix: string;
  /** Every alarm (see `alarms` in the props for the names). */
  public readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: FileProcessingPipelineProps) {
    super(scope, id);
    const legacy = ['processorFunction', 'processorTimeout', 'notificationTopic', 'notificationEventBus', 'alarmTopic']
      .filter((key) => (props as unknown as Record<string, unknown>)[key] !== undefined);
    if (legacy.length) {
      throw new PatternValidationError(this, `${legacy.join(', ')} ${legacy.length > 1 ? 'were' : 'was'} removed in v0.2: processor: Handler.fromFunction(fn) replaces `
        + 'processorFunction/processorTimeout, notifications: Notifications.sns(topic) / Notifications.eventBridge(bus) the notification props, alarms: { topic } alarmTopic');
    }
    if (typeof (props.processor as unknown as { _bind?: unknown } | undefined)?._bind !== 'function') {
      throw new PatternValidationError(this, 'processor must be a Handler, e.g. Handler.fromAsset(\'dist/processor\', { handler: \'index.handler\' }) or Handler.fromFunction(fn)');
    }
    const patternAlarms = new PatternAlarms(this, props.alarms);
    this.alarms = patternAlarms.alarms;
    this.inputPrefix = props.inputPrefix ?? '';
    this.outputPrefix = props.outputPrefix ?? '';
    validatePrefix(this, 'inputPrefix', this.inputPrefix);
    validatePrefix(this, 'outputPrefix', this.outputPrefix);
    const suffixes = props.inputSuffixes ?? [];
    validateSuffixes(this, suffixes);
    const sameBucket = props.inputBucket !== undefined && props.outputBucket !== undefined && (props.inputBucket === props.outputBucket
      || (!Token.isUnresolved(props.inputBucket.bucketName) && props.inputBucket.bucketName === props.outputBucket.bucketName));
    if (sameBucket) this.checkNoRecursion(this.inputPrefix, this.outputPrefix, suffixes);

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (!props.inputBucket || !props.outputBucket) {
      // Object ownership is left to aws-cdk-lib: log delivery needs ObjectWriter with ACLs, or the
      // bucket policy that the @aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy flag selects.
      this.accessLogsBucket = createAccessLogsBucket(this, 'AccessLogsBucket', 'the server access logs of the pipeline\'s buckets', removalPolicy);
    }
    const bucketDefaults: s3.BucketProps = {
      ...PRIVATE_BUCKET_PROPS,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      removalPolicy,
    };
    this.inputBucket = props.inputBucket ?? new s3.Bucket(this, 'InputBucket', {
      ...bucketDefaults,
      serverAccessLogsPrefix: 'input/',
      versioned: true,
      lifecycleRules: [{ noncurrentVersionExpiration: NONCURRENT_VERSION_EXPIRATION }],
    });
    this.outputBucket = props.outputBucket ?? new s3.Bucket(this, 'OutputBucket', { ...bucketDefaults, serverAccessLogsPrefix: 'output/' });

    const notifications = props.notifications ?? Notifications.sns();
    let createdTopic = false;
    if (notifications.kind === 'EVENTBRIDGE') {
      this.notificationBus = notifications.bus ?? events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    } else if (notifications.topic) {
      this.notificationTopic = notifications.topic;
    } else {
      const key = new kms.Key(this, 'NotificationKey', { enableKeyRotation: true, description: `${this.node.path}: encrypts file notices` });
      this.notificationTopic = new sns.Topic(this, 'NotificationTopic', { masterKey: key, enforceSSL: true });
      createdTopic = true;
    }

    const maxReceiveCount = props.maxReceiveCount ?? DEFAULTS.maxReceiveCount;
    const environment: Record<string, string> = {
      [FILE_ENV.OUTPUT_BUCKET_NAME]: this.outputBucket.bucketName,
      [FILE_ENV.OUTPUT_PREFIX]: this.outputPrefix,
      [FILE_ENV.INPUT_PREFIX]: this.inputPrefix,
      [FILE_ENV.INPUT_SUFFIXES]: suffixes.join(','),
      [FILE_ENV.MAX_RECEIVE_COUNT]: String(maxReceiveCount),
      ...(this.notificationTopic ? { [FILE_ENV.NOTIFICATION_TOPIC_ARN]: this.notificationTopic.topicArn } : {}),
      ...(this.notificationBus ? { [FILE_ENV.NOTIFICATION_EVENT_BUS_NAME]: this.notificationBus.eventBusName } : {}),
    };
    const bound = bindProcessor(this, props, {
      database: props.database,
      databaseSubnets: props.databaseSubnets,
      databaseUser: props.databaseUser,
      id: 'Processor',
      prop: 'processor',
      description: `${this.node.path}: processes uploads`,
      defaultTimeout: FILE_PIPELINE_DEFAULTS.processorTimeout,
      environment,
      invocation: FunctionInvocation.QUEUE,
      alarms: patternAlarms.forPart('Processor'),
      alarmsOffByDefault: ['ErrorRate'],
    });
    this.processorFunction = bound.fn;

    const queueProps: DeadLetteredQueueProps = { consumerTimeout: bound.timeout, maxReceiveCount };
    QUEUE_INTERNALS.set(queueProps, { alarms: patternAlarms.forPart('Queue') });
    // The construct id stays 'Uploads' so the queues keep their logical ids (and messages) from v0.1.
    const uploads = new DeadLetteredQueue(this, 'Uploads', queueProps);
    this.queue = uploads.queue;
    this.deadLetterQueue = uploads.deadLetterQueue;
    const destination = new s3n.SqsDestination(this.queue);
    const filters: s3.NotificationKeyFilter[] = suffixes.length
      ? suffixes.map((suffix) => (this.inputPrefix ? { prefix: this.inputPrefix, suffix } : { suffix }))
      : this.inputPrefix ? [{ prefix: this.inputPrefix }] : [];
    if (filters.length === 0) {
      this.inputBucket.addEventNotification(s3.EventType.OBJECT_CREATED, destination);
    }
    for (const filter of filters) {
      this.inputBucket.addEventNotification(s3.EventType.OBJECT_CREATED, destination, filter);
    }
    this.acknowledgeNotificationHandler();

    this.grantProcessorAccess(bound.built);
    this.notificationTopic?.grantPublish(this.processorFunction);
    if (createdTopic && bound.built) {
      acknowledgeNagFindings(bound.built.executionRole, [{
        id: 'AwsSolutions-IAM5',
        reason: 'Publishing to the KMS-encrypted notification topic needs kms:GenerateDataKey* (as aws-cdk-lib grants it), on that topic\'s key only',
        appliesTo: ['Action::kms:GenerateDataKey*'],
      }]);
    }
    this.notificationBus?.grantPutEventsTo(this.processorFunction);
    const { batchSize, maxConcurrency, maxBatchingWindow } = props;
    uploads.addConsumer(this.processorFunction, { batchSize, maxConcurrency, maxBatchingWindow });
  }

  /**
   * Lets `grantee` upload files to be processed: `s3:PutObject` and `s3:AbortMultipartUpload` on
   * the input bucket's keys under `inputPrefix` and, for an input bucket with a customer KMS key
   * (a bucket this app defines, or one imported with its `encryptionKey`), `kms:GenerateDataKey`
   * and `kms:Decrypt` (multipart uploads) on that key.
   *
   * @param grantee the uploader
   */
  public grantUpload(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipalOrResource({
      grantee,
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      resourceArns: [this.inputBucket.arnForObjects(`${this.inputPrefix}*`)],
      resource: this.inputBucket,
    });
    const key = this.inputBucket.encryptionKey;
    return key ? grant.combine(key.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt')) : grant;
  }

  /**
   * Lets `grantee` read the outputs: `s3:GetObject` on the output bucket's keys under
   * `outputPrefix` and, for an output bucket with a customer KMS key, `kms:Decrypt` on that key.
   * Listing is not granted (use `outputBucket.grantRead()` for that).
   *
   * @param grantee the reader
   */
  public grantReadOutput(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipalOrResource({
      grantee,
      actions: ['s3:GetObject'],
      resourceArns: [this.outputBucket.arnForObjects(`${this.outputPrefix}*`)],
      resource: this.outputBucket,
    });
    const key = this.outputBucket.encryptionKey;
    return key ? grant.combine(key.grantDecrypt(grantee)) : grant;
  }

  /**
   * Upload events waiting to be processed (SQS `ApproximateNumberOfMessagesVisible`, maximum over 1 minute).
   *
   * @param props metric options
   */
  public metricFilesWaiting(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateNumberOfMessagesVisible({ ...ONE_MINUTE_MAX, ...props });
  }

  /**
   * Age in seconds of the oldest upload event waiting (SQS `ApproximateAgeOfOldestMessage`, maximum over 1 minute).
   *
   * @param props metric options
   */
  public metricOldestFileAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateAgeOfOldestMessage({ ...ONE_MINUTE_MAX, ...props });
  }

  /**
   * Upload events in the dead-letter queue: files that failed `maxReceiveCount` times (maximum over 1 minute).
   *
   * @param props metric options
   */
  public metricDeadLetters(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ ...ONE_MINUTE_MAX, ...props });
  }

  /**
   * Read on the input (under the prefix), write on the output (under the output prefix): nothing
   * more. aws-cdk-lib's bucket grants also grant the bucket's KMS key (kms:Decrypt to read,
   * kms:GenerateDataKey* to write), so SSE-KMS buckets work; a hand-written S3 statement would not.
   */
  private grantProcessorAccess(built: ServerlessFunction | undefined): void {
    const inputPrefix = this.inputPrefix;
    this.inputBucket.grantRead(this.processorFunction, `${inputPrefix}*`);
    this.outputBucket.grantPut(this.processorFunction, `${this.outputPrefix}*`);
    const findings = [
      nagResourceFinding(this, this.inputBucket.bucketArn, `/${inputPrefix}*`),
      nagResourceFinding(this, this.outputBucket.bucketArn, `/${this.outputPrefix}*`),
    ].filter((f): f is string => f !== undefined);
    if (built && findings.length) {
      acknowledgeNagFindings(built.executionRole, [{
        id: 'AwsSolutions-IAM5',
        reason: 'Object-level S3 permissions need a key wildcard: read is limited to the input prefix, write to the output prefix',
        appliesTo: findings,
      }]);
    }
    if (built) {
      acknowledgeNagFindings(built.executionRole, [{
        id: 'AwsSolutions-IAM5',
        reason: 'aws-cdk-lib\'s bucket grants: object reads (s3:GetObject*, s3:GetBucket*, s3:List*) on the input under its prefix, writes (s3:Abort*) on the output '
          + 'under its prefix, and, for SSE-KMS buckets, the data-key actions on that bucket\'s key only',
        appliesTo: ['Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*', 'Action::s3:Abort*', 'Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*'],
      }]);
    }
  }

  /** The same bucket for input and output must not feed outputs back into the input filter. */
  private checkNoRecursion(inputPrefix: string, outputPrefix: string, suffixes: string[]): void {
    if (Token.isUnresolved(inputPrefix) || Token.isUnresolved(outputPrefix)) return;
    const overlap = outputPrefix.startsWith(inputPrefix) || inputPrefix.startsWith(outputPrefix);
    if (overlap) {
      throw new PatternValidationError(this, `input and output are the same bucket, so outputPrefix ('${outputPrefix}') must lie outside inputPrefix `
        + `('${inputPrefix}')${suffixes.length ? ` (suffix filters ${suffixes.join(', ')} do not help: outputs may keep the suffix)` : ''}: `
        + 'neither may start with the other, or every output would trigger the processor again and bill forever');
    }
  }

  /**
   * aws-cdk-lib deploys bucket notifications with a singleton function of its own (Python, inline
   * code) at the stack root: its role carries findings of aws-cdk-lib's making.
   */
  private acknowledgeNotificationHandler(): void {
    const handler = Stack.of(this).node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
    if (!handler) return;
    acknowledgeNagFindings(handler, [
      {
        id: 'AwsSolutions-IAM4',
        reason: 'aws-cdk-lib\'s bucket-notifications handler (a CloudFormation custom resource run at deploy time only) always attaches AWSLambdaBasicExecutionRole',
        appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
      },
      {
        id: 'AwsSolutions-IAM5',
        reason: 'aws-cdk-lib\'s bucket-notifications handler needs s3:PutBucketNotification, which it grants on every bucket of the stack it configures',
        appliesTo: ['Resource::*'],
      },
    ]);
  }
}

/** A prefix S3 can match: S3 keys have no leading '/'. */
function validatePrefix(scope: Construct, prop: string, prefix: string): void {
  if (Token.isUnresolved(prefix)) return;
  if (prefix.startsWith('/')) {
    throw new PatternValidationError(scope, `${prop} must not start with '/' (S3 keys have no leading slash, so '${prefix}' would never match): use '${prefix.replace(/^\/+/, '')}'`);
  }
}

/** Non-empty, comma-free suffixes of which none ends with another (S3 rejects overlapping notification filters). */
function validateSuffixes(scope: Construct, suffixes: string[]): void {
  const literal = (i: number) => !Token.isUnresolved(suffixes[i]);
  suffixes.forEach((suffix, i) => {
    if (literal(i) && (suffix.length === 0 || suffix.includes(','))) {
      throw new PatternValidationError(scope, `inputSuffixes[${i}] must be non-empty and contain no comma, got '${suffix}'`);
    }
  });
  suffixes.forEach((suffix, i) => {
    const other = suffixes.findIndex((o, j) => j !== i && literal(i) && literal(j) && suffix.endsWith(o) && (o !== suffix || j < i));
    if (other >= 0) {
      throw new PatternValidationError(scope, `inputSuffixes[${i}] ('${suffix}') ends with inputSuffixes[${other}] ('${suffixes[other]}'): `
        + 'S3 rejects overlapping notification filters at deploy; keep only the shorter one');
    }
  });
}

/**
 * Binds the processor. A built processor's timeout is validated by `ServerlessFunction` (1 second to
 * 15 minutes, naming `processor.timeout`); an existing function's is checked here, with the advice
 * where longer work belongs.
 */
function bindProcessor(scope: Construct, props: FileProcessingPipelineProps, binding: HandlerBinding): BoundHandler {
  const bound = props.processor._bind(scope, binding);
  if (!bound.timeout.isUnresolved() && bound.timeout.toSeconds() > DEFAULTS.maxTimeout.toSeconds()) {
    throw new PatternValidationError(scope, `processor: the timeout of ${bound.fn.node.path} must be at most 15 minutes (Lambda's limit), got ${bound.timeout.toHumanString()}; `
      + 'longer file processing belongs in Step Functions (e.g. a Distributed Map) or an ECS task started by the processor');
  }
  return bound;
}
