import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TableChangeFilter } from './table-change-filter';
import { PatternAlarms } from '../core/alarm-factory';
import { AlarmsOptions } from '../core/alarms';
import { DEFAULTS } from '../core/defaults';
import { PatternValidationError } from '../core/errors';
import { Handler } from '../core/handler';
import { acknowledgeNagFindings } from '../core/nag';
import { FunctionInvocation } from '../core/serverless-function';
import { validateIntegerRange, validateWholeSeconds } from '../core/validation';

/** Defaults of TableChangeHandler, with their reasons. */
const TABLE_CHANGE_DEFAULTS = {
  /** Lambda's default for DynamoDB streams, made explicit: large enough to amortise an invocation, small enough that a bisected batch settles in a few steps. */
  batchSize: 100,
  /**
   * 3 retries (Lambda's own default is -1: retry until the record leaves the stream after 24
   * hours, blocking its shard for a day). With bisection a poison record is isolated and retried
   * alone, then sent to the failure queue, and the shard moves on.
   */
  retryAttempts: 3,
  /**
   * 6 hours. The on-failure record names the shard and the sequence numbers, not the records
   * themselves, and the stream keeps a record for 24 hours: a batch that could not be delivered
   * for 6 hours (a broken permission, a throttled function) reaches the failure queue while its
   * records can still be read from the stream for 18 more hours. Lambda's default (-1) would let
   * them be trimmed without a trace.
   */
  maxRecordAge: Duration.hours(6),
  /**
   * TRIM_HORIZON: every change still in the stream (24 hours) is delivered when the mapping is
   * created; LATEST would drop the changes written between enabling the stream and the mapping
   * becoming active (the first users' welcome e-mails).
   */
  startingPosition: lambda.StartingPosition.TRIM_HORIZON,
  /** An IteratorAge (age of the last record read) above 15 minutes for 5 minutes: the handler is not keeping up, or a batch blocks its shard. */
  iteratorAgeAlarmThreshold: Duration.minutes(15),
  /** DynamoDB's guidance: no more than two readers per shard, or GetRecords is throttled. */
  maxReadersPerShard: 2,
  /** Lambda's limits for stream event sources. */
  maxBatchSize: 10_000,
  maxRetryAttempts: 10_000,
  maxParallelizationFactor: 10,
  /** DynamoDB keeps stream records 24 hours: a longer record age would never apply. */
  maxMaxRecordAge: Duration.days(1),
} as const;

