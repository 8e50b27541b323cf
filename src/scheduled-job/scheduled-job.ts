import { Annotations, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
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
import { isIanaTimeZone } from './time-zone';
import { createAlarm } from '../core/alarm-factory';
import { AlarmOptions } from '../core/alarms';
import { databaseFunctionProps, DatabaseAccessOptions } from '../core/database';
import { DEFAULTS } from '../core/defaults';
import { PatternValidationError } from '../core/errors';
import { FunctionCodeOptions } from '../core/function-code-options';
import { acknowledgeNagFindings, nagResourceFinding } from '../core/nag';
import { FunctionInvocation, ServerlessFunction } from '../core/serverless-function';
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
export interface ScheduledJobProps extends AlarmOptions, DatabaseAccessOptions {
  /** When the job runs: `JobSchedule.cron()`, `JobSchedule.rate()` or `JobSchedule.at()`. */
  readonly schedule: JobSchedule;
  /**
   * IANA time zone in which cron and one-time schedules are evaluated, e.g. `Europe/Paris`
   * (daylight saving time is followed). Has no effect on a rate schedule.
   *
   * @default - UTC (`Etc/UTC`)
   */
  readonly timeZone?: string;
  /**
   * The job's code: the construct builds a `ServerlessFunction` (invoked asynchronously by the
   * Scheduler) from it. Exactly one of `handler`, `handlerFunction` and `stateMachine`.
   *
   * @default - no function is created
   */
  readonly handler?: FunctionCodeOptions;
  /**
   * An existing function to run instead of `handler`. The construct adds the schedule, its retry
   * policy, dead-letter queue and alarms; the function's own settings are left as they are.
   *
   * @default - use `handler` or `stateMachine`
   */
  readonly handlerFunction?: lambda.IFunction;
  /**
   * A Step Functions state machine to start instead of a function, for work longer than the
   * 15 minutes a Lambda function may run.
   *
   * @default - use `handler` or `handlerFunction`
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
   * serialised, not dropped; after 6 hours of waiting it fails (the executions-failed alarm). A
   * lock whose owner execution ended without releasing it (timed out, aborted) is taken over.
   * Works with `handler` and `handlerFunction`; a `stateMachine` must guard itself.
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
  readonly key?: kms.IKey;
  /**
   * A description of the schedule.
   *
   * @default - a description naming the construct and its expression
   */
  readonly description?: string;
}

/**
 * A job that runs on a schedule, without a server idling in between: an EventBridge Scheduler
 * schedule (cron, rate or one-time, in a time zone) invoking a `ServerlessFunction` or starting a
 * state machine, with a bounded retry policy, a dead-letter queue for runs that could not be
 * delivered, and alarms on target errors, dropped runs and the dead-letter queue.
 *
 * Where failures go: a run Scheduler cannot deliver (after `retryAttempts` or `maxEventAge`) lands
 * in `deadLetterQueue`; a run the function receives but fails (after Lambda's 2 asynchronous
 * retries) lands in `handlerFunction.failureQueue`.
 */
export class ScheduledJob extends Construct {
  /** The EventBridge Scheduler schedule. */
  public readonly schedule: scheduler.Schedule;
  /** The schedule group of the schedule. */
  public readonly scheduleGroup: scheduler.IScheduleGroup;
  /**
   * The function the job runs.
   *
   * @default - undefined when the job starts a state machine
   */
  public readonly handlerFunction?: lambda.IFunction;
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
  /**
   * Alarms: Scheduler could not invoke the target, dropped runs, runs in the dead-letter queue,
   * and the function's (or state machine's failed executions) alarms.
   */
  public readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: ScheduledJobProps) {
    super(scope, id);
    const given = [props.handler, props.handlerFunction, props.stateMachine].filter((t) => t !== undefined).length;
    if (given !== 1) {
      throw new PatternValidationError(this, `specify exactly one of handler, handlerFunction or stateMachine as the job's target, got ${given}`);
    }
    if (props.timeZone !== undefined && !Token.isUnresolved(props.timeZone) && !isIanaTimeZone(props.timeZone)) {
      throw new PatternValidationError(this, `timeZone must be an IANA time zone name such as 'Europe/Paris' or 'UTC', got '${props.timeZone}'`);
    }
    if (props.handler?.timeout && !props.handler.timeout.isUnresolved() && props.handler.timeout.toSeconds() > DEFAULTS.maxTimeout.toSeconds()) {
      throw new PatternValidationError(this, `handler.timeout must be at most 15 minutes (Lambda's limit), got ${props.handler.timeout.toHumanString()}; for longer work pass a stateMachine`);
    }
    if (props.preventOverlap && props.stateMachine) {
      throw new PatternValidationError(this, 'preventOverlap runs a function (handler or handlerFunction) under a lock; with a stateMachine, check for running executions in the workflow');
    }
    validateIntegerRange(this, 'retryAttempts', props.retryAttempts, 0, JOB_DEFAULTS.maxRetryAttempts);
    validateDurationRange(this, 'maxEventAge', props.maxEventAge, JOB_DEFAULTS.minMaxEventAge, JOB_DEFAULTS.maxMaxEventAge);
    validateDurationRange(this, 'flexibleTimeWindow', props.flexibleTimeWindow, Duration.minutes(1), JOB_DEFAULTS.maxFlexibleTimeWindow);
    if (props.flexibleTimeWindow && !props.flexibleTimeWindow.isUnresolved() && props.flexibleTimeWindow.toSeconds() % 60 !== 0) {
      throw new PatternValidationError(this, `flexibleTimeWindow must be a whole number of minutes, got ${props.flexibleTimeWindow.toHumanString()}`);
    }
    const expression = props.schedule._bind(this, props.timeZone);
    if (props.timeZone !== undefined && props.schedule.expressionString.startsWith('rate(')) {
      Annotations.of(this).addWarningV2('cdk-serverless-patterns:timeZoneIgnored', `timeZone '${props.timeZone}' has no effect on the rate schedule ${props.schedule.expressionString}`);
    }

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEFAULTS.deadLetterRetention,
    });
    acknowledgeNagFindings(this.deadLetterQueue, [
      { id: 'AwsSolutions-SQS3', reason: 'This queue is the dead-letter queue of the schedule\'s target: it is the dead-letter store itself' },
      { id: 'Serverless-SQSRedrivePolicy', reason: 'This queue is the dead-letter queue of the schedule\'s target: redriving it elsewhere would hide failures' },
    ]);

    let functionAlarms: cloudwatch.Alarm[] = [];
    if (props.handler) {
      const fn = new ServerlessFunction(this, 'Handler', {
        ...props.handler,
        description: props.handler.description ?? `Scheduled job ${this.node.path}`,
        // With preventOverlap the lock state machine invokes it synchronously and owns retries and failures.
        invocation: props.preventOverlap ? FunctionInvocation.SYNCHRONOUS : FunctionInvocation.ASYNCHRONOUS,
        alarms: { topic: props.alarmTopic },
        ...databaseFunctionProps(props),
      });
      props.database?.grantConnect(fn, props.databaseUser);
      functionAlarms = fn.alarms;
      this.handlerFunction = fn;
    } else {
      this.handlerFunction = props.handlerFunction;
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
      // The function's timeout when this construct built it (or it is a lambda.Function), else Lambda's maximum.
      const fnTimeout = this.handlerFunction instanceof lambda.Function ? this.handlerFunction.timeout : undefined;
      const lock = new OverlapLock(this, 'OverlapLock', this.handlerFunction!, fnTimeout);
      this.lockTable = lock.table;
      this.lockStateMachine = lock.stateMachine;
    }
    const started = this.lockStateMachine ?? props.stateMachine;
    const target = started
      ? new targets.StepFunctionsStartExecution(started, targetProps)
      : new targets.LambdaInvoke(this.handlerFunction!, targetProps);

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      schedule: expression,
      target,
      scheduleGroup: this.scheduleGroup,
      enabled: props.enabled ?? true,
      timeWindow: props.flexibleTimeWindow ? scheduler.TimeWindow.flexible(props.flexibleTimeWindow) : scheduler.TimeWindow.off(),
      key: props.key,
      description: props.description ?? `${this.node.path}: ${props.schedule.expressionString}${props.timeZone ? ` (${props.timeZone})` : ''}`,
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
    this.alarms = [
      createAlarm(this, 'TargetErrorsAlarm', {
        metric: this.scheduleGroup.metricTargetErrors({ period, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        description: `${this.node.path}: EventBridge Scheduler could not invoke the target (permissions, deleted target, throttling); runs are retried, then dead-lettered`,
      }, props),
      createAlarm(this, 'DroppedInvocationsAlarm', {
        metric: this.scheduleGroup.metricDropped({ period, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        description: `${this.node.path}: EventBridge Scheduler dropped runs after exhausting the retry policy and could not dead-letter them`,
      }, props),
      createAlarm(this, 'DeadLetterQueueAlarm', {
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: 1,
        description: `${this.node.path}: scheduled runs could not be delivered and wait in the dead-letter queue; the error is in the message attributes`,
      }, props),
      ...functionAlarms,
    ];
    if (started) {
      this.alarms.push(createAlarm(this, 'ExecutionsFailedAlarm', {
        // Timed-out and aborted executions are not in ExecutionsFailed: a run that ends any of these
        // ways did not do its work.
        metric: new cloudwatch.MathExpression({
          expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
          usingMetrics: {
            failed: started.metricFailed({ period, statistic: cloudwatch.Stats.SUM }),
            timedOut: started.metricTimedOut({ period, statistic: cloudwatch.Stats.SUM }),
            aborted: started.metricAborted({ period, statistic: cloudwatch.Stats.SUM }),
          },
          label: 'failed, timed-out and aborted executions',
          period,
        }),
        threshold: 1,
        description: this.lockStateMachine
          ? `${this.node.path}: a run failed after its retries, or waited 6 hours for the previous run; see the function's and the lock state machine's logs`
          : `${this.node.path}: executions of the job's state machine failed`,
      }, props));
    }
  }
}
