import { Annotations, Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { createAlarm } from './alarm-factory';
import { AlarmOptions } from './alarms';
import { DEFAULTS } from './defaults';
import { PatternValidationError } from './errors';
import { FunctionCodeOptions } from './function-code-options';
import { acknowledgeNagFindings } from './nag';
import { powertoolsLayerArn } from './powertools-layer';
import { validateDurationRange, validateIntegerRange } from './validation';

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
}

/** Props of a `ServerlessFunction`. */
export interface ServerlessFunctionProps extends FunctionCodeOptions, AlarmOptions {
  /**
   * How the function is invoked, which decides where its failures go.
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
   * The application log level (also `POWERTOOLS_LOG_LEVEL`).
   *
   * @default lambda.ApplicationLogLevel.INFO
   */
  readonly applicationLogLevel?: lambda.ApplicationLogLevel;
  /**
   * How long the function's log group keeps logs.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Add the public Powertools for AWS Lambda (TypeScript) layer, so user code can mark
   * `@aws-lambda-powertools/*` external when bundling. The library's own handlers bundle what
   * they use and turn this off.
   *
   * @default true
   */
  readonly enablePowertoolsLayer?: boolean;
  /**
   * Version of the `AWSLambdaPowertoolsTypeScriptV2` layer.
   *
   * The default is published in every commercial region except ap-east-2, ap-southeast-6,
   * me-south-1 (newest 46) and me-central-1 (newest 45), in GovCloud and in cn-north-1 (not
   * cn-northwest-1); in a stack of one of those regions synth fails, naming the region: give a
   * version published there (versions up to 49 bundle AWS SDK clients, which a warning points
   * out) or set `enablePowertoolsLayer: false` and bundle Powertools with your code. A version
   * given here is trusted. In a stack without a region (env-agnostic) nothing is checked.
   *
   * @default 50
   */
  readonly powertoolsLayerVersion?: number;
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
   * Reserved concurrency.
   *
   * @default - unreserved, the account's pool
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * VPC to place the function in (e.g. to reach a database through its RDS Proxy).
   *
   * @default - not in a VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets in `vpc`.
   *
   * @default - private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security groups in `vpc`.
   *
   * @default - a new security group allowing all outbound traffic
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/**
 * A `lambda.Function` with this library's defaults: ARM64, Node.js 24, Powertools (layer and
 * `POWERTOOLS_*` environment), active tracing, JSON logs in its own log group with a retention,
 * a least-privilege role without AWS-managed policies, an on-failure queue when invoked
 * asynchronously, and alarms on errors, throttles and duration near the timeout.
 *
 * Every pattern builds its functions with it; use it directly for functions of your own.
 */
export class ServerlessFunction extends lambda.Function {
  /**
   * Where failed asynchronous invocations go (with `FunctionInvocation.ASYNCHRONOUS` only).
   *
   * @default - undefined for synchronous and queue invocations
   */
  public readonly failureQueue?: sqs.Queue;
  /** Alarms on errors, throttles, duration near the timeout, and failed async events when any. */
  public readonly alarms: cloudwatch.Alarm[];
  /** The execution role. */
  public readonly executionRole: iam.Role;

