import { Aws, Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { PatternAlarms } from '../core/alarm-factory';
import { AlarmsOptions } from '../core/alarms';
import { DatabaseAccessOptions } from '../core/database';
import { DEFAULTS } from '../core/defaults';
import { PatternValidationError } from '../core/errors';
import { Handler } from '../core/handler';
import { acknowledgeNagFindings, nagResourceFinding } from '../core/nag';
import { vendedLogGroupName } from '../core/names';
import { validateDatabaseOptions, validateDatabaseSubnetsForExisting } from '../core/pattern-database';
import { FunctionInvocation } from '../core/serverless-function';
import { trustOwnStateMachinesOnly } from '../core/state-machine-trust';
import { validateDurationRange, validateIntegerRange } from '../core/validation';

/** Defaults of SagaOrchestrator, with their reasons. */
const SAGA_DEFAULTS = {
  /** 3 retries of a step on transient errors: rides out a throttle or a Lambda service blip. */
  retryAttempts: 3,
  /** First retry after 1 s, then doubling (1, 2, 4 s), with full jitter so retries do not align. */
  retryInterval: Duration.seconds(1),
  backoffRate: 2,
  /**
   * 5 retries of a compensation on any error (1, 2, 4, 8, 16 s): a compensation must complete, and a
   * failure after these retries needs a human anyway.
   */
  compensationRetryAttempts: 5,
  /**
   * A Standard execution that has not finished after 1 hour is stuck (Step Functions' own limit is a
   * year); the timed-out alarm reports it. Express executions may run at most 5 minutes.
   */
  standardTimeout: Duration.hours(1),
  maxStandardTimeout: Duration.days(365),
  maxExpressTimeout: Duration.minutes(5),
  /**
   * Execution data (inputs and outputs of every state) stays out of the logs: a saga's data is often
   * personal or payment data. Standard executions keep the full history for 90 days anyway.
   */
  includeExecutionData: false,
} as const;

/**
 * The Lambda errors worth retrying: the service's own failures and throttling, as AWS recommends
 * for Lambda tasks in Step Functions. Errors thrown by the function itself are not retried unless
 * listed in `retryOnErrors`.
 */
const TRANSIENT_LAMBDA_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.TooManyRequestsException',
];

/** Names of the states the orchestrator adds around the steps; a step cannot use them. */
const START_STATE = 'StartSaga';
const SUCCEEDED_STATE = 'SagaSucceeded';
const FAILED_STATE = 'SagaFailed';
const RECORD_COMPENSATION_FAILURE_STATE = 'RecordCompensationFailure';
const COMPENSATION_FAILED_STATE = 'CompensationFailed';
const RESERVED_NAMES = [START_STATE, SUCCEEDED_STATE, FAILED_STATE, RECORD_COMPENSATION_FAILURE_STATE, COMPENSATION_FAILED_STATE];

/** The metric the `RecordCompensationFailure` state publishes (one per failed compensation chain). */
const COMPENSATION_FAILED_METRIC = { namespace: 'cdk-serverless-patterns', metricName: 'SagaCompensationFailed', dimension: 'StateMachineName' };

/** One step of a saga: an action and, optionally, the compensation that undoes it. */
export interface SagaStep {
  /**
   * The step's name: letters and digits, starting with a letter, at most 64 characters. It names
   * the action's state, the compensation's state (`Compensate-<name>`), where the action's result
   * is kept (`$.results.<name>`) and the alarms of its functions (`<name>.Action.*`).
   */
  readonly name: string;
  /**
   * The action's code: `Handler.fromAsset(...)`, `.fromCode(...)`, `.fromEntry(...)` (the
   * orchestrator builds a `ServerlessFunction`, invoked synchronously by Step Functions) or
   * `Handler.fromFunction(fn)` (an existing function).
   */
  readonly action: Handler;
  /**
   * The code that undoes the action, run when a later step fails. It must be idempotent: it is
   * retried on any error.
   *
   * @default - no compensation: nothing to undo for this step (typically the last one)
   */
  readonly compensation?: Handler;
}