/** Props of a `TableChangeHandler`. */
export interface TableChangeHandlerProps {
  /**
   * The table whose changes are handled.
   *
   * A `dynamodb.Table` or `dynamodb.TableV2` of this app without a stream gets one
   * (NEW_AND_OLD_IMAGES, set on its CloudFormation resource); a stream with another view type
   * fails, because the handlers receive the item before and after the change. An imported table
   * must be imported with its stream: `Table.fromTableAttributes(this, 'Users', { tableArn,
   * tableStreamArn })`, and that stream must have the NEW_AND_OLD_IMAGES view type.
   */
  readonly table: dynamodb.ITable;
  /**
   * Runs for each new item (stream event INSERT), with the new item.
   *
   * @default - inserts are not handled
   */
  readonly onInsert?: Handler;
  /**
   * Runs for each changed item (MODIFY), with the item before and after the change.
   *
   * @default - modifications are not handled
   */
  readonly onModify?: Handler;
  /**
   * Runs for each item deleted by a user or an application (REMOVE not made by DynamoDB's Time to
   * Live process), with the deleted item. TTL deletes never reach it: they go to `onExpire`.
   *
   * @default - deletes are not handled
   */
  readonly onRemove?: Handler;
  /**
   * Runs for each item DynamoDB's Time to Live process deleted (REMOVE with userIdentity
   * `{ type: "Service", principalId: "dynamodb.amazonaws.com" }`), with the expired item.
   *
   * @default - TTL deletes are not handled
   */
  readonly onExpire?: Handler;
  /**
   * Runs for every change (insert, modify, user delete and TTL delete) in one function, in stream
   * order: what a projection (CQRS read model) or a replication needs, since changes of one item
   * handled by separate functions may be applied out of order. The runtime helper's `change.kind`
   * tells the kinds apart. May be combined with the handlers of single kinds (each is one more
   * reader of the stream).
   *
   * @default - no handler of every change
   */
  readonly onChange?: Handler;
  /**
   * Conditions on the item's attributes that every handler's records must meet (all of them),
   * on the new item for `onInsert`/`onModify` and on the old item for `onRemove`/`onExpire`
   * (`onChange`: the new item of inserts and modifications, the old item of deletes).
   * Lambda drops the other records before invoking.
   *
   * @default - every change of the handled kinds
   */
  readonly filters?: TableChangeFilter[];
  /**
   * Records per batch, 1 to 10000.
   *
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * How long to gather records before invoking, up to 5 minutes.
   *
   * @default - no batching window
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Retries of a failed batch (after bisection), 0 to 10000; then the batch goes to `failureQueue`.
   *
   * @default 3
   */
  readonly retryAttempts?: number;
  /**
   * Records older than this are not retried but sent to `failureQueue`, 1 minute to 1 day (the
   * stream keeps records 24 hours).
   *
   * @default Duration.hours(6)
   */
  readonly maxRecordAge?: Duration;
  /**
   * Concurrent batches per shard, 1 to 10. Above 1, records of one item stay in order (Lambda
   * partitions by key) but items are no longer processed in stream order across keys.
   *
   * @default 1
   */
  readonly parallelizationFactor?: number;
  /**
   * Where a new mapping starts reading: TRIM_HORIZON (every record still in the stream) or LATEST.
   *
   * @default lambda.StartingPosition.TRIM_HORIZON
   */
  readonly startingPosition?: lambda.StartingPosition;
  /**
   * A customer-managed key for the failure queue. The functions' roles get the grants the Lambda
   * service needs to send to it (it sends with the function's role).
   *
   * @default - SQS-managed server-side encryption (SSE-SQS)
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * The alarms: `<Handler>.IteratorAge` (per handler: `OnInsert`, `OnModify`, `OnRemove`,
   * `OnExpire`, `OnChange`; the last record read is older than 15 minutes for 5 minutes, threshold in
   * milliseconds), `FailureQueue.FailedBatches` (a batch in the failure queue) and each built
   * function's `ErrorRate` (off by default: a failing batch is retried and bisected, and what is
   * left of it reaches the failure queue, which alarms) and `Duration` (off by default).
   *
   * @default - the alarms above, without actions
   */
  readonly alarms?: AlarmsOptions;
}

/** One handled kind of change: its prop, construct id and the FilterCriteria patterns. */
interface ChangeKind {
  readonly prop: 'onInsert' | 'onModify' | 'onRemove' | 'onExpire' | 'onChange';
  readonly part: 'OnInsert' | 'OnModify' | 'OnRemove' | 'OnExpire' | 'OnChange';
  readonly what: string;
  /** The patterns (any of them matches) before the attribute filters are added, with the image the filters apply to. */
  readonly patterns: { readonly pattern: { [key: string]: unknown }; readonly image: 'NewImage' | 'OldImage' }[];
  /** Without attribute filters, every record: no FilterCriteria. */
  readonly everything?: boolean;
}

/** The identity DynamoDB's TTL process writes on its deletes (DynamoDB Developer Guide, "TTL and DynamoDB Streams"). */
const TTL_PRINCIPAL = 'dynamodb.amazonaws.com';

