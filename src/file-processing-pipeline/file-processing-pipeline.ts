import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FILE_ENV } from './runtime/env';
import { AlarmOptions } from '../core/alarms';
import { createAccessLogsBucket, NONCURRENT_VERSION_EXPIRATION, PRIVATE_BUCKET_PROPS } from '../core/buckets';
import { DatabaseAccessOptions } from '../core/database';
import { DEFAULTS } from '../core/defaults';
import { PatternValidationError } from '../core/errors';
import { FunctionCodeOptions } from '../core/function-code-options';
import { acknowledgeNagFindings, nagResourceFinding } from '../core/nag';
import { DeadLetteredQueue } from '../core/queue';
import { FunctionInvocation, ServerlessFunction } from '../core/serverless-function';
import { userFunction } from '../core/user-function';
import { validateIntegerRange } from '../core/validation';

/** Defaults of FileProcessingPipeline, with their reasons. */
const FILE_PIPELINE_DEFAULTS = {
  /** Processing files is heavier than answering HTTP: 2 minutes. */
  processorTimeout: Duration.minutes(2),
} as const;

/** Props of a `FileProcessingPipeline`. */
export interface FileProcessingPipelineProps extends AlarmOptions, DatabaseAccessOptions {
  /**
   * The processor's code: the pattern builds a `ServerlessFunction` from it. Wrap the handler with
   * `fileProcessor` from `cdk-serverless-patterns-runtime`. Specify exactly one of `processor` and
   * `processorFunction`. Its timeout must be at most 15 minutes: longer work belongs in Step
   * Functions or ECS.
   *
   * @default - none; `processorFunction` must be given instead
   */
  readonly processor?: FunctionCodeOptions;
  /**
   * An existing function as the processor; the pattern adds the event source, read access to the
   * input and write access to the output, and (for a `lambda.Function`) the environment.
   *
   * @default - none; `processor` must be given instead
   */
  readonly processorFunction?: lambda.IFunction;
  /**
   * Timeout of `processorFunction`, to size the queue's visibility timeout.
   *
   * @default - `processor.timeout`, or 2 minutes
   */
  readonly processorTimeout?: Duration;
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
   * Only keys under this prefix are processed.
   *
   * @default - every key
   */
  readonly inputPrefix?: string;
  /**
   * Only keys ending in one of these are processed (one S3 notification per suffix).
   *
   * @default - every key
   */
  readonly inputSuffixes?: string[];
  /**
   * Prefix of every output key.
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
   * Send `FileProcessed` / `FileFailed` notices to this EventBridge bus instead of an SNS topic.
   *
   * @default - notices go to `notificationTopic`
   */
  readonly notificationEventBus?: events.IEventBus;
  /**
   * The SNS topic that receives `FileProcessed` / `FileFailed` notices (message attribute `type`).
   *
   * @default - a new topic encrypted with a new KMS key, unless `notificationEventBus` is given
   */
  readonly notificationTopic?: sns.ITopic;
  /**
   * Deliveries of an upload event before it is dead-lettered, 1 to 1000.
   *
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * Upload events per processor invocation, 1 to 10.
   *
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * Most concurrent processor invocations, 2 to 1000.
   *
   * @default - no limit beyond the account's concurrency
   */
  readonly maxConcurrency?: number;
}