/** The functions of one step, as built or given. */
export interface SagaStepFunctions {
  /** The step's name. */
  readonly name: string;
  /** The action's function. */
  readonly actionFunction: lambda.Function;
  /**
   * The compensation's function.
   *
   * @default - undefined when the step has no compensation
   */
  readonly compensationFunction?: lambda.Function;
}

/** Props of a `SagaOrchestrator`. */
export interface SagaOrchestratorProps extends DatabaseAccessOptions {
  /** The steps, run in this order. At least one; names unique. */
  readonly steps: SagaStep[];
  /**
   * Standard (exactly-once steps, up to a year, full history) or Express (at-least-once, up to
   * 5 minutes, cheaper at high volume).
   *
   * @default sfn.StateMachineType.STANDARD
   */
  readonly stateMachineType?: sfn.StateMachineType;
  /**
   * Maximum duration of an execution: at most 1 year (Standard) or 5 minutes (Express). A timed-out
   * execution stops where it is, without compensations; its alarm is the signal.
   *
   * @default - 1 hour (Standard), 5 minutes (Express)
   */
  readonly timeout?: Duration;
  /**
   * Retries of an action on a transient error (Lambda service errors, throttling, `retryOnErrors`), 0 to 99.
   *
   * @default 3
   */
  readonly retryAttempts?: number;
  /**
   * More error names (e.g. `TemporarilyUnavailable`) on which an action is retried; an error's name
   * is the `name` of what the function throws.
   *
   * @default - only Lambda service errors and throttling
   */
  readonly retryOnErrors?: string[];
  /**
   * Wait before the first retry.
   *
   * @default Duration.seconds(1)
   */
  readonly retryInterval?: Duration;
  /**
   * Multiplier of the wait between retries, 1 to 5 (also for compensations).
   *
   * @default 2
   */
  readonly backoffRate?: number;
  /**
   * Upper bound of the wait between retries.
   *
   * @default - no bound
   */
  readonly maxRetryDelay?: Duration;
  /**
   * Retries of a compensation on any error, 0 to 99.
   *
   * @default 5
   */
  readonly compensationRetryAttempts?: number;
  /**
   * Log the input and output of every state (may contain personal or payment data).
   *
   * @default false
   */
  readonly includeExecutionData?: boolean;
  /**
   * Retention of the execution log group.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Name of the state machine.
   *
   * @default - generated by CloudFormation
   */
  readonly stateMachineName?: string;
  /**
   * The saga's alarms, by name (override with `overrides: { '<name>': { ... } }`):
   *
   * - `StateMachine.ExecutionsFailed` (on): executions failed (compensated, or with a failed compensation), >= 1 in 5 minutes.
   * - `StateMachine.ExecutionsTimedOut` (on): executions timed out and stopped without compensations, >= 1 in 5 minutes.
   * - `StateMachine.CompensationFailed` (on): a compensation failed after its retries; a human must finish the undo.
   * - `StateMachine.ExecutionsThrottled` (off): Step Functions throttled state transitions; they are delayed, not lost.
   * - `<step>.Action.ErrorRate`, `<step>.Action.Throttles`, `<step>.Action.Duration` and the same for
   *   `<step>.Compensation.*` (off): the step functions' own alarms. Step Functions invokes them synchronously
   *   and retries them, and a step that fails for good fails the execution, which the alarms above report.
   *   Only for functions the orchestrator builds (an existing function's alarms are yours).
   *
   * @default - the alarms marked "on", without actions
   */
  readonly alarms?: AlarmsOptions;
}

/**
 * A saga: a Step Functions state machine that runs steps in order and, when a step fails after its
 * retries, runs the compensations of the completed steps in reverse order and then fails with the
 * original error.
 *
 * State: the execution input is kept at `$.input`, the result of step `X` at `$.results.X`; every
 * action and compensation receives that whole state (compensations also `$.error`, the failure that
 * triggered them). A successful execution outputs `{ input, results }`. A compensation that still
 * fails after its retries ends the execution in the `CompensationFailed` state, records the
 * `SagaCompensationFailed` metric and raises its own alarm: the case that needs a human.
 */