const INSERT = { eventName: lambda.FilterRule.isEqual('INSERT') };
const MODIFY = { eventName: lambda.FilterRule.isEqual('MODIFY') };
const KINDS: ChangeKind[] = [
  { prop: 'onInsert', part: 'OnInsert', what: 'new items', patterns: [{ pattern: INSERT, image: 'NewImage' }] },
  { prop: 'onModify', part: 'OnModify', what: 'changed items', patterns: [{ pattern: MODIFY, image: 'NewImage' }] },
  {
    prop: 'onRemove',
    part: 'OnRemove',
    what: 'items deleted by users (not by TTL)',
    // A user's delete has no userIdentity; only TTL deletes carry one today. The second pattern keeps
    // a delete by any other principal DynamoDB may name in future a user delete, not a dropped one.
    patterns: [
      { pattern: { eventName: lambda.FilterRule.isEqual('REMOVE'), userIdentity: { type: lambda.FilterRule.notExists() } }, image: 'OldImage' },
      { pattern: { eventName: lambda.FilterRule.isEqual('REMOVE'), userIdentity: { principalId: lambda.FilterRule.notEquals(TTL_PRINCIPAL) } }, image: 'OldImage' },
    ],
  },
  {
    prop: 'onExpire',
    part: 'OnExpire',
    what: 'items deleted by TTL',
    patterns: [{
      pattern: {
        eventName: lambda.FilterRule.isEqual('REMOVE'),
        userIdentity: { type: lambda.FilterRule.isEqual('Service'), principalId: lambda.FilterRule.isEqual(TTL_PRINCIPAL) },
      },
      image: 'OldImage',
    }],
  },
  {
    prop: 'onChange',
    part: 'OnChange',
    what: 'every change',
    everything: true,
    patterns: [
      { pattern: { eventName: lambda.FilterRule.or('INSERT', 'MODIFY') }, image: 'NewImage' },
      { pattern: { eventName: lambda.FilterRule.isEqual('REMOVE') }, image: 'OldImage' },
    ],
  },
];

/** How many mappings of this app read each stream (DynamoDB advises at most two readers per shard). */
const READERS = new WeakMap<object, number>();

/**
 * Change data capture on a DynamoDB table: one Lambda function per kind of change (`onInsert`,
 * `onModify`, `onRemove` for deletes by users, `onExpire` for TTL deletes), each fed by its own
 * DynamoDB Streams event source mapping whose FilterCriteria let only its kind of record (and the
 * optional attribute `filters`) through, so a handler is never invoked for a change it does not
 * handle; or `onChange`, one function for every change in stream order (projections).
 *
 * Each mapping bisects a failing batch, takes partial batch responses (ReportBatchItemFailures),
 * retries 3 times and gives up on records older than 6 hours; then the on-failure record (the
 * shard and sequence numbers of the batch, and the function's ARN) goes to one shared SQS
 * `failureQueue`, which alarms. Each handler alarms on its IteratorAge. The runtime helper
 * `tableChangeHandler` (cdk-serverless-patterns-runtime/table-change) gives the handler typed,
 * unmarshalled old and new items and processes a batch in stream order.
 */
export class TableChangeHandler extends Construct {
  /** The table whose changes are handled. */
  public readonly table: dynamodb.ITable;
  /** The ARN of the table's stream that the mappings read. */
  public readonly tableStreamArn: string;
  /**
   * The function handling inserts.
   *
   * @default - undefined without onInsert
   */
  public readonly onInsertFunction?: lambda.Function;
  /**
   * The function handling modifications.
   *
   * @default - undefined without onModify
   */
  public readonly onModifyFunction?: lambda.Function;
  /**
   * The function handling deletes by users.
   *
   * @default - undefined without onRemove
   */
  public readonly onRemoveFunction?: lambda.Function;
  /**
   * The function handling TTL deletes.
   *
   * @default - undefined without onExpire
   */
  public readonly onExpireFunction?: lambda.Function;
  /**
   * The function handling every change.
   *
   * @default - undefined without onChange
   */
  public readonly onChangeFunction?: lambda.Function;
  /**
   * Where every mapping sends the on-failure record of a batch it gave up on (after
   * `retryAttempts` or `maxRecordAge`). The record's `requestContext.functionArn` names the
   * handler, `DDBStreamBatchInfo` the shard and sequence numbers to read from the stream.
   */
  public readonly failureQueue: sqs.Queue;
  /** The event source mappings, one per handler, in the order onInsert, onModify, onRemove, onExpire, onChange. */
  public readonly eventSourceMappings: lambda.EventSourceMapping[];
  /** Every alarm created (see `alarms` in the props). */
  public readonly alarms: cloudwatch.Alarm[];
  private readonly handlerFunctions: lambda.Function[] = [];

