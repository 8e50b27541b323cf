import { Annotations, Duration, RemovalPolicy, Stack, TimeZone, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { JobSchedule } from './job-schedule';
import { OverlapLock } from './overlap-lock';
import { PatternAlarms } from '../core/alarm-factory';
import { AlarmsOptions } from '../core/alarms';
import { DatabaseAccessOptions } from '../core/database';
import { DEFAULTS } from '../core/defaults';
import { PatternValidationError } from '../core/errors';
import { Handler } from '../core/handler';
import { acknowledgeNagFindings, nagResourceFinding } from '../core/nag';
import { validateDatabaseOptions, validateDatabaseSubnetsForExisting } from '../core/pattern-database';
import { FunctionInvocation } from '../core/serverless-function';
import { validateDurationRange, validateIntegerRange } from '../core/validation';

/** Defaults of ScheduledJob, with their reasons. */
const JOB_DEFAULTS = {
  /**
   * 3 retries by Scheduler when it cannot deliver a run (throttling, target unavailable). aws-cdk-lib
   * keeps Scheduler's own 185 retries over 24 hours, which turns a broken target into a day of
   * retries and hides it; three attempts ride out a blip and then reach the dead-letter queue.
   */
  retryAttempts: 3,
  /**
   * A run Scheduler could not deliver within 1 hour goes to the dead-letter queue (Scheduler's own
   * default is 24 hours): a scheduled run delivered much later is usually worse than a visible failure,
   * and for an hourly job it would collide with the next run.
   */
  maxEventAge: Duration.hours(1),
  /** Scheduler's limits for the retry policy. */
  maxRetryAttempts: 185,
  minMaxEventAge: Duration.minutes(1),
  maxMaxEventAge: Duration.hours(24),
  /** Scheduler's limit for a flexible time window. */
  maxFlexibleTimeWindow: Duration.minutes(1440),
} as const;

/** Props of a `ScheduledJob`. */
export interface ScheduledJobProps extends DatabaseAccessOptions {
  /**
   * When the job runs: `JobSchedule.cron()`, `JobSchedule.rate()`, `JobSchedule.at()` or
   * `JobSchedule.expression(scheduler.ScheduleExpression)`.
   */
  readonly schedule: JobSchedule;
  /**
   * The time zone in which cron and one-time schedules are evaluated, e.g. `TimeZone.EUROPE_PARIS`
   * (daylight saving time is followed). A rate schedule ignores it (with a warning).
   *
   * @default - UTC (`Etc/UTC`), or the zone of a `JobSchedule.expression()` that has one
   */
  readonly timeZone?: TimeZone;
  /**
   * The job's code: `Handler.fromAsset(...)`, `Handler.fromCode(...)`, `Handler.fromEntry(...)`
   * (the construct builds a `ServerlessFunction`, invoked asynchronously by Scheduler, or
   * synchronously by the lock with `preventOverlap`) or `Handler.fromFunction(fn)` (an existing
   * function; its timeout is read from it). The job's target is either `handler` or
   * `stateMachine`.
   *
   * @default - none: give `stateMachine`
   */
  readonly handler?: Handler;
  /**
   * A Step Functions state machine to start instead of a function, for work longer than the
   * 15 minutes a Lambda function may run. The job's target is either `handler` or `stateMachine`.
   *
   * @default - none: give `handler`
   */
  readonly stateMachine?: sfn.IStateMachine;
  /**
   * A static JSON payload sent to the target on every run (the function's event, the state
   * machine's input).
   *
   * @default - no payload: the target receives Scheduler's default empty input
   */
  readonly payload?: { [key: string]: any };
  /**
   * Never run the function twice at once, without reserved concurrency (which accounts with a low
   * concurrency quota reject): Scheduler starts a small Step Functions state machine that takes a
   * DynamoDB lock (a conditional write), invokes the function synchronously (retried twice, as
   * an asynchronous invocation would be), and releases the lock. A run that starts while the
   * previous one holds the lock waits, checking every minute, and runs after it: runs are
   * serialised, not dropped; after 6 hours of waiting it fails (the `OverlapLock.ExecutionsFailed`
   * alarm). A lock whose owner execution ended without releasing it (timed out, aborted) is taken
   * over. Works with every `Handler`; a `stateMachine` must guard itself.
   *
   * @default false
   */
  readonly preventOverlap?: boolean;
  /**
   * Let Scheduler start a run anywhere in this window after the scheduled time (spreads load on
   * the target), 1 to 1440 minutes.
   *
   * @default - off: runs start at the scheduled time
   */
  readonly flexibleTimeWindow?: Duration;
  /**
   * Whether the schedule is enabled.
   *
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * The schedule group the schedule belongs to.
   *
   * @default - a new schedule group for this job, so its Scheduler metrics (and alarms) are the job's alone
   */
  readonly scheduleGroup?: scheduler.IScheduleGroup;
  /**
   * Retries by Scheduler when it cannot deliver a run to the target, 0 to 185.
   *
   * @default 3
   */
  readonly retryAttempts?: number;
  /**
   * How long Scheduler keeps trying to deliver a run, 1 minute to 24 hours.
   *
   * @default Duration.hours(1)
   */
  readonly maxEventAge?: Duration;
  /**
   * A customer-managed key that encrypts the schedule's payload.
   *
   * @default - an AWS-owned key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * A description of the schedule.
   *
   * @default - a description naming the construct and its expression
   */
  readonly description?: string;
  /**
   * The job's alarms, by name (override with `overrides: { '<name>': { ... } }`):
   *
   * - `Schedule.DeadLetters` (on): a run Scheduler could not deliver is in the dead-letter queue (>= 1, 1 minute).
   * - `Schedule.DroppedInvocations` (on): Scheduler dropped a run it could not even dead-letter (>= 1, 5 minutes).
   * - `Schedule.TargetErrors` (off): Scheduler's failed attempts to invoke the target; they are retried, and a run that
   *   fails for good reaches the dead-letter queue.
   * - `Handler.FailedEvents` (on, without `preventOverlap`): a run the function failed after Lambda's 2 retries is in
   *   its on-failure queue.
   * - `Handler.ErrorRate`, `Handler.Throttles` (with `preventOverlap`) and `Handler.Duration` (off): the function's
   *   error rate, throttles and p99 duration; `Handler.FailedEvents` or the executions alarm already says when a run failed.
   * - `OverlapLock.ExecutionsFailed` (on, with `preventOverlap`): a run failed after its retries, or waited 6 hours.
   * - `StateMachine.ExecutionsFailed` (on, with `stateMachine`): an execution of your state machine failed, timed out
   *   or was aborted.
   *
   * The `Handler.*` alarms exist only for a function the construct builds (an existing function's alarms are yours).
   *
   * @default - the alarms marked "on", without actions
   */
  readonly alarms?: AlarmsOptions;
}

/**
 * A job that runs on a schedule, without a server idling in between: an EventBridge Scheduler
 * schedule (cron, rate or one-time, in a time zone) invoking a function or starting a state
 * machine, with a bounded retry policy, a dead-letter queue for runs that could not be delivered,
 * and alarms on runs that failed for good.
 *
 * Where failures go: a run Scheduler cannot deliver (after `retryAttempts` or `maxEventAge`) lands
 * in `deadLetterQueue`; a run the function receives but fails (after Lambda's 2 asynchronous
 * retries) lands in the function's `failureQueue` (a function the construct built).
 */
export class ScheduledJob extends Construct {
  /** The EventBridge Scheduler schedule. */
  public readonly schedule: scheduler.Schedule;
  /** The schedule group of the schedule. */
  public readonly scheduleGroup: scheduler.IScheduleGroup;
  /**
   * The function the job runs (built from `handler`, or the one `Handler.fromFunction` gave).
   *
   * @default - undefined when the job starts a state machine
   */
  public readonly handlerFunction?: lambda.Function;
  /**
   * With `preventOverlap`: the table holding the run lock.
   *
   * @default - undefined without preventOverlap
   */
  public readonly lockTable?: dynamodb.ITable;
  /**
   * With `preventOverlap`: the state machine Scheduler starts, which runs the function under the lock.
   *
   * @default - undefined without preventOverlap
   */
  public readonly lockStateMachine?: sfn.IStateMachine;
  /** The role EventBridge Scheduler assumes to invoke the target and write to the dead-letter queue. */
  public readonly schedulerRole: iam.Role;
  /** Runs Scheduler could not deliver to the target, with the error in the message attributes. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The alarms created (see `alarms` in the props for their names and defaults). */
  public readonly alarms: cloudwatch.Alarm[];
  /** The state machine the schedule starts (the lock's or yours), if any. */
  private readonly startedStateMachine?: sfn.IStateMachine;
  /** The on-failure queue of a function the construct built for asynchronous invocation. */
  private readonly failureQueue?: sqs.IQueue;

  constructor(scope: Construct, id: string, props: ScheduledJobProps) {
    super(scope, id);
    if ((props.handler === undefined) === (props.stateMachine === undefined)) {
      throw new PatternValidationError(this, props.handler
        ? 'the job\'s target is either handler or stateMachine, got both: remove one'
        : 'the job needs a target: give handler (a Handler, e.g. Handler.fromAsset(\'dist/job\', { handler: \'index.handler\' })) or stateMachine');
    }
    const zone = props.timeZone;
    if (zone !== undefined && !Token.isUnresolved(zone.timezoneName) && !isIanaTimeZone(zone.timezoneName)) {
      throw new PatternValidationError(this, `timeZone must be an IANA time zone such as TimeZone.EUROPE_PARIS or TimeZone.of('UTC'), got '${zone.timezoneName}'`);
    }
    if (props.preventOverlap && props.stateMachine) {
      throw new PatternValidationError(this, 'preventOverlap runs the handler function under a lock; with a stateMachine, check for running executions in the workflow');
    }
    validateDatabaseOptions(this, props, props.stateMachine ? 'the job starts a stateMachine and runs no function of its own; grant the state machine\'s functions yourself' : undefined);
    validateIntegerRange(this, 'retryAttempts', props.retryAttempts, 0, JOB_DEFAULTS.maxRetryAttempts);
    validateDurationRange(this, 'maxEventAge', props.maxEventAge, JOB_DEFAULTS.minMaxEventAge, JOB_DEFAULTS.maxMaxEventAge);
    validateDurationRange(this, 'flexibleTimeWindow', props.flexibleTimeWindow, Duration.minutes(1), JOB_DEFAULTS.maxFlexibleTimeWindow);
    if (props.flexibleTimeWindow && !props.flexibleTimeWindow.isUnresolved() && props.flexibleTimeWindow.toSeconds() % 60 !== 0) {
      throw new PatternValidationError(this, `flexibleTimeWindow must be a whole number of minutes between 1 and 1440, got ${props.flexibleTimeWindow.toHumanString()}`);
    }
    const expression = props.schedule._bind(this, zone);
    if (zone !== undefined && expression.expressionString.startsWith('rate(')) {
      Annotations.of(this).addWarningV2('cdk-serverless-patterns:timeZoneIgnored', `timeZone '${zone.timezoneName}' has no effect on the rate schedule ${expression.expressionString}`);
    }
    const alarms = new PatternAlarms(this, props.alarms);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEFAULTS.deadLetterRetention,
    });
    acknowledgeNagFindings(this.deadLetterQueue, [
      { id: 'AwsSolutions-SQS3', reason: 'This queue is the dead-letter queue of the schedule\'s target: it is the dead-letter store itself' },
      { id: 'Serverless-SQSRedrivePolicy', reason: 'This queue is the dead-letter queue of the schedule\'s target: redriving it elsewhere would hide failures' },
    ]);

    let fnTimeout: Duration | undefined;
    if (props.handler) {
      // With preventOverlap the lock state machine invokes it synchronously and owns retries and failures.
      const invocation = props.preventOverlap ? FunctionInvocation.SYNCHRONOUS : FunctionInvocation.ASYNCHRONOUS;
      const bound = props.handler._bind(this, {
        id: 'Handler',
        prop: 'handler',
        description: `Scheduled job ${this.node.path}`,
        invocation,
        alarms: alarms.forPart('Handler'),
        // What says a run failed for good: the failure queue (asynchronous) or the lock's executions alarm.
        alarmsOffByDefault: ['ErrorRate', 'Throttles'],
        database: props.database,
        databaseSubnets: props.databaseSubnets,
        databaseUser: props.databaseUser,
      });
      if (!bound.built) validateDatabaseSubnetsForExisting(this, props, 'handler');
      if (bound.timeout.toSeconds() > DEFAULTS.maxTimeout.toSeconds()) {
        throw new PatternValidationError(this, `handler timeout must be at most 15 minutes (Lambda's limit), got ${bound.timeout.toHumanString()}; for longer work pass a stateMachine`);
      }
      this.handlerFunction = bound.fn;
      this.failureQueue = bound.built?.failureQueue;
      fnTimeout = bound.timeout;
    }

    // The job's own group holds only its schedule, so deleting the stack may delete it.
    this.scheduleGroup = props.scheduleGroup ?? new scheduler.ScheduleGroup(this, 'Group', { removalPolicy: RemovalPolicy.DESTROY });
    // Our own role rather than aws-cdk-lib's per-target singleton at the stack root: it belongs to
    // this job, trusts Scheduler only for this account and schedule group, and carries its findings.
    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': Stack.of(this).account,
            'aws:SourceArn': this.scheduleGroup.scheduleGroupArn,
          },
        },
      }),
      description: `EventBridge Scheduler role of ${this.node.path}`,
    });
    const targetProps: targets.ScheduleTargetBaseProps = {
      role: this.schedulerRole,
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: props.retryAttempts ?? JOB_DEFAULTS.retryAttempts,
      maxEventAge: props.maxEventAge ?? JOB_DEFAULTS.maxEventAge,
      input: props.payload ? scheduler.ScheduleTargetInput.fromObject(props.payload) : undefined,
    };
    if (props.preventOverlap) {
      const lock = new OverlapLock(this, 'OverlapLock', this.handlerFunction!, fnTimeout);
      this.lockTable = lock.table;
      this.lockStateMachine = lock.stateMachine;
    }
    const started = this.lockStateMachine ?? props.stateMachine;
    this.startedStateMachine = started;
    const target = started
      ? new targets.StepFunctionsStartExecution(started, targetProps)
      : new targets.LambdaInvoke(this.handlerFunction!, targetProps);

    const zoneName = expression.timeZone?.timezoneName;
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      schedule: expression,
      target,
      scheduleGroup: this.scheduleGroup,
      enabled: props.enabled ?? true,
      timeWindow: props.flexibleTimeWindow ? scheduler.TimeWindow.flexible(props.flexibleTimeWindow) : scheduler.TimeWindow.off(),
      key: props.encryptionKey,
      description: props.description ?? `${this.node.path}: ${expression.expressionString}${zoneName && zone ? ` (${zoneName})` : ''}`,
    });

    if (this.handlerFunction && !this.lockStateMachine) {
      // LambdaInvoke grants lambda:InvokeFunction on the function and its versions/aliases (`:*`).
      const finding = nagResourceFinding(this, this.handlerFunction.functionArn, ':*');
      if (finding) {
        acknowledgeNagFindings(this.schedulerRole, [{
          id: 'AwsSolutions-IAM5',
          reason: 'Scheduler may invoke the job\'s one function, including its versions and aliases (the :* suffix); no other function',
          appliesTo: [finding],
        }]);
      }
    }

    const period = Duration.minutes(5);
    const schedule = alarms.forPart('Schedule');
    schedule.create(this, 'TargetErrorsAlarm', 'TargetErrors', {
      metric: this.scheduleGroup.metricTargetErrors({ period, statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      enabledByDefault: false,
      description: `${this.node.path}: EventBridge Scheduler could not invoke the target (permissions, deleted target, throttling); runs are retried, then dead-lettered`,
    });
    schedule.create(this, 'DroppedInvocationsAlarm', 'DroppedInvocations', {
      metric: this.scheduleGroup.metricDropped({ period, statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      description: `${this.node.path}: EventBridge Scheduler dropped runs after exhausting the retry policy and could not dead-letter them`,
    });
    schedule.create(this, 'DeadLetterQueueAlarm', 'DeadLetters', {
      metric: this.metricDeadLetters(),
      threshold: 1,
      description: `${this.node.path}: scheduled runs could not be delivered and wait in the dead-letter queue; the error is in the message attributes`,
    });
    if (started) {
      alarms.forPart(this.lockStateMachine ? 'OverlapLock' : 'StateMachine').create(this, 'ExecutionsFailedAlarm', 'ExecutionsFailed', {
        metric: this.metricFailedRuns(),
        threshold: 1,
        description: this.lockStateMachine
          ? `${this.node.path}: a run failed after its retries, or waited 6 hours for the previous run; see the function's and the lock state machine's logs`
          : `${this.node.path}: executions of the job's state machine failed, timed out or were aborted`,
      });
    }
    this.alarms = alarms.alarms;
  }

  /**
   * Runs that failed for good: failed, timed-out and aborted executions of the state machine the
   * schedule starts (with `preventOverlap` or `stateMachine`), or runs that reached the function's
   * on-failure queue (a function the construct built), or the errors of an existing function
   * (which count every attempt). Sum over 5 minutes.
   *
   * @param props change the period, statistic or label
   */
  public metricFailedRuns(props: cloudwatch.MetricOptions = {}): cloudwatch.IMetric {
    const period = props.period ?? Duration.minutes(5);
    const started = this.startedStateMachine;
    if (started) {
      // Timed-out and aborted executions are not in ExecutionsFailed: a run that ends any of these
      // ways did not do its work.
      const options = { period, statistic: props.statistic ?? cloudwatch.Stats.SUM };
      return new cloudwatch.MathExpression({
        expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
        usingMetrics: {
          failed: started.metricFailed(options),
          timedOut: started.metricTimedOut(options),
          aborted: started.metricAborted(options),
        },
        label: props.label ?? 'failed, timed-out and aborted executions',
        period,
      });
    }
    if (this.failureQueue) {
      return this.failureQueue.metricNumberOfMessagesSent({
        statistic: cloudwatch.Stats.SUM, ...props, period, label: props.label ?? 'runs that failed after retries',
      });
    }
    return this.handlerFunction!.metricErrors({ statistic: cloudwatch.Stats.SUM, ...props, period });
  }

  /**
   * Runs Scheduler could not deliver, waiting in `deadLetterQueue` (visible messages, maximum over
   * 1 minute).
   *
   * @param props change the period, statistic or label
   */
  public metricDeadLetters(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM, ...props,
    });
  }
}

/** True when `name` is an IANA time zone name (not an offset such as `+01:00`, which Scheduler rejects). */
function isIanaTimeZone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
