import { Annotations, IAspect, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { refOf, refsIn, resourcesOf, ResourceView } from './template-view';
import { DEFAULTS } from '../core/defaults';

/** The rules ServerlessGuardrails checks. */
export enum GuardrailRule {
  /** An SQS queue with no redrive policy that is not itself a dead-letter or failure queue. */
  QUEUE_WITHOUT_DLQ = 'QueueWithoutDlq',
  /** An SQS event source mapping without ReportBatchItemFailures: one bad message retries the batch. */
  NO_PARTIAL_BATCH_RESPONSE = 'NoPartialBatchResponse',
  /** A queue whose visibility timeout is under 6 x its consumer's timeout. */
  VISIBILITY_TIMEOUT_TOO_SHORT = 'VisibilityTimeoutTooShort',
  /** A function invoked asynchronously (S3, SNS, EventBridge, Scheduler) without a DLQ or on-failure destination. */
  ASYNC_FUNCTION_WITHOUT_DLQ = 'AsyncFunctionWithoutDlq',
  /** A function on x86_64. */
  X86_FUNCTION = 'X86Function',
  /** A function whose logs are kept forever (no retention). */
  NO_LOG_RETENTION = 'NoLogRetention',
  /** A function allowed into a database's security group directly instead of through an RDS Proxy. */
  DIRECT_DATABASE_ACCESS = 'DirectDatabaseAccess',
}

/** How a finding is reported. */
export enum GuardrailSeverity {
  /** An error annotation: synthesis with the CDK CLI fails. */
  ERROR = 'ERROR',
  /** A warning annotation (fails only `cdk synth --strict`). */
  WARNING = 'WARNING',
}

/** A rule a team relaxes, with its reason. */
export interface GuardrailException {
  /** The rule. */
  readonly rule: GuardrailRule;
  /** Why it does not apply: reported next to every finding it relaxes. */
  readonly reason: string;
  /**
   * Relax it only for constructs whose path starts with this (e.g. `MyStack/LegacyImporter`).
   *
   * @default - everywhere in the scope of the aspect
   */
  readonly pathPrefix?: string;
}

/** Props of `ServerlessGuardrails`. */
export interface ServerlessGuardrailsProps {
  /**
   * How findings are reported.
   *
   * @default GuardrailSeverity.ERROR
   */
  readonly severity?: GuardrailSeverity;
  /**
   * Rules relaxed with a reason: a matching finding becomes an info annotation quoting the reason.
   *
   * @default - none
   */
  readonly exceptions?: GuardrailException[];
}

const ASYNC_PRINCIPALS = ['s3.amazonaws.com', 'sns.amazonaws.com', 'events.amazonaws.com'];

/**
 * An Aspect that reports serverless anti-patterns as annotations, with the construct path and the
 * fix, on any stack: functions and queues built with plain aws-cdk-lib as well as with this
 * library. Functions that only serve CloudFormation custom resources (deploy-time handlers of
 * aws-cdk-lib) are exempt from the function rules.
 *
 * @example
 * declare const app: App;
 * Aspects.of(app).add(new ServerlessGuardrails({
 *   exceptions: [{ rule: GuardrailRule.X86_FUNCTION, reason: 'ships a native x86 binary', pathPrefix: 'Media/Transcoder' }],
 * }));
 */
export class ServerlessGuardrails implements IAspect {
  private readonly severity: GuardrailSeverity;
  private readonly exceptions: GuardrailException[];
  private readonly stacks = new Set<Stack>();

  constructor(props: ServerlessGuardrailsProps = {}) {
    this.severity = props.severity ?? GuardrailSeverity.ERROR;
    this.exceptions = props.exceptions ?? [];
  }

  public visit(node: IConstruct): void {
    if (!Stack.isStack(node) || this.stacks.has(node)) return;
    this.stacks.add(node);
    // Check when the tree is final: validations run after every aspect (ServerlessDefaults too).
    node.node.addValidation({
      validate: () => {
        this.check(node);
        return [];
      },
    });
  }

  private check(stack: Stack): void {
    const resources = resourcesOf(stack);
    const ofType = (type: string) => [...resources.values()].filter((r) => r.type === type);
    const functions = ofType('AWS::Lambda::Function');
    const queues = ofType('AWS::SQS::Queue');

    // Functions that back custom resources run at deploy time only.
    const customResourceHandlers = new Set<string>();
    for (const r of resources.values()) {
      if (r.type.startsWith('Custom::') || r.type === 'AWS::CloudFormation::CustomResource') {
        const token = refOf(r.properties.ServiceToken);
        if (token) customResourceHandlers.add(token);
      }
    }
    // Queues that are dead-letter or failure targets need no DLQ of their own.
    const failureTargets = new Set<string>();
    for (const r of resources.values()) {
      const p = r.properties;
      if (r.type === 'AWS::SQS::Queue' && p.RedrivePolicy) refsIn(p.RedrivePolicy.deadLetterTargetArn, failureTargets);
      if (r.type === 'AWS::Lambda::EventInvokeConfig') refsIn(p.DestinationConfig?.OnFailure, failureTargets);
      // A stream (DynamoDB, Kinesis) event source mapping's on-failure destination.
      if (r.type === 'AWS::Lambda::EventSourceMapping') refsIn(p.DestinationConfig?.OnFailure, failureTargets);
      if (r.type === 'AWS::Lambda::Function') refsIn(p.DeadLetterConfig, failureTargets);
      if (r.type === 'AWS::SNS::Subscription') refsIn(p.RedrivePolicy, failureTargets);
      if (r.type === 'AWS::Events::Rule') for (const t of p.Targets ?? []) refsIn(t.DeadLetterConfig, failureTargets);
      if (r.type === 'AWS::Scheduler::Schedule') refsIn(p.Target?.DeadLetterConfig, failureTargets);
      if (r.type === 'AWS::Pipes::Pipe') refsIn(p.SourceParameters?.SqsQueueParameters, failureTargets);
    }

    for (const q of queues) {
      if (!q.properties.RedrivePolicy && !failureTargets.has(q.logicalId)) {
        this.report(q, GuardrailRule.QUEUE_WITHOUT_DLQ, 'this SQS queue has no dead-letter queue: a poison message is retried until it expires and is lost',
          'give it a redrive policy (deadLetterQueue: { queue, maxReceiveCount }) or build it with DeadLetteredQueue');
      }
    }

    for (const esm of ofType('AWS::Lambda::EventSourceMapping')) {
      const queue = resources.get(refOf(esm.properties.EventSourceArn) ?? '');
      if (queue?.type !== 'AWS::SQS::Queue') continue;
      if (!(esm.properties.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures')) {
        this.report(esm, GuardrailRule.NO_PARTIAL_BATCH_RESPONSE, 'this SQS event source does not report batch item failures: one failing message makes the whole batch retry',
          'set reportBatchItemFailures: true and return { batchItemFailures } (Powertools processPartialResponse)');
      }
      const fn = [...resources.values()].find((r) => r.type === 'AWS::Lambda::Function' && refsIn(esm.properties.FunctionName).has(r.logicalId));
      const visibility = Number(queue.properties.VisibilityTimeout ?? 30);
      const timeout = Number(fn?.properties.Timeout ?? 3);
      if (fn && visibility < DEFAULTS.visibilityTimeoutFactor * timeout) {
        this.report(queue, GuardrailRule.VISIBILITY_TIMEOUT_TOO_SHORT,
          `the visibility timeout (${visibility} s) is under ${DEFAULTS.visibilityTimeoutFactor} x the timeout of its consumer ${constructOf(fn).node.path} `
          + `(${timeout} s): messages reappear while still being processed`,
          `set visibilityTimeout to at least ${DEFAULTS.visibilityTimeoutFactor * timeout} seconds`);
      }
    }

    const asyncInvoked = new Set<string>();
    for (const perm of ofType('AWS::Lambda::Permission')) {
      if (ASYNC_PRINCIPALS.includes(String(perm.properties.Principal))) refsIn(perm.properties.FunctionName, asyncInvoked);
    }
    for (const s of ofType('AWS::Scheduler::Schedule')) refsIn(s.properties.Target?.Arn, asyncInvoked);
    const withFailureDestination = new Set<string>();
    for (const c of ofType('AWS::Lambda::EventInvokeConfig')) {
      if (c.properties.DestinationConfig?.OnFailure?.Destination) refsIn(c.properties.FunctionName, withFailureDestination);
    }

    for (const fn of functions) {
      if (customResourceHandlers.has(fn.logicalId)) continue;
      const p = fn.properties;
      if (asyncInvoked.has(fn.logicalId) && !p.DeadLetterConfig?.TargetArn && !withFailureDestination.has(fn.logicalId)) {
        this.report(fn, GuardrailRule.ASYNC_FUNCTION_WITHOUT_DLQ, 'this function is invoked asynchronously but has no DLQ or on-failure destination: events that fail after Lambda\'s retries are dropped',
          'configure an SQS on-failure destination (configureAsyncInvoke) or a deadLetterQueue, or build it with ServerlessFunction');
      }
      if (!(p.Architectures ?? []).includes('arm64')) {
        this.report(fn, GuardrailRule.X86_FUNCTION, 'this function runs on x86_64: arm64 (Graviton) costs about 20% less per GB-second',
          'set architecture: lambda.Architecture.ARM_64 (check native dependencies), or apply ServerlessDefaults');
      }
      const logGroup = resources.get(refOf(p.LoggingConfig?.LogGroup) ?? '');
      const hasRetentionResource = [...resources.values()].some((r) => r.type === 'Custom::LogRetention' && refsIn(r.properties.LogGroupName).has(fn.logicalId));
      if (!(logGroup?.properties.RetentionInDays) && !hasRetentionResource) {
        this.report(fn, GuardrailRule.NO_LOG_RETENTION, 'this function\'s logs are kept forever (no log group with a retention)',
          'give it a logGroup with a retention (logs.RetentionDays.ONE_MONTH), or apply ServerlessDefaults');
      }
    }

    this.checkDirectDatabaseAccess(resources, functions);
  }

  /** A function's security group allowed into a database's security group, bypassing RDS Proxy. */
  private checkDirectDatabaseAccess(resources: Map<string, ResourceView>, functions: ResourceView[]): void {
    const databaseGroups = new Set<string>();
    for (const r of resources.values()) {
      if (r.type === 'AWS::RDS::DBCluster' || r.type === 'AWS::RDS::DBInstance') refsIn(r.properties.VpcSecurityGroupIds ?? r.properties.VPCSecurityGroups, databaseGroups);
    }
    const functionGroups = new Set<string>();
    for (const fn of functions) refsIn(fn.properties.VpcConfig?.SecurityGroupIds, functionGroups);
    for (const ingress of [...resources.values()].filter((r) => r.type === 'AWS::EC2::SecurityGroupIngress')) {
      const target = refOf(ingress.properties.GroupId);
      const source = refOf(ingress.properties.SourceSecurityGroupId);
      if (target && source && databaseGroups.has(target) && functionGroups.has(source)) {
        this.report(ingress, GuardrailRule.DIRECT_DATABASE_ACCESS, 'a Lambda function is allowed into the database\'s security group directly: every concurrent invocation opens its own connection (connection storms)',
          'put an RDS Proxy in front (ProxiedDatabase) and call grantConnect(fn), which opens the proxy\'s port to the function instead');
      }
    }
  }

  private report(view: ResourceView, rule: GuardrailRule, problem: string, fix: string): void {
    const scope = constructOf(view);
    const path = scope.node.path;
    const exception = this.exceptions.find((e) => e.rule === rule && (!e.pathPrefix || path.startsWith(e.pathPrefix)));
    const message = `[${rule}] ${path}: ${problem}. Fix: ${fix}.`;
    if (exception) {
      Annotations.of(scope).addInfo(`${message} Relaxed: ${exception.reason}`);
    } else if (this.severity === GuardrailSeverity.WARNING) {
      Annotations.of(scope).addWarningV2(`cdk-serverless-patterns:${rule}`, message);
    } else {
      Annotations.of(scope).addError(message);
    }
  }
}

/** The construct a user knows: the L2 whose default child the resource is, or the resource. */
function constructOf(view: ResourceView): IConstruct {
  const parent = view.resource.node.scope;
  return parent && parent.node.defaultChild === view.resource ? parent : view.resource;
}
