import { Annotations, Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PatternAlarms } from './alarm-factory';
import { AlarmsOptions } from './alarms';
import { DEFAULTS } from './defaults';
import { PatternValidationError } from './errors';
import { PATTERN_FUNCTION_CONTEXT } from './function-internals';
import { FunctionOptions } from './function-options';
import { acknowledgeNagFindings } from './nag';
import { powertoolsLayerArn } from './powertools-layer';
import { validateDurationRange, validateIntegerRange, validateWholeSeconds } from './validation';

/**
 * How a function is invoked. It decides where failures go: only asynchronous invocations can
 * use a function-level failure destination; the other two report failures elsewhere.
 */
export enum FunctionInvocation {
  /**
   * Invoked synchronously (API Gateway, direct `Invoke`, Step Functions): the error returns to the
   * caller, so no failure destination is created.
   */
  SYNCHRONOUS = 'SYNCHRONOUS',
  /**
   * Invoked asynchronously (EventBridge, Scheduler, S3, SNS): Lambda retries, then sends the event
   * with its error to an SQS on-failure destination that this construct creates.
   */
  ASYNCHRONOUS = 'ASYNCHRONOUS',
  /**
   * Invoked by an SQS event source mapping: a failed message returns to its queue and ends in the
   * queue's redrive dead-letter queue, so no function-level destination is created.
   */
  QUEUE = 'QUEUE',
  /**
   * Invoked by a stream event source mapping (DynamoDB Streams, Kinesis): a failed batch is
   * retried, bisected and then sent by the mapping to its own on-failure destination, so no
   * function-level destination is created.
   */
  STREAM = 'STREAM',
}

/** Props of a `ServerlessFunction`. */
export interface ServerlessFunctionProps extends FunctionOptions {
  /** The function's code, e.g. `lambda.Code.fromAsset('dist/worker')`. */
  readonly code: lambda.Code;
  /** The handler, e.g. `index.handler`. */
  readonly handler: string;
  /**
   * How the function is invoked, which decides where its failures go and which alarms it gets.
   *
   * @default FunctionInvocation.ASYNCHRONOUS - the safe choice: an on-failure queue catches failed events
   */
  readonly invocation?: FunctionInvocation;
  /**
   * `POWERTOOLS_SERVICE_NAME`: the service name in logs, metrics and traces.
   *
   * @default - derived from the construct path, e.g. `MyStack-Reports-Worker`
   */
  readonly serviceName?: string;
  /**
   * `POWERTOOLS_METRICS_NAMESPACE`: the CloudWatch namespace of Powertools metrics.
   *
   * @default 'cdk-serverless-patterns'
   */
  readonly metricsNamespace?: string;
  /**
   * What happens to the log group when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Retries of a failed asynchronous invocation, 0 to 2. Only with `FunctionInvocation.ASYNCHRONOUS`.
   *
   * @default 2
   */
  readonly retryAttempts?: number;
  /**
   * Oldest event age Lambda still retries, 60 seconds to 6 hours. Only with `FunctionInvocation.ASYNCHRONOUS`.
   *
   * @default Duration.hours(6)
   */
  readonly maxEventAge?: Duration;
  /**
   * The function's alarms: `ErrorRate` (errors >= 5% of invocations in 2 of 3 five-minute
   * periods), `Throttles` (synchronous invocation only), `FailedEvents` (asynchronous only: an
   * event in the on-failure queue) and `Duration` (p99 at 80% of the timeout; off by default).
   *
   * @default - the alarms above, without actions
   */
  readonly alarms?: AlarmsOptions;
}

/**
 * A `lambda.Function` with this library's defaults: ARM64, Node.js 24 (any runtime may be chosen),
 * Powertools (the layer of the runtime family and the `POWERTOOLS_*` environment), active tracing,
 * JSON logs in its own log group with a retention, a least-privilege role without AWS-managed
 * policies, an on-failure queue when invoked asynchronously, and alarms on what needs a human.
 *
 * Every pattern builds its functions with it; use it directly for functions of your own. Its log
 * group and role are its own children (`LogGroup`, `ServiceRole`).
 */