/**
 * Upload to S3 → ObjectCreated event → SQS queue (+ DLQ) → processor function → output bucket →
 * a `FileProcessed` notice per object (SNS or EventBridge), and a `FileFailed` notice when an
 * upload ends in the DLQ. Private, encrypted, TLS-only, access-logged buckets; the processor may
 * read the input and write the output, nothing more.
 *
 * @example
 * const thumbs = new FileProcessingPipeline(this, 'Thumbnails', {
 *   processor: { code: lambda.Code.fromAsset('dist/thumbnail'), handler: 'index.handler' },
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
  /** The upload-event queue and its DLQ, with their alarms. */
  public readonly buffer: DeadLetteredQueue;
  /** The queue of upload events. */
  public readonly queue: sqs.Queue;
  /** Where upload events go after `maxReceiveCount` failed deliveries. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The processor. */
  public readonly processorFunction: lambda.IFunction;
  /**
   * The topic of FileProcessed / FileFailed notices.
   *
   * @default - undefined when notices go to an EventBridge bus
   */
  public readonly notificationTopic?: sns.ITopic;
  /** The prefix of every output key. */
  public readonly outputPrefix: string;
  /** Every alarm: queue, DLQ and processor. */
  public readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: FileProcessingPipelineProps) {
    super(scope, id);
    if ((props.processor === undefined) === (props.processorFunction === undefined)) {
      throw new PatternValidationError(this, props.processor ? 'specify either processor or processorFunction, not both' : 'specify one of processor or processorFunction');
    }
    const timeout = props.processor?.timeout ?? props.processorTimeout ?? FILE_PIPELINE_DEFAULTS.processorTimeout;
    if (!timeout.isUnresolved() && timeout.toSeconds() > DEFAULTS.maxTimeout.toSeconds()) {
      throw new PatternValidationError(this, `the processor timeout must be at most 15 minutes (Lambda's limit), got ${timeout.toHumanString()}; `
        + 'longer file processing belongs in Step Functions (e.g. a Distributed Map) or an ECS task started by the processor');
    }
    if (props.notificationTopic && props.notificationEventBus) {
      throw new PatternValidationError(this, 'specify either notificationTopic or notificationEventBus, not both');
    }
    validateIntegerRange(this, 'batchSize', props.batchSize, 1, 10);
    const inputPrefix = props.inputPrefix ?? '';
    const suffixes = props.inputSuffixes ?? [];
    for (const suffix of suffixes) {
      if (suffix.length === 0 || suffix.includes(',')) throw new PatternValidationError(this, `inputSuffixes must be non-empty and contain no comma, got '${suffix}'`);
    }
    const sameBucket = props.inputBucket !== undefined && props.inputBucket === props.outputBucket;
    this.outputPrefix = props.outputPrefix ?? '';
    if (sameBucket) this.checkNoRecursion(inputPrefix, this.outputPrefix, suffixes);

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

    this.buffer = new DeadLetteredQueue(this, 'Uploads', { consumerTimeout: timeout, maxReceiveCount: props.maxReceiveCount, alarms: { topic: props.alarmTopic } });
    this.queue = this.buffer.queue;
    this.deadLetterQueue = this.buffer.deadLetterQueue;
    const destination = new s3n.SqsDestination(this.queue);
    const filters: s3.NotificationKeyFilter[] = suffixes.length
      ? suffixes.map((suffix) => (inputPrefix ? { prefix: inputPrefix, suffix } : { suffix }))
      : inputPrefix ? [{ prefix: inputPrefix }] : [];
    if (filters.length === 0) {
      this.inputBucket.addEventNotification(s3.EventType.OBJECT_CREATED, destination);
    }
    for (const filter of filters) {
      this.inputBucket.addEventNotification(s3.EventType.OBJECT_CREATED, destination, filter);
    }
    this.acknowledgeNotificationHandler();

    if (!props.notificationEventBus) {
      if (props.notificationTopic) {
        this.notificationTopic = props.notificationTopic;
      } else {
        const key = new kms.Key(this, 'NotificationKey', { enableKeyRotation: true, description: `${this.node.path}: encrypts file notices` });
        this.notificationTopic = new sns.Topic(this, 'NotificationTopic', { masterKey: key, enforceSSL: true });
      }
    }

    const environment: Record<string, string> = {
      [FILE_ENV.OUTPUT_BUCKET_NAME]: this.outputBucket.bucketName,
      [FILE_ENV.OUTPUT_PREFIX]: this.outputPrefix,
      [FILE_ENV.INPUT_PREFIX]: inputPrefix,
      [FILE_ENV.INPUT_SUFFIXES]: suffixes.join(','),
      [FILE_ENV.MAX_RECEIVE_COUNT]: String(this.buffer.maxReceiveCount),
      ...(this.notificationTopic ? { [FILE_ENV.NOTIFICATION_TOPIC_ARN]: this.notificationTopic.topicArn } : {}),
      ...(props.notificationEventBus ? { [FILE_ENV.NOTIFICATION_EVENT_BUS_NAME]: props.notificationEventBus.eventBusName } : {}),
    };
    const processor = userFunction(this, {
      ...props,
      id: 'Processor',
      code: props.processor,
      existing: props.processorFunction,
      timeout,
      description: `${this.node.path}: processes uploads`,
      environment,
      invocation: FunctionInvocation.QUEUE,
    });
    const alarms = [...this.buffer.alarms, ...processor.alarms];
    this.processorFunction = processor.fn;
    this.grantProcessorAccess(inputPrefix);
    this.notificationTopic?.grantPublish(this.processorFunction);
    if (this.notificationTopic && !props.notificationTopic && this.processorFunction instanceof ServerlessFunction) {
      acknowledgeNagFindings(this.processorFunction.executionRole, [{
        id: 'AwsSolutions-IAM5',
        reason: 'Publishing to the KMS-encrypted notification topic needs kms:GenerateDataKey* (as aws-cdk-lib grants it), on that topic\'s key only',
        appliesTo: ['Action::kms:GenerateDataKey*'],
      }]);
    }
    props.notificationEventBus?.grantPutEventsTo(this.processorFunction);
    this.buffer.addConsumer(this.processorFunction, { batchSize: props.batchSize, maxConcurrency: props.maxConcurrency });
    this.alarms = alarms;
  }

  /**
   * Read on the input (under the prefix), write on the output (under the output prefix): nothing
   * more. aws-cdk-lib's bucket grants also grant the bucket's KMS key (kms:Decrypt to read,
   * kms:GenerateDataKey* to write), so SSE-KMS buckets work; a hand-written S3 statement would not.
   */
  private grantProcessorAccess(inputPrefix: string): void {
    this.inputBucket.grantRead(this.processorFunction, `${inputPrefix}*`);
    this.outputBucket.grantPut(this.processorFunction, `${this.outputPrefix}*`);
    const findings = [
      nagResourceFinding(this, this.inputBucket.bucketArn, `/${inputPrefix}*`),
      nagResourceFinding(this, this.outputBucket.bucketArn, `/${this.outputPrefix}*`),
    ].filter((f): f is string => f !== undefined);
    if (this.processorFunction instanceof ServerlessFunction && findings.length) {
      acknowledgeNagFindings(this.processorFunction.executionRole, [{
        id: 'AwsSolutions-IAM5',
        reason: 'Object-level S3 permissions need a key wildcard: read is limited to the input prefix, write to the output prefix',
        appliesTo: findings,
      }]);
    }
    if (this.processorFunction instanceof ServerlessFunction) {
      acknowledgeNagFindings(this.processorFunction.executionRole, [{
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
