import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AlarmSink, PatternAlarms } from './alarm-factory';
import { AlarmsOptions } from './alarms';
import { DEFAULTS } from './defaults';
import { PatternValidationError } from './errors';
import { QUEUE_INTERNALS } from './function-internals';
import { acknowledgeNagFindings } from './nag';
import { validateDurationRange, validateIntegerRange, validateWholeSeconds } from './validation';

/** Props of a `DeadLetteredQueue`. */
export interface DeadLetteredQueueProps {
  /**
   * Receives of a message before SQS moves it to the dead-letter queue, 1 to 1000.
   *
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * Timeout of the function that consumes the queue; the visibility timeout is derived from it.
   *
   * @default Duration.seconds(30)
   */
  readonly consumerTimeout?: Duration;
  /**
   * Visibility timeout; must be at least 6 x `consumerTimeout` (AWS guidance for Lambda event
   * sources, so a batch still being retried is not delivered twice) and at most 12 hours.
   *
   * @default - 6 x consumerTimeout
   */
  readonly visibilityTimeout?: Duration;
  /**
   * How long the queue keeps a message, 1 minute to 14 days.
   *
   * @default Duration.days(4)
   */
  readonly retentionPeriod?: Duration;
  /**
   * A customer-managed KMS key for both queues.
   *
   * @default - SQS-managed server-side encryption (SSE-SQS)
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * A FIFO queue (and FIFO dead-letter queue), with content-based deduplication.
   *
   * @default false
   */
  readonly fifo?: boolean;
  /**
   * The alarm on the age of the oldest message fires at this age.
   *
   * @default Duration.minutes(15)
   */
  readonly maxMessageAge?: Duration;
  /**
   * The queue's alarms: `DeadLetters` (a message in the dead-letter queue) and `OldestMessageAge`
   * (the oldest message older than `maxMessageAge` for 5 minutes).
   *
   * @default - both, without actions
   */
  readonly alarms?: AlarmsOptions;
}

/** How a Lambda function consumes a `DeadLetteredQueue`. */
export interface QueueConsumerOptions {
  /**
   * Messages per batch, 1 to 10000 (above 10 needs `maxBatchingWindow`; FIFO at most 10).
   *
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * Most concurrent function instances the event source invokes, 2 to 1000.
   *
   * @default - no limit beyond the function's concurrency
   */
  readonly maxConcurrency?: number;
  /**
   * How long to gather records before invoking, up to 5 minutes.
   *
   * @default - no batching window
   */
  readonly maxBatchingWindow?: Duration;
}

/**
 * An SQS queue that always has a dead-letter queue: encrypted, TLS-only, with a redrive policy,
 * 14-day retention in the DLQ, a visibility timeout derived from its consumer's timeout, and
 * alarms on DLQ depth and on the age of the oldest message.
 *
 * Every pattern buffers its asynchronous work in one of these.
 */
export class DeadLetteredQueue extends Construct {
  /** The queue that buffers the work. */
  public readonly queue: sqs.Queue;
  /** Where a message goes after `maxReceiveCount` failed receives. */
  public readonly deadLetterQueue: sqs.Queue;
  /** Receives before a message is dead-lettered. */
  public readonly maxReceiveCount: number;
  /** Alarms: DLQ holds a message; the oldest message is too old. */
  public readonly alarms: cloudwatch.Alarm[];
  private readonly visibilityTimeout: Duration;
  private readonly prop?: string;