  constructor(scope: Construct, id: string, props: TableChangeHandlerProps) {
    super(scope, id);
    const given = KINDS.filter((k) => props[k.prop] !== undefined);
    if (given.length === 0) {
      throw new PatternValidationError(this, 'give at least one of onInsert, onModify, onRemove, onExpire or onChange: without a handler no change is handled');
    }
    validateIntegerRange(this, 'batchSize', props.batchSize, 1, TABLE_CHANGE_DEFAULTS.maxBatchSize);
    validateWholeSeconds(this, 'maxBatchingWindow', props.maxBatchingWindow, Duration.seconds(0), Duration.minutes(5));
    validateIntegerRange(this, 'retryAttempts', props.retryAttempts, 0, TABLE_CHANGE_DEFAULTS.maxRetryAttempts);
    validateWholeSeconds(this, 'maxRecordAge', props.maxRecordAge, Duration.minutes(1), TABLE_CHANGE_DEFAULTS.maxMaxRecordAge);
    validateIntegerRange(this, 'parallelizationFactor', props.parallelizationFactor, 1, TABLE_CHANGE_DEFAULTS.maxParallelizationFactor);
    const startingPosition = props.startingPosition ?? TABLE_CHANGE_DEFAULTS.startingPosition;
    if (startingPosition === lambda.StartingPosition.AT_TIMESTAMP) {
      throw new PatternValidationError(this, 'startingPosition AT_TIMESTAMP is not supported by DynamoDB Streams: use TRIM_HORIZON or LATEST');
    }
    const filters = props.filters ?? [];
    const seen = new Set<string>();
    filters.forEach((f, i) => {
      const problem = f._problem();
      if (problem) throw new PatternValidationError(this, `filters[${i}]: ${problem}`);
      if (seen.has(f.attribute)) {
        throw new PatternValidationError(this, `filters[${i}]: a second filter on attribute '${f.attribute}' (${f.description}); one filter per attribute (use TableChangeFilter.attributeIn for several values)`);
      }
      seen.add(f.attribute);
    });

    this.table = props.table;
    const streamTable = this.streamTableOf(props.table);
    this.tableStreamArn = streamTable.tableStreamArn!;
    const readers = (READERS.get(props.table) ?? 0) + given.length;
    READERS.set(props.table, readers);
    if (readers > TABLE_CHANGE_DEFAULTS.maxReadersPerShard) {
      Annotations.of(this).addWarningV2('cdk-serverless-patterns:streamReaders',
        `${readers} event source mappings of this app read the stream of ${props.table.node.path}: DynamoDB advises at most ${TABLE_CHANGE_DEFAULTS.maxReadersPerShard} readers per shard `
        + '(more are throttled on GetRecords, which raises IteratorAge); handle fewer kinds of change, or use one handler and tell the kinds apart in code (change.kind)');
    }

    this.failureQueue = new sqs.Queue(this, 'FailureQueue', {
      ...(props.encryptionKey
        ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.encryptionKey }
        : { encryption: sqs.QueueEncryption.SQS_MANAGED }),
      enforceSSL: true,
      retentionPeriod: DEFAULTS.deadLetterRetention,
    });
    acknowledgeNagFindings(this.failureQueue, [
      { id: 'AwsSolutions-SQS3', reason: 'This queue is the on-failure destination of the stream event source mappings: it is the dead-letter store itself' },
      { id: 'Serverless-SQSRedrivePolicy', reason: 'This queue is the on-failure destination of the stream event source mappings: redriving it elsewhere would hide failures' },
    ]);