export class ServerlessFunction extends lambda.Function {
  /**
   * Where failed asynchronous invocations go (with `FunctionInvocation.ASYNCHRONOUS` only).
   *
   * @default - undefined for synchronous and queue invocations
   */
  public readonly failureQueue?: sqs.Queue;
  /** The alarms created (see `alarms` in the props). */
  public readonly alarms: cloudwatch.Alarm[];
  /** The execution role. */
  public readonly executionRole: iam.Role;
  /** The function's own log group. */
  public readonly functionLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ServerlessFunctionProps) {
    const context = PATTERN_FUNCTION_CONTEXT.get(props);
    const prop = (name: string) => (context ? `${context.prop}.${name}` : `${id}: ${name}`);
    const memorySize = props.memorySize ?? DEFAULTS.memorySize;
    const timeout = props.timeout ?? DEFAULTS.timeout;
    const invocation = props.invocation ?? FunctionInvocation.ASYNCHRONOUS;
    const runtime = props.runtime ?? DEFAULTS.runtime;
    const architecture = props.architecture ?? DEFAULTS.architecture;
    validateIntegerRange(scope, prop('memorySize'), memorySize, DEFAULTS.minMemorySize, DEFAULTS.maxMemorySize);
    validateWholeSeconds(scope, prop('timeout'), timeout, Duration.seconds(1), DEFAULTS.maxTimeout);
    validateIntegerRange(scope, prop('retryAttempts'), props.retryAttempts, 0, 2);
    validateDurationRange(scope, prop('maxEventAge'), props.maxEventAge, Duration.seconds(60), Duration.hours(6));
    if (invocation !== FunctionInvocation.ASYNCHRONOUS && (props.retryAttempts !== undefined || props.maxEventAge !== undefined)) {
      throw new PatternValidationError(scope, `${id}: retryAttempts and maxEventAge apply to asynchronous invocations only, but invocation is ${invocation}`);
    }
    if (context && props.alarms) {
      throw new PatternValidationError(scope, `${id}: the pattern's alarms option decides this function's alarms`);
    }

    const description = tailOf(props.description, DEFAULTS.maxFunctionDescriptionLength);
    const serviceName = props.serviceName ?? defaultServiceName(scope, id);
    const applicationLogLevel = props.applicationLogLevel ?? DEFAULTS.applicationLogLevel;
    const powertools = props.powertools ?? true;
    const isNode = runtime.family === lambda.RuntimeFamily.NODEJS;
    super(scope, id, {
      code: props.code,
      handler: props.handler,
      description,
      runtime,
      architecture,
      memorySize,
      timeout,
      loggingFormat: DEFAULTS.logFormat,
      applicationLogLevelV2: applicationLogLevel,
      systemLogLevelV2: DEFAULTS.systemLogLevel,
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      // Merge order: library defaults < the user's environment < props set explicitly.
      environment: {
        ...(powertools ? {
          POWERTOOLS_SERVICE_NAME: serviceName,
          POWERTOOLS_METRICS_NAMESPACE: 'cdk-serverless-patterns',
          POWERTOOLS_LOG_LEVEL: applicationLogLevel,
        } : {}),
        ...(isNode ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
        ...props.environment,
        ...(props.serviceName ? { POWERTOOLS_SERVICE_NAME: props.serviceName } : {}),
        ...(props.metricsNamespace ? { POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace } : {}),
        ...(props.applicationLogLevel && powertools ? { POWERTOOLS_LOG_LEVEL: props.applicationLogLevel } : {}),
      },
    });

    // The log group and the role are children of the function, so no id of the user's can clash
    // with them. lambda.Function created the role (ServiceRole) with AWS-managed policies; they are
    // dropped (AwsSolutions-IAM4) and replaced by inline least-privilege statements.
    this.functionLogGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? DEFAULTS.logRetention,
      removalPolicy: props.logRemovalPolicy ?? DEFAULTS.logRemovalPolicy,
    });
    const cfnFunction = this.node.defaultChild as lambda.CfnFunction;
    cfnFunction.loggingConfig = { ...(this.stack.resolve(cfnFunction.loggingConfig) ?? {}), logGroup: this.functionLogGroup.logGroupName };
    const role = this.role as iam.Role;
    const cfnRole = role.node.defaultChild as iam.CfnRole;
    cfnRole.managedPolicyArns = undefined;
    cfnRole.description = tailOf(`Execution role of ${this.node.path}`, 1000);
    this.executionRole = role;
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [this.functionLogGroup.logGroupArn],
    }));
    if (props.vpc) {
      // What AWSLambdaVPCAccessExecutionRole grants, inline. ENI actions have no resource-level scope.
      role.addToPolicy(new iam.PolicyStatement({
        actions: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
        resources: ['*'],
      }));
    }
    if (description !== props.description) {
      Annotations.of(this).addWarningV2('cdk-serverless-patterns:descriptionShortened',
        `The description has ${props.description!.length} characters and Lambda allows ${DEFAULTS.maxFunctionDescriptionLength}: it was shortened to its last ${DEFAULTS.maxFunctionDescriptionLength} ('${description}')`);
    }

    if (powertools) {
      const layerArn = powertoolsLayerArn(this, runtime, architecture, props.powertoolsLayerVersion);
      // Before the user's layers: theirs may shadow Powertools on purpose.
      if (layerArn) this.addLayers(lambda.LayerVersion.fromLayerVersionArn(this, 'PowertoolsLayer', layerArn));
    }
    if (props.layers?.length) this.addLayers(...props.layers);

    const wildcardReason = 'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing)'
      + (props.vpc ? ' and the EC2 network-interface actions a VPC function needs' : '')
      + ' support no resource-level permissions';
    acknowledgeNagFindings(role.node.findChild('DefaultPolicy'), [{ id: 'AwsSolutions-IAM5', reason: wildcardReason, appliesTo: ['Resource::*'] }]);

    if (invocation === FunctionInvocation.ASYNCHRONOUS) {
      this.failureQueue = new sqs.Queue(this, 'FailureQueue', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: DEFAULTS.deadLetterRetention,
      });
      this.configureAsyncInvoke({
        onFailure: new destinations.SqsDestination(this.failureQueue),
        retryAttempts: props.retryAttempts ?? DEFAULTS.asyncRetryAttempts,
        maxEventAge: props.maxEventAge ?? DEFAULTS.asyncMaxEventAge,
      });
      acknowledgeNagFindings(this.failureQueue, [
        { id: 'AwsSolutions-SQS3', reason: 'This queue is the on-failure destination of the function\'s asynchronous invocations: it is the dead-letter store itself' },
        { id: 'Serverless-SQSRedrivePolicy', reason: 'This queue is the on-failure destination of the function\'s asynchronous invocations: redriving it elsewhere would hide failures' },
      ]);
      acknowledgeNagFindings(this, [
        { id: 'Serverless-LambdaDLQ', reason: 'Failed asynchronous invocations go to an SQS on-failure destination (EventInvokeConfig), which records the error and request context a DeadLetterConfig lacks' },
      ]);
    } else if (invocation === FunctionInvocation.SYNCHRONOUS) {
      acknowledgeNagFindings(this, [
        { id: 'Serverless-LambdaDLQ', reason: 'Invoked synchronously only: errors return to the caller, a dead-letter queue would never receive anything' },
      ]);
    } else if (invocation === FunctionInvocation.STREAM) {
      acknowledgeNagFindings(this, [
        { id: 'Serverless-LambdaDLQ', reason: 'Invoked by a stream event source mapping only: the mapping sends failed batches to its on-failure destination (DestinationConfig), a function DLQ would never receive anything' },
      ]);
    } else {
      acknowledgeNagFindings(this, [
        { id: 'Serverless-LambdaDLQ', reason: 'Invoked by an SQS event source mapping only: failed messages go to the source queue\'s redrive dead-letter queue' },
      ]);
    }

    const own = context ? undefined : new PatternAlarms(this, props.alarms);
    const sink = context?.alarms ?? own!.forPart('');
    const offByDefault = new Set(context?.alarmsOffByDefault ?? []);
    const created: (cloudwatch.Alarm | undefined)[] = [];
    const fiveMinutes = Duration.minutes(5);
    const invocations = this.metricInvocations({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM });
    const errors = this.metricErrors({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM });
    created.push(sink.create(this, 'ErrorRateAlarm', 'ErrorRate', {
      metric: new cloudwatch.MathExpression({
        expression: 'IF(invocations > 0, 100 * errors / invocations, 0)',
        usingMetrics: { errors, invocations },
        period: fiveMinutes,
        label: 'Error rate (%)',
      }),
      threshold: DEFAULTS.errorRateAlarmPercent,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      enabledByDefault: !offByDefault.has('ErrorRate'),
      description: `${this.node.path}: at least ${DEFAULTS.errorRateAlarmPercent}% of invocations failed in 2 of the last 3 five-minute periods; see its log group`,
    }));
    if (invocation === FunctionInvocation.SYNCHRONOUS) {
      created.push(sink.create(this, 'ThrottlesAlarm', 'Throttles', {
        metric: this.metricThrottles({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        enabledByDefault: !offByDefault.has('Throttles'),
        description: `${this.node.path}: callers were throttled in 2 of the last 3 five-minute periods; raise concurrency limits or smooth the load`,
      }));
    }
    created.push(sink.create(this, 'DurationAlarm', 'Duration', {
      metric: this.metricDuration({ period: fiveMinutes, statistic: cloudwatch.Stats.p(99) }),
      threshold: Math.floor(timeout.toMilliseconds() * DEFAULTS.durationAlarmRatio),
      enabledByDefault: false,
      description: `${this.node.path}: p99 duration reached ${DEFAULTS.durationAlarmRatio * 100}% of the ${timeout.toHumanString()} timeout`,
    }));
    if (this.failureQueue) {
      created.push(sink.create(this, 'FailedEventsAlarm', 'FailedEvents', {
        metric: this.failureQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: 1,
        enabledByDefault: !offByDefault.has('FailedEvents'),
        description: `${this.node.path}: asynchronous events failed after retries and wait in the on-failure queue`,
      }));
    }
    this.alarms = created.filter((a): a is cloudwatch.Alarm => a !== undefined);
  }

  /** The function's own log group (not the `LogRetention`-based one aws-cdk-lib would create). */
  public get logGroup(): logs.ILogGroup {
    return this.functionLogGroup;
  }
}

/**
 * A text within `max` characters: its end, which holds what a generated description says (the
 * function's role and the end of its construct path), after '…'. Tokens are left alone.
 */
function tailOf(text: string | undefined, max: number): string | undefined {
  if (text === undefined || Token.isUnresolved(text) || text.length <= max) return text;
  return `…${text.slice(text.length - max + 1)}`;
}

function defaultServiceName(scope: Construct, id: string): string {
  const parts = [...scope.node.scopes.slice(1).map((s) => s.node.id), id];
  return parts.join('-').replace(/[^A-Za-z0-9-_]/g, '').slice(0, 128);
}