  constructor(scope: Construct, id: string, props: DeadLetteredQueueProps = {}) {
    super(scope, id);
    this.maxReceiveCount = props.maxReceiveCount ?? DEFAULTS.maxReceiveCount;
    const consumerTimeout = props.consumerTimeout ?? DEFAULTS.timeout;
    validateIntegerRange(this, 'maxReceiveCount', this.maxReceiveCount, 1, 1000);
    validateDurationRange(this, 'consumerTimeout', consumerTimeout, Duration.seconds(1), DEFAULTS.maxTimeout);
    validateDurationRange(this, 'retentionPeriod', props.retentionPeriod, Duration.minutes(1), Duration.days(14));
    const minVisibility = Duration.seconds(consumerTimeout.toSeconds() * DEFAULTS.visibilityTimeoutFactor);
    this.visibilityTimeout = props.visibilityTimeout ?? minVisibility;
    validateDurationRange(this, 'visibilityTimeout', this.visibilityTimeout, minVisibility, Duration.hours(12));

    const fifo = props.fifo ?? false;
    const encryption = props.encryptionKey
      ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.encryptionKey }
      : { encryption: sqs.QueueEncryption.SQS_MANAGED };
    const fifoProps = fifo ? { fifo: true, contentBasedDeduplication: true } : {};

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      ...encryption,
      ...fifoProps,
      enforceSSL: true,
      retentionPeriod: DEFAULTS.deadLetterRetention,
    });
    acknowledgeNagFindings(this.deadLetterQueue, [
      { id: 'Serverless-SQSRedrivePolicy', reason: 'This is a dead-letter queue: redriving it into another queue would only move failures out of sight' },
    ]);
    this.queue = new sqs.Queue(this, 'Queue', {
      ...encryption,
      ...fifoProps,
      enforceSSL: true,
      visibilityTimeout: this.visibilityTimeout,
      retentionPeriod: props.retentionPeriod ?? DEFAULTS.queueRetention,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: this.maxReceiveCount },
    });

    const internals = QUEUE_INTERNALS.get(props);
    const sink: AlarmSink = internals?.alarms ?? new PatternAlarms(this, props.alarms).forPart('');
    const maxMessageAge = props.maxMessageAge ?? DEFAULTS.queueAgeAlarmThreshold;
    this.alarms = [
      sink.create(this, 'DeadLetterQueueAlarm', 'DeadLetters', {
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: 1,
        description: `${this.node.path}: messages failed ${this.maxReceiveCount} times and wait in the dead-letter queue; inspect, fix, then redrive`,
      }),
      sink.create(this, 'OldestMessageAlarm', 'OldestMessageAge', {
        metric: this.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: maxMessageAge.toSeconds(),
        evaluationPeriods: 5,
        description: `${this.node.path}: the oldest message is older than ${maxMessageAge.toHumanString()}; the consumer is not keeping up or is failing`,
      }),
    ].filter((a): a is cloudwatch.Alarm => a !== undefined);
    this.prop = internals?.prop;
  }

  /**
   * Connects a function as the queue's consumer through an SQS event source that reports partial
   * batch failures, so one bad message is retried (and dead-lettered) alone. Fails when the
   * function's timeout is longer than the visibility timeout allows.
   */
  public addConsumer(fn: lambda.IFunction, options: QueueConsumerOptions = {}): lambda.EventSourceMapping {
    const name = (option: string) => (this.prop ? `${this.prop}${option}` : option);
    validateIntegerRange(this, name('batchSize'), options.batchSize, 1, this.queue.fifo ? 10 : 10_000);
    validateIntegerRange(this, name('maxConcurrency'), options.maxConcurrency, DEFAULTS.minMaximumConcurrency, DEFAULTS.maxMaximumConcurrency);
    validateWholeSeconds(this, name('maxBatchingWindow'), options.maxBatchingWindow, Duration.seconds(0), Duration.minutes(5));
    if ((options.batchSize ?? 0) > 10 && options.maxBatchingWindow === undefined) {
      throw new PatternValidationError(this, `${name('batchSize')} above 10 (got ${options.batchSize}) needs ${name('maxBatchingWindow')}; SQS event sources accept 1 to 10 without one`);
    }
    const timeout = fn instanceof lambda.Function ? fn.timeout : undefined;
    if (timeout && !timeout.isUnresolved() && timeout.toSeconds() * DEFAULTS.visibilityTimeoutFactor > this.visibilityTimeout.toSeconds()) {
      throw new PatternValidationError(this, `the visibility timeout (${this.visibilityTimeout.toHumanString()}) must be at least ${DEFAULTS.visibilityTimeoutFactor} x the timeout of consumer ${fn.node.path} (${timeout.toHumanString()}); raise visibilityTimeout or lower the function timeout`);
    }
    const source = new eventSources.SqsEventSource(this.queue, {
      batchSize: options.batchSize ?? DEFAULTS.batchSize,
      maxConcurrency: options.maxConcurrency,
      maxBatchingWindow: options.maxBatchingWindow,
      reportBatchItemFailures: true,
    });
    const before = new Set(fn.node.children);
    fn.addEventSource(source);
    const mapping = fn.node.children.find((c): c is lambda.EventSourceMapping => c instanceof lambda.EventSourceMapping && !before.has(c))!;
    acknowledgeNagFindings(mapping, [
      { id: 'Serverless-LambdaEventSourceMappingDestination', reason: `SQS event source mappings do not support on-failure destinations; a failed message returns to the queue and after ${this.maxReceiveCount} receives moves to its redrive dead-letter queue` },
    ]);
    return mapping;
  }
}