    const alarms = new PatternAlarms(this, props.alarms);
    const mappings: lambda.EventSourceMapping[] = [];
    for (const kind of given) {
      const handler = props[kind.prop]!;
      const sink = alarms.forPart(kind.part);
      const bound = handler._bind(this, {
        id: kind.part,
        prop: kind.prop,
        description: `${this.node.path}: ${kind.prop}, ${kind.what} of ${props.table.node.path}`,
        invocation: FunctionInvocation.STREAM,
        alarms: sink,
        alarmsOffByDefault: ['ErrorRate'],
      });
      const fn = bound.fn;
      const source = new eventSources.DynamoEventSource(streamTable, {
        startingPosition,
        batchSize: props.batchSize ?? TABLE_CHANGE_DEFAULTS.batchSize,
        maxBatchingWindow: props.maxBatchingWindow,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: props.retryAttempts ?? TABLE_CHANGE_DEFAULTS.retryAttempts,
        maxRecordAge: props.maxRecordAge ?? TABLE_CHANGE_DEFAULTS.maxRecordAge,
        parallelizationFactor: props.parallelizationFactor,
        onFailure: new FailureQueueDestination(this.failureQueue, props.encryptionKey),
        filters: filterCriteriaOf(kind, filters),
      });
      const before = new Set(fn.node.children);
      fn.addEventSource(source);
      const mapping = fn.node.children.find((c): c is lambda.EventSourceMapping => c instanceof lambda.EventSourceMapping && !before.has(c))!;
      mappings.push(mapping);
      this.handlerFunctions.push(fn);
      sink.create(this, `${kind.part}IteratorAgeAlarm`, 'IteratorAge', {
        metric: fn.metric('IteratorAge', { period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: TABLE_CHANGE_DEFAULTS.iteratorAgeAlarmThreshold.toMilliseconds(),
        evaluationPeriods: 5,
        description: `${this.node.path}: ${kind.prop} reads records older than ${TABLE_CHANGE_DEFAULTS.iteratorAgeAlarmThreshold.toHumanString()}; the handler is not keeping up or a failing batch blocks its shard`,
      });
      if (kind.prop === 'onInsert') this.onInsertFunction = fn;
      if (kind.prop === 'onModify') this.onModifyFunction = fn;
      if (kind.prop === 'onRemove') this.onRemoveFunction = fn;
      if (kind.prop === 'onExpire') this.onExpireFunction = fn;
      if (kind.prop === 'onChange') this.onChangeFunction = fn;
    }
    this.eventSourceMappings = mappings;
    alarms.forPart('FailureQueue').create(this, 'FailedBatchesAlarm', 'FailedBatches', {
      metric: this.failureQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: 1,
      description: `${this.node.path}: a batch of table changes failed after retries (or grew too old); the message names the function and the stream records to read within 24 hours`,
    });
    this.alarms = alarms.alarms;
  }

  /**
   * The age of the last record each handler read (milliseconds): the maximum over the handlers.
   *
   * @param options period, statistic (default: maximum over 1 minute), label...
   */
  public metricIteratorAge(options: cloudwatch.MetricOptions = {}): cloudwatch.IMetric {
    const metrics = this.handlerFunctions.map((fn) => fn.metric('IteratorAge', { period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM, ...options }));
    if (metrics.length === 1) return metrics[0];
    return new cloudwatch.MathExpression({
      expression: `MAX([${metrics.map((_, i) => `m${i}`).join(', ')}])`,
      usingMetrics: Object.fromEntries(metrics.map((m, i) => [`m${i}`, m])),
      period: options.period ?? Duration.minutes(1),
      label: options.label ?? 'IteratorAge (ms), the slowest handler',
    });
  }

  /**
   * The batches waiting in the failure queue (visible messages; maximum over 1 minute by default).
   *
   * @param options period, statistic, label...
   */
  public metricFailedBatches(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.failureQueue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM, ...options,
    });
  }

  /** The table as DynamoEventSource takes it: with its NEW_AND_OLD_IMAGES stream, enabled here if the app owns the table. */
  private streamTableOf(table: dynamodb.ITable): dynamodb.ITable {
    const owned = table instanceof dynamodb.Table || table instanceof dynamodb.TableV2;
    if (!owned) {
      if (!table.tableStreamArn) {
        throw new PatternValidationError(this, `table: ${table.node.path} is imported without its stream; import it with Table.fromTableAttributes(scope, id, { tableArn, tableStreamArn }) `
          + '(the stream must exist, with the NEW_AND_OLD_IMAGES view type)');
      }
      return table;
    }
    const cfn = table.node.defaultChild as dynamodb.CfnTable | dynamodb.CfnGlobalTable;
    const spec = Stack.of(table).resolve(cfn.streamSpecification) as { streamViewType?: string } | undefined;
    if (spec) {
      const view = spec.streamViewType;
      if (typeof view === 'string' && !Token.isUnresolved(view) && view !== dynamodb.StreamViewType.NEW_AND_OLD_IMAGES) {
        throw new PatternValidationError(this, `table: the stream of ${table.node.path} has the view type ${view}; the handlers receive the item before and after the change, `
          + `which needs ${dynamodb.StreamViewType.NEW_AND_OLD_IMAGES} (set stream: StreamViewType.NEW_AND_OLD_IMAGES on the table, or leave it unset and this construct enables it)`);
      }
      if (table.tableStreamArn) return table;
    } else {
      cfn.streamSpecification = { streamViewType: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES };
    }
    // The L2 table knows no stream when it was created without one: read it as a table with the stream.
    return dynamodb.Table.fromTableAttributes(this, 'TableWithStream', {
      tableArn: table.tableArn,
      tableStreamArn: cfn.attrStreamArn,
      encryptionKey: table.encryptionKey,
    });
  }
}