export class SagaOrchestrator extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** The execution log group (level ALL). */
  public readonly logGroup: logs.LogGroup;
  /** The functions of every step, in order. */
  public readonly steps: SagaStepFunctions[];
  private readonly stateMachineType: sfn.StateMachineType;
  /** The alarms created (see `alarms` in the props for their names and defaults). */
  public readonly alarms: cloudwatch.Alarm[];
  /**
   * The alarm that fires when a compensation failed after its retries (a human must finish the undo).
   *
   * @default - undefined when turned off through `alarms`
   */
  public readonly compensationFailedAlarm?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: SagaOrchestratorProps) {
    super(scope, id);
    const stateMachineType = props.stateMachineType ?? sfn.StateMachineType.STANDARD;
    this.stateMachineType = stateMachineType;
    this.validate(props, stateMachineType);

    const alarms = new PatternAlarms(this, props.alarms);
    let built = 0;
    const bind = (handler: Handler, step: string, role: 'Action' | 'Compensation', prop: string): lambda.Function => {
      const bound = handler._bind(this, {
        id: `${step}${role}`,
        prop,
        description: `${role} of step ${step} of saga ${this.node.path}`,
        invocation: FunctionInvocation.SYNCHRONOUS,
        alarms: alarms.forPart(`${step}.${role}`),
        // Step Functions retries the step; a step that fails for good fails the execution, which the saga's alarms report.
        alarmsOffByDefault: ['ErrorRate', 'Throttles'],
        database: props.database,
        databaseSubnets: props.databaseSubnets,
        databaseUser: props.databaseUser,
      });
      if (bound.built) built++;
      return bound.fn;
    };
    this.steps = props.steps.map((step, i) => ({
      name: step.name,
      actionFunction: bind(step.action, step.name, 'Action', `steps[${i}].action`),
      compensationFunction: step.compensation ? bind(step.compensation, step.name, 'Compensation', `steps[${i}].compensation`) : undefined,
    }));
    if (built === 0) validateDatabaseSubnetsForExisting(this, props, 'every step function');

    const definition = this.buildDefinition(props);
    const includeExecutionData = props.includeExecutionData ?? SAGA_DEFAULTS.includeExecutionData;
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: vendedLogGroupName(this, 'states'),
      retention: props.logRetention ?? DEFAULTS.logRetention,
      removalPolicy: DEFAULTS.logRemovalPolicy,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: props.timeout ?? (stateMachineType === sfn.StateMachineType.EXPRESS ? SAGA_DEFAULTS.maxExpressTimeout : SAGA_DEFAULTS.standardTimeout),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData },
      comment: `Saga ${this.node.path}: ${props.steps.map((s) => s.name).join(' -> ')}`,
    });
    // PutMetricData has no resource-level permissions; the condition keeps it to our namespace.
    this.stateMachine.addToRolePolicy(new iam.PolicyStatement({
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': COMPENSATION_FAILED_METRIC.namespace } },
    }));
    this.acknowledgeRoleFindings();
    trustOwnStateMachinesOnly(this.stateMachine);

    const sm = alarms.forPart('StateMachine');
    sm.create(this, 'ExecutionsFailedAlarm', 'ExecutionsFailed', {
      metric: this.metricFailed(),
      threshold: 1,
      description: `${this.node.path}: executions failed (compensated, or with a failed compensation); see the execution history`,
    });
    sm.create(this, 'ExecutionsTimedOutAlarm', 'ExecutionsTimedOut', {
      metric: this.metricTimedOut(),
      threshold: 1,
      description: `${this.node.path}: executions timed out and stopped without compensations; finish or undo them by hand`,
    });
    sm.create(this, 'ExecutionsThrottledAlarm', 'ExecutionsThrottled', {
      metric: this.stateMachine.metricThrottled({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      enabledByDefault: false,
      description: `${this.node.path}: Step Functions throttled state transitions; raise the quota or smooth the load`,
    });
    this.compensationFailedAlarm = sm.create(this, 'CompensationFailedAlarm', 'CompensationFailed', {
      metric: this.metricCompensationFailed(),
      threshold: 1,
      description: `${this.node.path}: a compensation failed after its retries; the saga is half undone and a human must finish it (see the execution in state ${COMPENSATION_FAILED_STATE})`,
    });
    this.alarms = alarms.alarms;
  }

  /**
   * Lets `grantee` start executions: `states:StartExecution` on the state machine, and for an
   * Express state machine also `states:StartSyncExecution` (Express workflows may be started
   * synchronously, answering with the output). Reading an execution's status is `grantRead`.
   *
   * @param grantee who starts sagas (a function's role, a user)
   */
  public grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    const express = this.stateMachineType === sfn.StateMachineType.EXPRESS;
    return iam.Grant.addToPrincipal({
      grantee,
      actions: express ? ['states:StartExecution', 'states:StartSyncExecution'] : ['states:StartExecution'],
      resourceArns: [this.stateMachine.stateMachineArn],
    });
  }

  /**
   * Lets `grantee` list and describe the executions of the saga and read their history (aws-cdk-lib's
   * `StateMachine.grantRead`).
   *
   * @param grantee who follows sagas
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantRead(grantee);
  }

  /**
   * Executions started (sum over 5 minutes).
   *
   * @param props change the period, statistic or label
   */
  public metricStarted(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.stateMachine.metricStarted({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM, ...props });
  }

  /**
   * Executions that succeeded (sum over 5 minutes).
   *
   * @param props change the period, statistic or label
   */
  public metricSucceeded(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.stateMachine.metricSucceeded({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM, ...props });
  }

  /**
   * Executions that failed: compensated (`SagaFailed`) or with a failed compensation
   * (`CompensationFailed`); sum over 5 minutes.
   *
   * @param props change the period, statistic or label
   */
  public metricFailed(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM, ...props });
  }

  /**
   * Executions that timed out, stopped without compensations (sum over 5 minutes).
   *
   * @param props change the period, statistic or label
   */
  public metricTimedOut(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.stateMachine.metricTimedOut({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM, ...props });
  }

  /**
   * Compensations that failed after their retries: the `cdk-serverless-patterns/SagaCompensationFailed`
   * metric (dimension `StateMachineName`) the `RecordCompensationFailure` state publishes; sum over
   * 1 minute.
   *
   * @param props change the period, statistic or label
   */
  public metricCompensationFailed(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: COMPENSATION_FAILED_METRIC.namespace,
      metricName: COMPENSATION_FAILED_METRIC.metricName,
      dimensionsMap: { [COMPENSATION_FAILED_METRIC.dimension]: this.stateMachine.stateMachineName },
      period: Duration.minutes(1),
      statistic: cloudwatch.Stats.SUM,
      ...props,
    });
  }

  /** The functions of the step named `name`. */
  public step(name: string): SagaStepFunctions {
    const found = this.steps.find((s) => s.name === name);
    if (!found) {
      throw new PatternValidationError(this, `no step named '${name}'; steps are ${this.steps.map((s) => s.name).join(', ')}`);
    }
    return found;
  }

  private validate(props: SagaOrchestratorProps, stateMachineType: sfn.StateMachineType): void {
    if (props.steps.length === 0) {
      throw new PatternValidationError(this, 'steps must contain at least one step, got none');
    }
    const seen = new Set<string>();
    props.steps.forEach((step, i) => {
      const at = `steps[${i}]`;
      if (!/^[A-Za-z][A-Za-z0-9]{0,63}$/.test(step.name)) {
        throw new PatternValidationError(this, `${at}.name must be letters and digits, starting with a letter, at most 64 characters, got '${step.name}'`);
      }
      if (RESERVED_NAMES.includes(step.name)) {
        throw new PatternValidationError(this, `${at}.name '${step.name}' is the name of a state the orchestrator adds; reserved: ${RESERVED_NAMES.join(', ')}`);
      }
      if (seen.has(step.name)) {
        throw new PatternValidationError(this, `${at}.name '${step.name}' is used by another step; step names must be unique`);
      }
      seen.add(step.name);
      if (step.action === undefined) {
        throw new PatternValidationError(this, step.compensation
          ? `${at}.action is required: '${step.name}' has a compensation but no action; a compensation undoes an action, so give the step an action or fold the compensation into another step`
          : `${at}.action is required: give '${step.name}' a Handler (e.g. Handler.fromAsset('dist/step', { handler: 'index.handler' }))`);
      }
    });
    validateDatabaseOptions(this, props);
    const maxTimeout = stateMachineType === sfn.StateMachineType.EXPRESS ? SAGA_DEFAULTS.maxExpressTimeout : SAGA_DEFAULTS.maxStandardTimeout;
    validateDurationRange(this, `timeout (${stateMachineType} state machine)`, props.timeout, Duration.seconds(1), maxTimeout);
    validateIntegerRange(this, 'retryAttempts', props.retryAttempts, 0, 99);
    validateIntegerRange(this, 'compensationRetryAttempts', props.compensationRetryAttempts, 0, 99);
    validateDurationRange(this, 'retryInterval', props.retryInterval, Duration.seconds(1), Duration.hours(1));
    validateDurationRange(this, 'maxRetryDelay', props.maxRetryDelay, Duration.seconds(1), Duration.days(365));
    const backoffRate = props.backoffRate;
    if (backoffRate !== undefined && !Token.isUnresolved(backoffRate) && (backoffRate < 1 || backoffRate > 5)) {
      throw new PatternValidationError(this, `backoffRate must be between 1 and 5, got ${backoffRate}`);
    }
    for (const error of props.retryOnErrors ?? []) {
      if (error === '' || error.startsWith('States.')) {
        throw new PatternValidationError(this, `retryOnErrors lists error names thrown by the steps, got '${error}' (States.* errors such as timeouts are not transient)`);
      }
    }
  }

  /**
   * StartSaga -> step 1 -> ... -> step n -> SagaSucceeded. A failure of step k (after its retries)
   * is caught into `$.error` and goes to the compensation of the nearest earlier step that has one;
   * each compensation goes on to the next earlier one, and the last to SagaFailed, which fails with
   * `$.error`. A compensation failing after its retries goes to RecordCompensationFailure, then
   * CompensationFailed.
   */
  private buildDefinition(props: SagaOrchestratorProps): sfn.IChainable {
    const retry = {
      interval: props.retryInterval ?? SAGA_DEFAULTS.retryInterval,
      backoffRate: props.backoffRate ?? SAGA_DEFAULTS.backoffRate,
      maxDelay: props.maxRetryDelay,
      jitterStrategy: sfn.JitterType.FULL,
    };
    const start = new sfn.Pass(this, 'StartSagaState', {
      stateName: START_STATE,
      comment: 'Keeps the execution input at $.input and the results of the steps at $.results',
      parameters: { input: sfn.JsonPath.entirePayload, results: {} },
    });
    const failed = new sfn.Fail(this, 'SagaFailedState', {
      stateName: FAILED_STATE,
      comment: 'Fails with the error of the step that failed, after its compensations',
      errorPath: '$.error.Error',
      causePath: '$.error.Cause',
    });
    const compensationFailed = new sfn.Fail(this, 'CompensationFailedState', {
      stateName: COMPENSATION_FAILED_STATE,
      comment: 'A compensation failed after its retries: the saga is half undone and needs a human',
      error: COMPENSATION_FAILED_STATE,
      causePath: '$.compensationError.Cause',
    });
    // CustomState ignores stateName: its construct id is its state name.
    const recordFailure = new sfn.CustomState(this, RECORD_COMPENSATION_FAILURE_STATE, {
      stateJson: {
        Type: 'Task',
        Comment: 'Publishes the metric of the compensation-failed alarm',
        Resource: `arn:${Aws.PARTITION}:states:::aws-sdk:cloudwatch:putMetricData`,
        Parameters: {
          Namespace: COMPENSATION_FAILED_METRIC.namespace,
          MetricData: [{
            MetricName: COMPENSATION_FAILED_METRIC.metricName,
            Unit: 'Count',
            Value: 1,
            Dimensions: [{ 'Name': COMPENSATION_FAILED_METRIC.dimension, 'Value.$': '$$.StateMachine.Name' }],
          }],
        },
        ResultPath: null,
      },
    });
    recordFailure.addCatch(compensationFailed, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
    recordFailure.next(compensationFailed);

    // compensationAfter[k]: where a failure of step k goes (the nearest earlier compensation, or SagaFailed).
    let onFailure: sfn.IChainable = failed;
    const compensationAfter: sfn.IChainable[] = [];
    this.steps.forEach((step) => {
      compensationAfter.push(onFailure);
      if (step.compensationFunction) {
        const compensate = new tasks.LambdaInvoke(this, `${step.name}CompensationState`, {
          stateName: `Compensate-${step.name}`,
          lambdaFunction: step.compensationFunction,
          payloadResponseOnly: true,
          retryOnServiceExceptions: false,
          resultPath: sfn.JsonPath.DISCARD,
        });
        compensate.addRetry({
          ...retry,
          errors: [sfn.Errors.ALL],
          maxAttempts: props.compensationRetryAttempts ?? SAGA_DEFAULTS.compensationRetryAttempts,
        });
        compensate.addCatch(recordFailure, { errors: [sfn.Errors.ALL], resultPath: '$.compensationError' });
        compensate.next(onFailure);
        onFailure = compensate;
      }
    });

    let chain: sfn.Chain = sfn.Chain.start(start);
    this.steps.forEach((step, k) => {
      const action = new tasks.LambdaInvoke(this, `${step.name}State`, {
        stateName: step.name,
        lambdaFunction: step.actionFunction,
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        resultPath: `$.results.${step.name}`,
      });
      action.addRetry({
        ...retry,
        errors: [...TRANSIENT_LAMBDA_ERRORS, ...props.retryOnErrors ?? []],
        maxAttempts: props.retryAttempts ?? SAGA_DEFAULTS.retryAttempts,
      });
      action.addCatch(compensationAfter[k], { errors: [sfn.Errors.ALL], resultPath: '$.error' });
      chain = chain.next(action);
    });
    return chain.next(new sfn.Succeed(this, 'SagaSucceededState', { stateName: SUCCEEDED_STATE, comment: 'Output: { input, results }' }));
  }

  /** The state machine role's IAM findings, each with its reason. */
  private acknowledgeRoleFindings(): void {
    const invokeFindings = this.steps
      .flatMap((s) => [s.actionFunction, s.compensationFunction])
      .filter((fn): fn is lambda.Function => fn !== undefined)
      .map((fn) => nagResourceFinding(this, fn.functionArn, ':*'))
      .filter((f): f is string => f !== undefined);
    acknowledgeNagFindings(this.stateMachine.role, [
      {
        id: 'AwsSolutions-IAM5',
        reason: 'The state machine invokes its step functions, including their versions and aliases (the :* suffix aws-cdk-lib grants); no other function',
        appliesTo: [...new Set(invokeFindings)],
      },
      {
        id: 'AwsSolutions-IAM5',
        reason: 'X-Ray tracing, CloudWatch Logs delivery and cloudwatch:PutMetricData (limited to the cdk-serverless-patterns namespace by condition) support no resource-level permissions',
        appliesTo: ['Resource::*'],
      },
    ]);
  }
}