  constructor(scope: Construct, id: string, props: ServerlessFunctionProps) {
    const memorySize = props.memorySize ?? DEFAULTS.memorySize;
    const timeout = props.timeout ?? DEFAULTS.timeout;
    const invocation = props.invocation ?? FunctionInvocation.ASYNCHRONOUS;
    validateIntegerRange(scope, `${id}: memorySize`, memorySize, DEFAULTS.minMemorySize, DEFAULTS.maxMemorySize);
    validateDurationRange(scope, `${id}: timeout`, timeout, Duration.seconds(1), DEFAULTS.maxTimeout);
    validateIntegerRange(scope, `${id}: retryAttempts`, props.retryAttempts, 0, 2);
    validateDurationRange(scope, `${id}: maxEventAge`, props.maxEventAge, Duration.seconds(60), Duration.hours(6));
    if (invocation !== FunctionInvocation.ASYNCHRONOUS && (props.retryAttempts !== undefined || props.maxEventAge !== undefined)) {
      throw new PatternValidationError(scope, `${id}: retryAttempts and maxEventAge apply to asynchronous invocations only, but invocation is ${invocation}`);
    }

    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? DEFAULTS.logRetention,
      removalPolicy: props.logRemovalPolicy ?? DEFAULTS.logRemovalPolicy,
    });
    // Our own role, so the function carries no AWS-managed policy (AwsSolutions-IAM4): it may write
    // to its own log group and nothing else until a pattern grants more.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: tailOf(`Execution role of ${scope.node.path}/${id}`, 1000),
    });
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }));
    if (props.vpc) {
      // What AWSLambdaVPCAccessExecutionRole grants, inline. ENI actions have no resource-level scope.
      role.addToPolicy(new iam.PolicyStatement({
        actions: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
        resources: ['*'],
      }));
    }

    const description = tailOf(props.description, DEFAULTS.maxFunctionDescriptionLength);
    const serviceName = props.serviceName ?? defaultServiceName(scope, id);
    const applicationLogLevel = props.applicationLogLevel ?? DEFAULTS.applicationLogLevel;
    const enableLayer = props.enablePowertoolsLayer ?? true;
    super(scope, id, {
      code: props.code,
      handler: props.handler,
      description,
      runtime: DEFAULTS.runtime,
      architecture: DEFAULTS.architecture,
      memorySize,
      timeout,
      role,
      logGroup,
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
        POWERTOOLS_SERVICE_NAME: serviceName,
        POWERTOOLS_METRICS_NAMESPACE: 'cdk-serverless-patterns',
        POWERTOOLS_LOG_LEVEL: applicationLogLevel,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
        ...(props.serviceName ? { POWERTOOLS_SERVICE_NAME: props.serviceName } : {}),
        ...(props.metricsNamespace ? { POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace } : {}),
        ...(props.applicationLogLevel ? { POWERTOOLS_LOG_LEVEL: props.applicationLogLevel } : {}),
      },
    });
    this.executionRole = role;
    if (description !== props.description) {
      Annotations.of(this).addWarningV2('cdk-serverless-patterns:descriptionShortened',
        `The description has ${props.description!.length} characters and Lambda allows ${DEFAULTS.maxFunctionDescriptionLength}: it was shortened to its last ${DEFAULTS.maxFunctionDescriptionLength} ('${description}')`);
    }

    if (enableLayer) {
      const layerArn = powertoolsLayerArn(this, DEFAULTS.runtime, DEFAULTS.architecture, props.powertoolsLayerVersion);
      if (layerArn) this.addLayers(lambda.LayerVersion.fromLayerVersionArn(this, 'PowertoolsLayer', layerArn));
    }

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
    } else {
      acknowledgeNagFindings(this, [
        { id: 'Serverless-LambdaDLQ', reason: 'Invoked by an SQS event source mapping only: failed messages go to the source queue\'s redrive dead-letter queue' },
      ]);
    }

    this.alarms = [
      createAlarm(this, 'ErrorsAlarm', {
        metric: this.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        description: `${this.node.path}: the function reported errors in the last 5 minutes; see its log group`,
      }, props),
      createAlarm(this, 'ThrottlesAlarm', {
        metric: this.metricThrottles({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        description: `${this.node.path}: invocations were throttled; raise concurrency limits or smooth the load`,
      }, props),
      createAlarm(this, 'DurationAlarm', {
        metric: this.metricDuration({ period: Duration.minutes(5), statistic: cloudwatch.Stats.p(99) }),
        threshold: Math.floor(timeout.toMilliseconds() * DEFAULTS.durationAlarmRatio),
        description: `${this.node.path}: p99 duration reached ${DEFAULTS.durationAlarmRatio * 100}% of the ${timeout.toHumanString()} timeout`,
      }, props),
    ];
    if (this.failureQueue) {
      this.alarms.push(createAlarm(this, 'FailedEventsAlarm', {
        metric: this.failureQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: 1,
        description: `${this.node.path}: asynchronous events failed after retries and wait in the on-failure queue`,
      }, props));
    }
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