/** The FilterCriteria of one kind of change: its patterns, each with every attribute filter on the kind's image. */
function filterCriteriaOf(kind: ChangeKind, filters: TableChangeFilter[]): { [key: string]: unknown }[] | undefined {
  if (filters.length === 0 && kind.everything) return undefined;
  const conditions = Object.assign({}, ...filters.map((f) => f._pattern())) as { [attribute: string]: unknown };
  return kind.patterns.map(({ pattern, image }) => lambda.FilterCriteria.filter(
    filters.length === 0 ? pattern : { ...pattern, dynamodb: { [image]: conditions } },
  ));
}

/**
 * The mappings' on-failure destination, granted as narrowly as SQS needs: Lambda sends the
 * on-failure record with the function's role, which needs `sqs:SendMessage` on the queue and, for
 * a customer key, `kms:GenerateDataKey` + `kms:Decrypt` (aws-cdk-lib's `SqsDlq` grants
 * `sqs:GetQueueAttributes`/`GetQueueUrl` and `kms:ReEncrypt*`/`GenerateDataKey*` as well).
 */
class FailureQueueDestination implements lambda.IEventSourceDlq {
  constructor(private readonly queue: sqs.IQueue, private readonly key?: kms.IKey) {}

  public bind(_target: lambda.IEventSourceMapping, targetHandler: lambda.IFunction): lambda.DlqDestinationConfig {
    targetHandler.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }));
    this.key?.grant(targetHandler, 'kms:GenerateDataKey', 'kms:Decrypt');
    return { destination: this.queue.queueArn };
  }
}
