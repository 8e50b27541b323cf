/**
 * The service-to-service edges of a synthesized app: every call one AWS service (or a role it
 * assumes) makes to another at run time, with the context keys the calling service sends. The
 * list follows the "Seams" section of ../shared/DESIGN.md; simulate.ts evaluates each edge.
 *
 * An edge that cannot be modelled (a policy the template does not hold, a target of a kind the
 * model does not know) is still listed, with `notModelled` saying why: nothing is dropped silently.
 */
import * as fs from 'fs';
import * as path from 'path';
import { labelOf, ModelResource, partitionOf, SeamModel } from './model';

/** Who makes the call. */
export type Caller =
  | { readonly kind: 'service'; readonly principal: string; readonly label: string }
  | { readonly kind: 'role'; readonly role: ModelResource; readonly label: string };

/** One call across a seam. */
export interface Edge {
  /** The stack the call belongs to (where the caller is defined). */
  readonly stack: string;
  /** What kind of seam, e.g. `alarm → topic`. */
  readonly kind: string;
  readonly caller: Caller;
  /** One IAM action, e.g. `sqs:SendMessage`. */
  readonly action: string;
  /** The resource ARN the request names. */
  readonly resource: string;
  /** `Stack/LogicalId` of the resource, or its ARN when it is not part of the model. */
  readonly resourceLabel: string;
  /** The request context keys the calling service sends. */
  readonly context: Record<string, string | string[]>;
  /** What makes the call (the alarm, the subscription, the function...). */
  readonly via: string;
  /** Set when the edge cannot be evaluated: the reason. */
  readonly notModelled?: string;
}

/** What every edge of one call site shares. */
type Base = { stack: string; caller: Caller; context: Record<string, string | string[]>; via: string };

/** The encryption key protecting data at rest of a queue, topic, bucket, secret... */
export type KeyRef =
  | { readonly kind: 'customer'; readonly key: ModelResource; readonly arn: string }
  | { readonly kind: 'aws-managed'; readonly alias: string; readonly arn: string }
  | { readonly kind: 'external'; readonly arn: string };

/** Queue consumer actions of a Lambda event source mapping (what grantConsumeMessages grants). */
export const SQS_CONSUMER_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'];
/** What the Lambda service does with the execution role of a function in a VPC (AWSLambdaVPCAccessExecutionRole). */
export const VPC_ACTIONS = ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'];
/** What Step Functions does with the state machine role to deliver execution logs (vended logs). */
export const SFN_LOG_ACTIONS = ['logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'];
/** X-Ray actions of active tracing: Lambda needs the first two, Step Functions all four. */
export const XRAY_LAMBDA_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];
export const XRAY_SFN_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'];

/**
 * DynamoDB operations of the handlers whose code the seams cannot scan precisely (a bundled
 * module keeps methods a handler never calls): which handler, how it is recognised from its
 * environment, and the operations it performs with the reason. First match wins.
 */
export interface TableAccess {
  readonly handler: string;
  readonly tableEnv: string;
  readonly when: (env: Record<string, string>, code: string | undefined) => boolean;
  readonly actions: string[];
  readonly why: string;
}
/** The environment variable that marks a function of a ServerlessRestApi resource. */
const ENV_REST_RESOURCE = 'REST_API_RESOURCE';
export const TABLE_ACCESS: TableAccess[] = [
  {
    handler: 'jobWorker (AsyncHttpApi worker)',
    tableEnv: 'JOBS_TABLE_NAME',
    when: (env) => 'MAX_RECEIVE_COUNT' in env,
    actions: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
    why: 'JobStore.acquireLease / extendLease / releaseLease / markSucceeded / markFailed (conditional UpdateItem), the record read when a lease is not taken (GetItem)',
  },
  {
    handler: 'AsyncHttpApi submit',
    tableEnv: 'JOBS_TABLE_NAME',
    when: (env) => 'JOBS_QUEUE_URL' in env,
    actions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
    why: 'JobStore.createPending and claimIdempotencyKey (PutItem, GetItem of what a repeat finds), reopenForEnqueue and markEnqueueFailed (UpdateItem)',
  },
  {
    handler: 'AsyncHttpApi dead-letter consumer',
    tableEnv: 'JOBS_TABLE_NAME',
    when: (_env, code) => code?.includes('DeliveryFailed') ?? false,
    actions: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
    why: 'JobStore.markDeadLettered (conditional UpdateItem), the record read when the write does not apply (GetItem)',
  },
  {
    handler: 'ServerlessRestApi built-in CRUD handler',
    tableEnv: 'REST_API_TABLE_NAME',
    // Recognised by its bundle when the code is on disk (an assembly); without it, every handler of a resource is checked for these.
    when: (env, code) => ENV_REST_RESOURCE in env && (code === undefined || code.includes('cursor-key')),
    actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
    why: 'ItemStore.get and the cursor key read (GetItem), creates and conditional writes and the cursor key create (PutItem), deletes (DeleteItem), pages (Query)',
  },
  {
    handler: 'ServerlessRestApi user handler',
    tableEnv: 'REST_API_TABLE_NAME',
    when: (env) => ENV_REST_RESOURCE in env,
    actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:ConditionCheckItem',
      'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
    why: 'the construct promises a user handler read and write access to the table (what the code does is the user\'s)',
  },
  {
    handler: 'AsyncHttpApi status',
    tableEnv: 'JOBS_TABLE_NAME',
    when: () => true,
    actions: ['dynamodb:GetItem'],
    why: 'JobStore.get (GetItem)',
  },
  {
    handler: 'TableChangeHandler example welcome e-mail (Powertools idempotency)',
    tableEnv: 'IDEMPOTENCY_TABLE_NAME',
    when: () => true,
    actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    why: 'DynamoDBPersistenceLayer (in the Powertools layer, so not in the bundle): PutItem of the in-progress record, GetItem of an existing one, UpdateItem when completed, DeleteItem after a failure',
  },
  {
    handler: 'TableChangeHandler example order projection',
    tableEnv: 'READ_MODEL_TABLE_NAME',
    when: () => true,
    actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
    why: 'TransactWriteCommand (TransactWriteItems is authorized per item): a conditional Put of the order marker, an Update of the customer summary',
  },
];

/**
 * S3 access of the library's environment variables that name a bucket: the operations and the
 * key prefix (read from another variable of the same function).
 */
export const BUCKET_ACCESS: Record<string, { readonly actions: string[]; readonly prefixEnv?: string; readonly why: string }> = {
  OUTPUT_BUCKET_NAME: { actions: ['s3:PutObject'], prefixEnv: 'OUTPUT_PREFIX', why: 'fileProcessor writes each output under OUTPUT_PREFIX' },
};

/**
 * Services documented to send aws:SourceArn / aws:SourceAccount on the KMS requests they make for
 * a resource (so a key policy may, and should, condition on them). For the others (S3 event
 * notifications, SNS deliveries, EventBridge targets: their guides show key statements without
 * source conditions, and EventBridge says the keys are not sent) the KMS edge carries no source
 * keys, and no confused-deputy stranger is tried on the key: the queue or topic policy is where
 * that service is tied to its source.
 */
export const KMS_SOURCE_CONTEXT_SERVICES = ['cloudwatch.amazonaws.com', 'cloudfront.amazonaws.com'];

function kmsSourceContext(caller: Caller, context: Record<string, string | string[]>): Record<string, string | string[]> {
  return caller.kind === 'service' && KMS_SOURCE_CONTEXT_SERVICES.includes(caller.principal) ? context : {};
}

/** KMS actions needed to write to / read from a resource encrypted with a key. */
const KMS_WRITE = ['kms:GenerateDataKey', 'kms:Decrypt'];
const KMS_READ = ['kms:Decrypt'];

/** Enumerates every edge of the model. */
export function enumerateEdges(model: SeamModel): Edge[] {
  return new EdgeFinder(model).all();
}

/** The encryption key an identifier (key ARN, key id, alias name or alias ARN) designates. */
export function keyRef(model: SeamModel, stack: string, identifier: unknown): KeyRef | undefined {
  if (identifier === undefined || identifier === null || identifier === '') return undefined;
  const id = String(identifier);
  const s = model.stack(stack);
  const partition = partitionOf(s.region);
  const found = model.find(id);
  if (found?.type === 'AWS::KMS::Key') return { kind: 'customer', key: found, arn: model.attribute(found.stack, found.logicalId, 'Arn') };
  const aliasName = id.startsWith('alias/') ? id : /^arn:[^:]+:kms:[^:]+:[^:]+:(alias\/.+)$/.exec(id)?.[1];
  if (aliasName) {
    if (aliasName.startsWith('alias/aws/')) {
      // KMS authorizes against the key the alias points to: a stand-in key ARN names it.
      return { kind: 'aws-managed', alias: aliasName, arn: `arn:${partition}:kms:${s.region}:${s.account}:key/aws-managed-${aliasName.slice('alias/aws/'.length)}` };
    }
    const alias = model.resources('AWS::KMS::Alias').find((a) => model.prop(a, 'AliasName') === aliasName);
    if (alias) return keyRef(model, alias.stack, model.prop(alias, 'TargetKeyId'));
  }
  return { kind: 'external', arn: id };
}

class EdgeFinder {
  private readonly edges: Edge[] = [];

  constructor(private readonly model: SeamModel) {}

  public all(): Edge[] {
    this.alarms();
    this.bucketNotifications();
    this.snsSubscriptions();
    this.eventRules();
    this.schedules();
    this.stateMachines();
    this.functions();
    this.rdsProxies();
    this.distributions();
    this.accessLogs();
    this.httpApis();
    return this.edges;
  }

  // ------------------------------------------------------------------------------------------
  // CloudWatch alarm → SNS topic (+ its key)
  // ------------------------------------------------------------------------------------------
  private alarms(): void {
    for (const alarm of this.model.resources('AWS::CloudWatch::Alarm')) {
      const alarmArn = this.model.attribute(alarm.stack, alarm.logicalId, 'Arn');
      const actions = new Set<string>([
        ...this.list(alarm, 'AlarmActions'), ...this.list(alarm, 'OKActions'), ...this.list(alarm, 'InsufficientDataActions'),
      ]);
      const caller: Caller = { kind: 'service', principal: 'cloudwatch.amazonaws.com', label: 'cloudwatch.amazonaws.com' };
      const context = this.sourceContext(alarmArn, this.model.stack(alarm.stack).account);
      for (const target of actions) {
        const topic = this.model.find(target);
        const base = { stack: alarm.stack, caller, context, via: `alarm ${alarm.logicalId}` };
        if (topic?.type === 'AWS::SNS::Topic') {
          this.add({ ...base, kind: 'alarm → topic', action: 'sns:Publish', resource: target, resourceLabel: labelOf(topic) });
          // SNS calls KMS on behalf of the publisher, the CloudWatch service principal, with the alarm as source.
          this.kms({ ...base, kind: 'alarm → topic key', context: kmsSourceContext(caller, context) }, this.encryptionOf(topic), KMS_WRITE, undefined);
        } else if (/^arn:[^:]+:lambda:/.test(target)) {
          this.add({ ...base, kind: 'alarm → function', action: 'lambda:InvokeFunction', resource: target, resourceLabel: this.labelFor(target) });
        } else {
          this.add({ ...base, kind: 'alarm → action', action: 'sns:Publish', resource: target, resourceLabel: target, notModelled: `alarm action ${target} is not an SNS topic or function of the assembly` });
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // S3 bucket notifications → SQS / SNS / Lambda
  // ------------------------------------------------------------------------------------------
  private bucketNotifications(): void {
    for (const { bucket, config, via } of this.notificationConfigs()) {
      const bucketArn = this.model.attribute(bucket.stack, bucket.logicalId, 'Arn');
      const context = this.sourceContext(bucketArn, this.model.stack(bucket.stack).account);
      const caller: Caller = { kind: 'service', principal: 's3.amazonaws.com', label: 's3.amazonaws.com' };
      const base = { stack: bucket.stack, caller, context, via };
      // S3 API shape (aws-cdk-lib's custom resource: QueueArn...) or CloudFormation's (Queue...).
      for (const q of config.QueueConfigurations ?? []) {
        const arn = q.QueueArn ?? q.Queue;
        const queue = this.model.find(arn);
        this.add({ ...base, kind: 's3 → queue', action: 'sqs:SendMessage', resource: arn, resourceLabel: this.labelFor(arn) });
        if (queue) this.kms({ ...base, kind: 's3 → queue key', context: kmsSourceContext(caller, context) }, this.encryptionOf(queue), KMS_WRITE, undefined);
      }
      for (const t of config.TopicConfigurations ?? []) {
        const arn = t.TopicArn ?? t.Topic;
        const topic = this.model.find(arn);
        this.add({ ...base, kind: 's3 → topic', action: 'sns:Publish', resource: arn, resourceLabel: this.labelFor(arn) });
        if (topic) this.kms({ ...base, kind: 's3 → topic key', context: kmsSourceContext(caller, context) }, this.encryptionOf(topic), KMS_WRITE, undefined);
      }
      for (const l of [...config.LambdaFunctionConfigurations ?? [], ...config.LambdaConfigurations ?? []]) {
        const arn = l.LambdaFunctionArn ?? l.Function;
        this.add({ ...base, kind: 's3 → function', action: 'lambda:InvokeFunction', resource: arn, resourceLabel: this.labelFor(arn) });
      }
    }
  }

  /** Notification configurations, from aws-cdk-lib's custom resource or the bucket itself. */
  private notificationConfigs(): { bucket: ModelResource; config: any; via: string }[] {
    const out: { bucket: ModelResource; config: any; via: string }[] = [];
    for (const cr of this.model.resources('Custom::S3BucketNotifications')) {
      const bucket = this.model.find(this.model.prop(cr, 'BucketName'));
      if (bucket) out.push({ bucket, config: this.model.prop(cr, 'NotificationConfiguration') ?? {}, via: `notification ${cr.logicalId}` });
    }
    for (const bucket of this.model.resources('AWS::S3::Bucket')) {
      const config = this.model.prop(bucket, 'NotificationConfiguration');
      if (config) out.push({ bucket, config, via: `notification of ${bucket.logicalId}` });
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------
  // SNS subscription → SQS / Lambda, and its redrive DLQ
  // ------------------------------------------------------------------------------------------
  private snsSubscriptions(): void {
    for (const sub of this.model.resources('AWS::SNS::Subscription')) {
      const topicArn = this.model.prop(sub, 'TopicArn');
      const topic = this.model.find(topicArn);
      const protocol = this.model.prop(sub, 'Protocol');
      const endpoint = this.model.prop(sub, 'Endpoint');
      const account = topic ? this.model.stack(topic.stack).account : this.model.stack(sub.stack).account;
      const caller: Caller = { kind: 'service', principal: 'sns.amazonaws.com', label: 'sns.amazonaws.com' };
      const base = { stack: sub.stack, caller, context: this.sourceContext(topicArn, account), via: `subscription ${sub.logicalId}` };
      if (protocol === 'sqs') {
        this.add({ ...base, kind: 'sns → queue', action: 'sqs:SendMessage', resource: endpoint, resourceLabel: this.labelFor(endpoint) });
        const queue = this.model.find(endpoint);
        if (queue) this.kms({ ...base, kind: 'sns → queue key', context: kmsSourceContext(base.caller, base.context) }, this.encryptionOf(queue), KMS_WRITE, undefined);
      } else if (protocol === 'lambda') {
        this.add({ ...base, kind: 'sns → function', action: 'lambda:InvokeFunction', resource: endpoint, resourceLabel: this.labelFor(endpoint) });
      } else {
        this.add({ ...base, kind: 'sns → endpoint', action: 'sns:Publish', resource: String(endpoint), resourceLabel: String(endpoint), notModelled: `${protocol} subscriptions are delivered outside IAM` });
      }
      const redrive = this.model.prop(sub, 'RedrivePolicy');
      const dlqArn = typeof redrive === 'string' ? JSON.parse(redrive).deadLetterTargetArn : redrive?.deadLetterTargetArn;
      if (dlqArn) {
        this.add({ ...base, kind: 'sns → subscription DLQ', action: 'sqs:SendMessage', resource: dlqArn, resourceLabel: this.labelFor(dlqArn) });
        const dlq = this.model.find(dlqArn);
        if (dlq) this.kms({ ...base, kind: 'sns → subscription DLQ key', context: kmsSourceContext(base.caller, base.context) }, this.encryptionOf(dlq), KMS_WRITE, undefined);
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // EventBridge rule → targets and their DLQs
  // ------------------------------------------------------------------------------------------
  private eventRules(): void {
    for (const rule of this.model.resources('AWS::Events::Rule')) {
      const ruleArn = this.model.attribute(rule.stack, rule.logicalId, 'Arn');
      const account = this.model.stack(rule.stack).account;
      for (const target of this.model.prop(rule, 'Targets') ?? []) {
        const via = `rule ${rule.logicalId} target ${target.Id}`;
        const service: Caller = { kind: 'service', principal: 'events.amazonaws.com', label: 'events.amazonaws.com' };
        const role = target.RoleArn ? this.model.find(target.RoleArn) : undefined;
        if (target.RoleArn) {
          this.assumeRole(rule.stack, 'events.amazonaws.com', target.RoleArn, this.sourceContext(ruleArn, account), via);
        }
        const caller: Caller = role ? { kind: 'role', role, label: labelOf(role) } : service;
        const context = role ? this.roleContext(role) : this.sourceContext(ruleArn, account);
        // EventBridge does not send aws:SourceArn / aws:SourceAccount to KMS (SNS and SQS docs).
        this.targetCall({ stack: rule.stack, caller, context, via }, 'rule → target', target.Arn, {});
        const dlq = target.DeadLetterConfig?.Arn;
        if (dlq) {
          this.add({ stack: rule.stack, caller: service, context: this.sourceContext(ruleArn, account), via, kind: 'rule → DLQ', action: 'sqs:SendMessage', resource: dlq, resourceLabel: this.labelFor(dlq) });
          const q = this.model.find(dlq);
          if (q) this.kms({ stack: rule.stack, caller: service, context: {}, via, kind: 'rule → DLQ key' }, this.encryptionOf(q), KMS_WRITE, undefined);
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // EventBridge Scheduler schedule → its role → target and DLQ
  // ------------------------------------------------------------------------------------------
  private schedules(): void {
    for (const schedule of this.model.resources('AWS::Scheduler::Schedule')) {
      const target = this.model.prop(schedule, 'Target') ?? {};
      const s = this.model.stack(schedule.stack);
      const group = this.model.prop(schedule, 'GroupName') ?? 'default';
      const groupArn = `arn:${partitionOf(s.region)}:scheduler:${s.region}:${s.account}:schedule-group/${group}`;
      const via = `schedule ${schedule.logicalId}`;
      // Scheduler assumes the role with the schedule group as source (Scheduler User Guide, execution role).
      this.assumeRole(schedule.stack, 'scheduler.amazonaws.com', target.RoleArn, this.sourceContext(groupArn, s.account), via);
      const role = this.model.find(target.RoleArn);
      if (!role) continue;
      const caller: Caller = { kind: 'role', role, label: labelOf(role) };
      const base = { stack: schedule.stack, caller, context: this.roleContext(role), via };
      this.targetCall(base, 'schedule → target', target.Arn, target);
      const dlq = target.DeadLetterConfig?.Arn;
      if (dlq) {
        this.add({ ...base, kind: 'schedule → DLQ', action: 'sqs:SendMessage', resource: dlq, resourceLabel: this.labelFor(dlq) });
        const q = this.model.find(dlq);
        if (q) this.kms({ ...base, kind: 'schedule → DLQ key' }, this.encryptionOf(q), KMS_WRITE, 'sqs');
      }
    }
  }

  /** A target call by a rule or a schedule (Lambda, SQS, SNS, Step Functions, bus, universal target). */
  private targetCall(base: Base, kind: string, arn: string, target: any): void {
    const resource = this.model.find(arn);
    const universal = /^arn:[^:]+:scheduler:::aws-sdk:([a-z0-9-]+):([A-Za-z0-9]+)$/.exec(arn);
    if (universal) {
      const action = `${universal[1]}:${universal[2][0].toUpperCase()}${universal[2].slice(1)}`;
      this.add({ ...base, kind, action, resource: '*', resourceLabel: arn, notModelled: `universal target ${action}: its resource is in the Input (${typeof target.Input === 'string' ? target.Input.slice(0, 60) : ''})` });
      return;
    }
    const service = /^arn:[^:]+:([a-z0-9-]+):/.exec(arn)?.[1];
    switch (service) {
      case 'lambda':
        this.add({ ...base, kind, action: 'lambda:InvokeFunction', resource: arn, resourceLabel: this.labelFor(arn) });
        return;
      case 'sqs':
        this.add({ ...base, kind, action: 'sqs:SendMessage', resource: arn, resourceLabel: this.labelFor(arn) });
        if (resource) this.kms({ ...base, kind: `${kind} key`, context: base.caller.kind === 'role' ? base.context : {} }, this.encryptionOf(resource), KMS_WRITE, base.caller.kind === 'role' ? 'sqs' : undefined);
        return;
      case 'sns':
        this.add({ ...base, kind, action: 'sns:Publish', resource: arn, resourceLabel: this.labelFor(arn) });
        if (resource) this.kms({ ...base, kind: `${kind} key`, context: base.caller.kind === 'role' ? base.context : {} }, this.encryptionOf(resource), KMS_WRITE, base.caller.kind === 'role' ? 'sns' : undefined);
        return;
      case 'states':
        this.add({ ...base, kind, action: 'states:StartExecution', resource: arn, resourceLabel: this.labelFor(arn) });
        return;
      case 'events':
        this.add({ ...base, kind, action: 'events:PutEvents', resource: arn, resourceLabel: this.labelFor(arn) });
        return;
      default:
        this.add({ ...base, kind, action: `${service}:*`, resource: arn, resourceLabel: this.labelFor(arn), notModelled: `targets of service ${service} are not modelled` });
    }
  }

  // ------------------------------------------------------------------------------------------
  // Step Functions state machine role → tasks, logs, X-Ray
  // ------------------------------------------------------------------------------------------
  private stateMachines(): void {
    for (const sm of this.model.resources('AWS::StepFunctions::StateMachine')) {
      const smArn = this.model.attribute(sm.stack, sm.logicalId, 'Arn');
      const account = this.model.stack(sm.stack).account;
      const roleArn = this.model.prop(sm, 'RoleArn');
      const via = `state machine ${sm.logicalId}`;
      this.assumeRole(sm.stack, 'states.amazonaws.com', roleArn, this.sourceContext(smArn, account), via);
      const role = this.model.find(roleArn);
      if (!role) continue;
      const caller: Caller = { kind: 'role', role, label: labelOf(role) };
      const base = { stack: sm.stack, caller, context: this.roleContext(role), via };
      const definition = this.definitionOf(sm);
      if (!definition) {
        this.add({ ...base, kind: 'state machine → task', action: 'states:*', resource: smArn, resourceLabel: labelOf(sm), notModelled: 'the definition could not be resolved to JSON' });
      } else {
        for (const state of allStates(definition)) this.task(base, state);
      }
      if ((this.model.prop(sm, 'LoggingConfiguration')?.Destinations ?? []).length > 0) {
        for (const action of SFN_LOG_ACTIONS) this.add({ ...base, kind: 'state machine → logs', action, resource: '*', resourceLabel: '*' });
      }
      if (this.model.prop(sm, 'TracingConfiguration')?.Enabled === true) {
        for (const action of XRAY_SFN_ACTIONS) this.add({ ...base, kind: 'state machine → X-Ray', action, resource: '*', resourceLabel: '*' });
      }
      const encryption = this.model.prop(sm, 'EncryptionConfiguration');
      if (encryption?.KmsKeyId) {
        this.kms({ ...base, kind: 'state machine → key' }, keyRef(this.model, sm.stack, encryption.KmsKeyId), KMS_WRITE, 'states');
      }
    }
  }

  private definitionOf(sm: ModelResource): any {
    const text = this.model.prop(sm, 'DefinitionString');
    try {
      if (typeof text === 'string') return JSON.parse(text);
      return this.model.prop(sm, 'Definition');
    } catch {
      return undefined;
    }
  }

  private task(base: Base, state: { name: string; def: any }): void {
    const { name, def } = state;
    if (def.Type !== 'Task' || typeof def.Resource !== 'string') return;
    const resource: string = def.Resource;
    const params = def.Parameters ?? def.Arguments ?? {};
    const via = `${base.via} state ${name}`;
    const kind = 'state machine → task';
    if (/^arn:[^:]+:lambda:/.test(resource)) {
      this.add({ ...base, via, kind, action: 'lambda:InvokeFunction', resource, resourceLabel: this.labelFor(resource) });
      return;
    }
    const integration = /^arn:[^:]+:states:::([a-z0-9-]+):([A-Za-z0-9]+?)(\.sync(:2)?|\.waitForTaskToken)?$/.exec(resource);
    const sdk = /^arn:[^:]+:states:::aws-sdk:([a-z0-9-]+):([A-Za-z0-9]+?)(\.waitForTaskToken)?$/.exec(resource);
    if (sdk) {
      const [, service, api] = sdk;
      const iamService = service === 'sfn' ? 'states' : service;
      const action = `${iamService}:${api[0].toUpperCase()}${api.slice(1)}`;
      const context: Record<string, string | string[]> = { ...base.context };
      if (action === 'cloudwatch:PutMetricData' && typeof params.Namespace === 'string') context['cloudwatch:namespace'] = params.Namespace;
      const target = params.TableName ?? params.QueueUrl ?? params.TopicArn ?? params.StateMachineArn ?? params.FunctionName;
      const targetArn = target ? this.arnOf(target) : '*';
      this.add({ ...base, via, kind, action, resource: targetArn, resourceLabel: this.labelFor(targetArn), context });
      return;
    }
    if (integration) {
      const [, service, api] = integration;
      const mapping: Record<string, { action: string; param?: string }> = {
        'lambda:invoke': { action: 'lambda:InvokeFunction', param: 'FunctionName' },
        'sqs:sendMessage': { action: 'sqs:SendMessage', param: 'QueueUrl' },
        'sns:publish': { action: 'sns:Publish', param: 'TopicArn' },
        'dynamodb:getItem': { action: 'dynamodb:GetItem', param: 'TableName' },
        'dynamodb:putItem': { action: 'dynamodb:PutItem', param: 'TableName' },
        'dynamodb:updateItem': { action: 'dynamodb:UpdateItem', param: 'TableName' },
        'dynamodb:deleteItem': { action: 'dynamodb:DeleteItem', param: 'TableName' },
        'states:startExecution': { action: 'states:StartExecution', param: 'StateMachineArn' },
        'events:putEvents': { action: 'events:PutEvents' },
      };
      const m = mapping[`${service}:${api}`];
      if (!m) {
        this.add({ ...base, via, kind, action: `${service}:${api}`, resource, resourceLabel: resource, notModelled: `the ${service}:${api} integration is not modelled` });
        return;
      }
      let target: string;
      if (m.param) {
        target = this.arnOf(params[m.param] ?? params[`${m.param}.$`] ?? '*');
      } else {
        const busName = params.Entries?.[0]?.EventBusName ?? 'default';
        target = this.arnOf(busName, 'AWS::Events::EventBus') ?? busName;
      }
      if (String(target).includes('$')) {
        this.add({ ...base, via, kind, action: m.action, resource: target, resourceLabel: target, notModelled: 'the target is chosen at run time by a JSONPath/JSONata expression' });
        return;
      }
      this.add({ ...base, via, kind, action: m.action, resource: target, resourceLabel: this.labelFor(target) });
      const r = this.model.find(target);
      if (r && (m.action === 'sqs:SendMessage' || m.action === 'sns:Publish')) {
        this.kms({ ...base, via, kind: `${kind} key` }, this.encryptionOf(r), KMS_WRITE, m.action.split(':')[0]);
      }
      return;
    }
    this.add({ ...base, via, kind, action: 'states:*', resource, resourceLabel: resource, notModelled: `task resource ${resource} is not modelled` });
  }

  // ------------------------------------------------------------------------------------------
  // Lambda function role → logs, X-Ray, VPC, destinations, event sources, environment
  // ------------------------------------------------------------------------------------------
  private functions(): void {
    for (const fn of this.model.resources('AWS::Lambda::Function')) {
      const roleArn = this.model.prop(fn, 'Role');
      const role = this.model.find(roleArn);
      const via = `function ${fn.logicalId}`;
      if (!role || role.type !== 'AWS::IAM::Role') {
        this.add({ stack: fn.stack, kind: 'function → *', caller: { kind: 'service', principal: 'lambda.amazonaws.com', label: labelOf(fn) }, action: 'sts:AssumeRole', resource: String(roleArn), resourceLabel: String(roleArn), context: {}, via, notModelled: 'the execution role is not part of the assembly' });
        continue;
      }
      if (this.isCdkInternal(fn)) continue;
      this.assumeRole(fn.stack, 'lambda.amazonaws.com', roleArn, {}, via);
      const caller: Caller = { kind: 'role', role, label: labelOf(role) };
      const base = { stack: fn.stack, caller, context: this.roleContext(role), via };
      const s = this.model.stack(fn.stack);
      const fnName = this.model.attribute(fn.stack, fn.logicalId, 'Ref');
      const logGroup = this.model.prop(fn, 'LoggingConfig')?.LogGroup ?? `/aws/lambda/${fnName}`;
      const streamArn = `arn:${partitionOf(s.region)}:logs:${s.region}:${s.account}:log-group:${logGroup}:log-stream:seams`;
      for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
        this.add({ ...base, kind: 'function → logs', action, resource: streamArn, resourceLabel: this.labelFor(streamArn) });
      }
      if (this.model.prop(fn, 'TracingConfig')?.Mode === 'Active') {
        for (const action of XRAY_LAMBDA_ACTIONS) this.add({ ...base, kind: 'function → X-Ray', action, resource: '*', resourceLabel: '*' });
      }
      if (this.model.prop(fn, 'VpcConfig')) {
        for (const action of VPC_ACTIONS) this.add({ ...base, kind: 'function → VPC', action, resource: '*', resourceLabel: '*' });
      }
      const dlq = this.model.prop(fn, 'DeadLetterConfig')?.TargetArn;
      if (dlq) this.destination(base, 'function → DLQ', dlq);
      for (const cfg of this.model.resources('AWS::Lambda::EventInvokeConfig').filter((c) => this.isFunction(c, 'FunctionName', fn))) {
        const dest = this.model.prop(cfg, 'DestinationConfig') ?? {};
        const viaConfig = { ...base, via: `${via} invoke config ${cfg.logicalId}` };
        if (dest.OnFailure?.Destination) this.destination(viaConfig, 'function → on-failure destination', dest.OnFailure.Destination);
        if (dest.OnSuccess?.Destination) this.destination(viaConfig, 'function → on-success destination', dest.OnSuccess.Destination);
      }
      for (const esm of this.model.resources('AWS::Lambda::EventSourceMapping').filter((e) => this.isFunction(e, 'FunctionName', fn))) {
        this.eventSource({ ...base, via: `${via} event source ${esm.logicalId}` }, esm);
      }
      this.environment(base, fn);
    }
  }

  /** aws-cdk-lib's own deploy-time handlers (custom resources): not part of the run-time seams. */
  public isInternal(fn: ModelResource): boolean {
    return this.isCdkInternal(fn);
  }

  private isCdkInternal(fn: ModelResource): boolean {
    const usedAsProvider = this.model.stacks.some((s) => Object.values<any>(s.template.Resources ?? {}).some((r) => (r.Type.startsWith('Custom::') || r.Type === 'AWS::CloudFormation::CustomResource')
      && this.model.find(this.model.resolve(s.name, r.Properties?.ServiceToken)) === fn));
    return usedAsProvider || /^(BucketNotificationsHandler|CustomCDKBucketDeployment|LogRetention|AWS679f53fac002430cb0da5b7982bd2287|CustomS3AutoDeleteObjects)/.test(fn.logicalId);
  }

  private isFunction(r: ModelResource, prop: string, fn: ModelResource): boolean {
    return this.model.find(this.model.prop(r, prop)) === fn;
  }

  private destination(base: Base, kind: string, arn: string): void {
    const service = /^arn:[^:]+:([a-z0-9-]+):/.exec(arn)?.[1];
    const r = this.model.find(arn);
    const action = { sqs: 'sqs:SendMessage', sns: 'sns:Publish', lambda: 'lambda:InvokeFunction', events: 'events:PutEvents' }[service ?? ''];
    if (!action) {
      this.add({ ...base, kind, action: `${service}:*`, resource: arn, resourceLabel: arn, notModelled: `destinations of service ${service} are not modelled` });
      return;
    }
    this.add({ ...base, kind, action, resource: arn, resourceLabel: this.labelFor(arn) });
    if (r && (service === 'sqs' || service === 'sns')) this.kms({ ...base, kind: `${kind} key` }, this.encryptionOf(r), KMS_WRITE, service);
  }

  private eventSource(base: Base, esm: ModelResource): void {
    const sourceArn: string = this.model.prop(esm, 'EventSourceArn');
    const source = this.model.find(sourceArn);
    const service = /^arn:[^:]+:([a-z0-9-]+):/.exec(sourceArn)?.[1];
    if (service === 'sqs') {
      for (const action of SQS_CONSUMER_ACTIONS) {
        this.add({ ...base, kind: 'function ← queue', action, resource: sourceArn, resourceLabel: this.labelFor(sourceArn) });
      }
      if (source) {
        this.kms({ ...base, kind: 'function ← queue key' }, this.encryptionOf(source), KMS_READ, 'sqs');
        // A consumer of S3 notifications reads the objects they announce.
        for (const { bucket, config } of this.notificationConfigs()) {
          for (const q of config.QueueConfigurations ?? []) {
            if (this.model.find(q.QueueArn ?? q.Queue) !== source) continue;
            // CloudFormation's shape (Filter.S3Key.Rules) or the S3 API's, which aws-cdk-lib's custom resource uses.
            const rules = q.Filter?.S3Key?.Rules ?? q.Filter?.Key?.FilterRules ?? [];
            const prefix = rules.find((r: any) => r.Name.toLowerCase() === 'prefix')?.Value ?? '';
            const suffix = rules.find((r: any) => r.Name.toLowerCase() === 'suffix')?.Value ?? '';
            const objectArn = `${this.model.attribute(bucket.stack, bucket.logicalId, 'Arn')}/${prefix}seams-object${suffix}`;
            for (const action of ['s3:GetObject', 's3:GetObjectVersion']) {
              this.add({ ...base, kind: 'function → notified bucket', action, resource: objectArn, resourceLabel: labelOf(bucket) });
            }
            this.kms({ ...base, kind: 'function → notified bucket key' }, this.bucketKey(bucket), KMS_READ, 's3');
          }
        }
      }
      return;
    }
    if (service === 'dynamodb' || service === 'kinesis') {
      const actions = service === 'dynamodb'
        ? ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams']
        : ['kinesis:DescribeStream', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'];
      for (const action of actions) {
        // dynamodb:ListStreams has no resource-level permission: it is authorized on '*'.
        const resource = action === 'dynamodb:ListStreams' ? '*' : sourceArn;
        this.add({ ...base, kind: `function ← ${service} stream`, action, resource, resourceLabel: resource === '*' ? '*' : this.labelFor(sourceArn) });
      }
      const onFailure = this.model.prop(esm, 'DestinationConfig')?.OnFailure?.Destination;
      if (onFailure) this.destination(base, 'function → stream on-failure destination', onFailure);
      return;
    }
    this.add({ ...base, kind: 'function ← event source', action: `${service}:*`, resource: sourceArn, resourceLabel: String(sourceArn), notModelled: `event sources of service ${service} are not modelled` });
  }

  /** Every table/queue/topic/bucket/bus/secret/state machine/function/proxy the environment names. */
  private environment(base: Base, fn: ModelResource): void {
    const env: Record<string, string> = this.model.prop(fn, 'Environment')?.Variables ?? {};
    const code = this.codeText(fn);
    for (const [name, value] of Object.entries(env)) {
      const r = this.model.find(value) ?? this.proxyByEndpoint(value);
      if (!r) continue;
      const kind = `function → ${r.type.split('::')[2]?.toLowerCase()}`;
      const arn = this.primaryArn(r);
      const b = { ...base, via: `${base.via} env ${name}`, kind };
      switch (r.type) {
        case 'AWS::SQS::Queue':
          if (name === 'JOBS_QUEUE_URL' && 'MAX_RECEIVE_COUNT' in env) {
            // jobWorker's heartbeat: the queue it consumes, named for ChangeMessageVisibility only.
            this.add({ ...b, action: 'sqs:ChangeMessageVisibility', resource: arn, resourceLabel: labelOf(r), via: `${b.via} (jobWorker heartbeat)` });
            break;
          }
          this.add({ ...b, action: 'sqs:SendMessage', resource: arn, resourceLabel: labelOf(r) });
          this.kms({ ...b, kind: `${kind} key` }, this.encryptionOf(r), KMS_WRITE, 'sqs');
          break;
        case 'AWS::SNS::Topic':
          this.add({ ...b, action: 'sns:Publish', resource: arn, resourceLabel: labelOf(r) });
          this.kms({ ...b, kind: `${kind} key` }, this.encryptionOf(r), KMS_WRITE, 'sns');
          break;
        case 'AWS::Events::EventBus':
          this.add({ ...b, action: 'events:PutEvents', resource: arn, resourceLabel: labelOf(r) });
          break;
        case 'AWS::StepFunctions::StateMachine':
          this.add({ ...b, action: 'states:StartExecution', resource: arn, resourceLabel: labelOf(r) });
          break;
        case 'AWS::Lambda::Function':
          this.add({ ...b, action: 'lambda:InvokeFunction', resource: arn, resourceLabel: labelOf(r) });
          break;
        case 'AWS::SecretsManager::Secret':
          this.add({ ...b, action: 'secretsmanager:GetSecretValue', resource: arn, resourceLabel: labelOf(r) });
          this.kms({ ...b, kind: `${kind} key` }, this.secretKey(r), KMS_READ, 'secretsmanager');
          break;
        case 'AWS::DynamoDB::Table': {
          const rule = TABLE_ACCESS.find((t) => t.tableEnv === name && t.when(env, code));
          const scanned = rule ? undefined : dynamoActionsIn(code);
          const actions = rule?.actions ?? scanned ?? [];
          if (actions.length === 0) {
            this.add({ ...b, action: 'dynamodb:*', resource: arn, resourceLabel: labelOf(r), notModelled: `no rule in TABLE_ACCESS for ${name} and no DynamoDB command found in the function's code` });
          }
          for (const action of actions) {
            this.add({ ...b, action, resource: arn, resourceLabel: labelOf(r), via: `${b.via}${rule ? ` (${rule.handler})` : ' (commands in the code)'}` });
          }
          if (r.properties.SSESpecification?.KMSMasterKeyId) {
            this.add({ ...b, kind: `${kind} key`, action: 'kms:Decrypt', resource: String(this.model.prop(r, 'SSESpecification').KMSMasterKeyId), resourceLabel: 'table key', notModelled: 'DynamoDB uses a customer key through grants it creates itself' });
          }
          break;
        }
        case 'AWS::S3::Bucket': {
          const rule = BUCKET_ACCESS[name];
          const actions = rule?.actions ?? s3ActionsIn(code);
          const prefix = rule?.prefixEnv ? env[rule.prefixEnv] ?? '' : '';
          const objectArn = `${arn}/${prefix}seams-object`;
          if (actions.length === 0) {
            this.add({ ...b, action: 's3:*', resource: objectArn, resourceLabel: labelOf(r), notModelled: `no rule in BUCKET_ACCESS for ${name} and no S3 command found in the function's code` });
          }
          for (const action of actions) this.add({ ...b, action, resource: objectArn, resourceLabel: labelOf(r) });
          const writes = actions.some((a) => a === 's3:PutObject');
          this.kms({ ...b, kind: `${kind} key` }, this.bucketKey(r), writes ? KMS_WRITE : KMS_READ, 's3');
          break;
        }
        case 'AWS::RDS::DBProxy': {
          if (env.DB_PASSWORD !== undefined) {
            this.add({ ...b, action: 'rds-db:connect', resource: arn, resourceLabel: labelOf(r), notModelled: 'password mode (DB_PASSWORD): no IAM authentication' });
            break;
          }
          const user = env.DB_USER;
          const proxyId = this.model.attribute(r.stack, r.logicalId, 'DBProxyArn').split(':')[6];
          const ps = this.model.stack(r.stack);
          const dbUser = `arn:${partitionOf(ps.region)}:rds-db:${ps.region}:${ps.account}:dbuser:${proxyId}/${user}`;
          this.add({ ...b, kind: 'function → rds-db:connect', action: 'rds-db:connect', resource: dbUser, resourceLabel: `${labelOf(r)} as ${user}` });
          break;
        }
        case 'AWS::KMS::Key':
          this.add({ ...b, action: 'kms:*', resource: arn, resourceLabel: labelOf(r), notModelled: 'which KMS operations the code performs is not known' });
          break;
        default:
          this.add({ ...b, action: '*', resource: arn, resourceLabel: labelOf(r), notModelled: `an environment variable naming a ${r.type} is not modelled` });
      }
    }
  }

  private proxyByEndpoint(value: string): ModelResource | undefined {
    return this.model.resources('AWS::RDS::DBProxy').find((p) => this.model.attribute(p.stack, p.logicalId, 'Endpoint') === value);
  }

  /** The bundled code of a function (its index.js), to see which SDK commands it sends. */
  private codeText(fn: ModelResource): string | undefined {
    const dir = this.model.codeDirectory(fn);
    if (!dir) return undefined;
    const handler = String(this.model.prop(fn, 'Handler') ?? 'index.handler');
    const file = path.join(dir, `${handler.slice(0, handler.lastIndexOf('.'))}.js`);
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  }

  // ------------------------------------------------------------------------------------------
  // RDS Proxy role → secrets (and the database with IAM auth)
  // ------------------------------------------------------------------------------------------
  private rdsProxies(): void {
    for (const proxy of this.model.resources('AWS::RDS::DBProxy')) {
      const roleArn = this.model.prop(proxy, 'RoleArn');
      const via = `proxy ${proxy.logicalId}`;
      this.assumeRole(proxy.stack, 'rds.amazonaws.com', roleArn, {}, via);
      const role = this.model.find(roleArn);
      if (!role) continue;
      const caller: Caller = { kind: 'role', role, label: labelOf(role) };
      const base = { stack: proxy.stack, caller, context: this.roleContext(role), via };
      for (const auth of this.model.prop(proxy, 'Auth') ?? []) {
        if (!auth.SecretArn) continue;
        const secret = this.model.find(auth.SecretArn);
        this.add({ ...base, kind: 'proxy → secret', action: 'secretsmanager:GetSecretValue', resource: auth.SecretArn, resourceLabel: this.labelFor(auth.SecretArn) });
        if (secret) this.kms({ ...base, kind: 'proxy → secret key' }, this.secretKey(secret), KMS_READ, 'secretsmanager');
      }
      if (this.model.prop(proxy, 'DefaultAuthScheme') === 'IAM_AUTH') {
        const clusters = this.model.resources('AWS::RDS::DBProxyTargetGroup')
          .filter((tg) => this.model.find(this.model.prop(tg, 'DBProxyName')) === proxy)
          .flatMap((tg) => (this.model.prop(tg, 'DBClusterIdentifiers') ?? []).map((id: string) => this.model.find(id)))
          .filter((c: ModelResource | undefined): c is ModelResource => c !== undefined);
        const users = new Set(this.edges.filter((e) => e.kind === 'function → rds-db:connect' && e.resource.includes(this.model.attribute(proxy.stack, proxy.logicalId, 'DBProxyArn').split(':')[6])).map((e) => e.resource.split('/').pop()!));
        for (const cluster of clusters) {
          const cs = this.model.stack(cluster.stack);
          const resourceId = this.model.attribute(cluster.stack, cluster.logicalId, 'DBClusterResourceId');
          for (const user of users) {
            const dbUser = `arn:${partitionOf(cs.region)}:rds-db:${cs.region}:${cs.account}:dbuser:${resourceId}/${user}`;
            this.add({ ...base, kind: 'proxy → rds-db:connect', action: 'rds-db:connect', resource: dbUser, resourceLabel: `${labelOf(cluster)} as ${user}` });
          }
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // CloudFront → S3 origin (OAC), S3 server access logs, HTTP API → Lambda
  // ------------------------------------------------------------------------------------------
  private distributions(): void {
    for (const dist of this.model.resources('AWS::CloudFront::Distribution')) {
      const s = this.model.stack(dist.stack);
      const id = this.model.attribute(dist.stack, dist.logicalId, 'Ref');
      const distArn = `arn:${partitionOf(s.region)}:cloudfront::${s.account}:distribution/${id}`;
      const config = this.model.prop(dist, 'DistributionConfig') ?? {};
      const caller: Caller = { kind: 'service', principal: 'cloudfront.amazonaws.com', label: 'cloudfront.amazonaws.com' };
      const base = { stack: dist.stack, caller, context: this.sourceContext(distArn, s.account), via: `distribution ${dist.logicalId}` };
      for (const origin of config.Origins ?? []) {
        if (!origin.S3OriginConfig) continue;
        const bucket = this.model.resources('AWS::S3::Bucket').find((b) => this.model.attribute(b.stack, b.logicalId, 'RegionalDomainName') === origin.DomainName
          || this.model.attribute(b.stack, b.logicalId, 'DomainName') === origin.DomainName);
        if (!bucket) {
          this.add({ ...base, kind: 'cloudfront → origin', action: 's3:GetObject', resource: origin.DomainName, resourceLabel: origin.DomainName, notModelled: 'the origin bucket is not part of the assembly' });
          continue;
        }
        const objectArn = `${this.model.attribute(bucket.stack, bucket.logicalId, 'Arn')}/seams-object`;
        if (!origin.OriginAccessControlId) {
          this.add({ ...base, kind: 'cloudfront → origin', action: 's3:GetObject', resource: objectArn, resourceLabel: labelOf(bucket), notModelled: 'an origin access identity (legacy OAI) or a public bucket: not modelled' });
          continue;
        }
        this.add({ ...base, via: `${base.via} origin ${origin.Id}`, kind: 'cloudfront → origin', action: 's3:GetObject', resource: objectArn, resourceLabel: labelOf(bucket) });
        this.kms({ ...base, kind: 'cloudfront → origin key', context: kmsSourceContext(caller, base.context) }, this.bucketKey(bucket), KMS_READ, undefined);
      }
      if (config.Logging?.Bucket) {
        this.add({
          ...base,
          kind: 'cloudfront → standard logs',
          action: 's3:PutObject',
          resource: String(config.Logging.Bucket),
          resourceLabel: this.labelFor(config.Logging.Bucket),
          notModelled: 'CloudFront standard logs (legacy) are written by the awslogsdelivery account through a bucket ACL grant, which IAM simulation does not evaluate',
        });
      }
    }
  }

  private accessLogs(): void {
    for (const source of this.model.resources('AWS::S3::Bucket')) {
      const logging = this.model.prop(source, 'LoggingConfiguration');
      if (!logging?.DestinationBucketName) continue;
      const target = this.model.find(logging.DestinationBucketName);
      const caller: Caller = { kind: 'service', principal: 'logging.s3.amazonaws.com', label: 'logging.s3.amazonaws.com' };
      const sourceArn = this.model.attribute(source.stack, source.logicalId, 'Arn');
      const base = { stack: source.stack, caller, context: this.sourceContext(sourceArn, this.model.stack(source.stack).account), via: `access logs of ${source.logicalId}` };
      if (!target) {
        this.add({ ...base, kind: 's3 → access logs', action: 's3:PutObject', resource: String(logging.DestinationBucketName), resourceLabel: String(logging.DestinationBucketName), notModelled: 'the log bucket is not part of the assembly' });
        continue;
      }
      const objectArn = `${this.model.attribute(target.stack, target.logicalId, 'Arn')}/${logging.LogFilePrefix ?? ''}seams-object`;
      const acl = this.model.prop(target, 'AccessControl') === 'LogDeliveryWrite';
      this.add({
        ...base,
        kind: 's3 → access logs',
        action: 's3:PutObject',
        resource: objectArn,
        resourceLabel: labelOf(target),
        notModelled: acl ? 'the log bucket grants the S3 log delivery group through its LogDeliveryWrite ACL, which IAM simulation does not evaluate' : undefined,
      });
    }
  }

  private httpApis(): void {
    for (const route of this.model.resources('AWS::ApiGatewayV2::Route')) {
      const target = this.model.prop(route, 'Target');
      const integrationRef = typeof target === 'string' ? target.replace(/^integrations\//, '') : undefined;
      const integration = this.model.resources('AWS::ApiGatewayV2::Integration').find((i) => i.stack === route.stack && this.model.attribute(i.stack, i.logicalId, 'Ref') === integrationRef);
      if (!integration) continue;
      const uri = this.model.prop(integration, 'IntegrationUri');
      if (!/^arn:[^:]+:lambda:/.test(String(uri))) continue;
      const api = this.model.find(this.model.prop(route, 'ApiId'));
      const s = this.model.stack(route.stack);
      const [method, routePath] = String(this.model.prop(route, 'RouteKey')).split(' ');
      const apiId = api ? this.model.attribute(api.stack, api.logicalId, 'Ref') : 'unknown';
      const sourceArn = `arn:${partitionOf(s.region)}:execute-api:${s.region}:${s.account}:${apiId}/$default/${method === 'ANY' ? 'GET' : method}${routePath ?? ''}`;
      const credentials = this.model.prop(integration, 'CredentialsArn');
      const role = credentials ? this.model.find(credentials) : undefined;
      const caller: Caller = role ? { kind: 'role', role, label: labelOf(role) } : { kind: 'service', principal: 'apigateway.amazonaws.com', label: 'apigateway.amazonaws.com' };
      this.add({
        stack: route.stack,
        kind: 'http api → function',
        caller,
        action: 'lambda:InvokeFunction',
        resource: uri,
        resourceLabel: this.labelFor(uri),
        context: role ? this.roleContext(role) : this.sourceContext(sourceArn, s.account),
        via: `route ${route.logicalId} (${this.model.prop(route, 'RouteKey')})`,
      });
    }
  }

  // ------------------------------------------------------------------------------------------
  // helpers
  // ------------------------------------------------------------------------------------------

  /** A service assumes a role: the role's trust policy must let it, with the source it sends. */
  private assumeRole(stack: string, service: string, roleArn: unknown, context: Record<string, string | string[]>, via: string): void {
    const role = this.model.find(roleArn);
    this.add({
      stack,
      kind: 'service → role (trust)',
      caller: { kind: 'service', principal: service, label: service },
      action: 'sts:AssumeRole',
      resource: String(roleArn),
      resourceLabel: role ? labelOf(role) : String(roleArn),
      context,
      via,
      notModelled: role ? undefined : 'the role is not part of the assembly',
    });
  }

  /** KMS edges for data encrypted with `key`: nothing for SSE with service keys. */
  private kms(base: Base & { kind: string }, key: KeyRef | undefined, actions: string[], viaService: string | undefined): void {
    if (!key) return;
    const region = this.model.stack(base.stack).region;
    const context: Record<string, string | string[]> = { ...base.context };
    if (viaService && base.caller.kind === 'role') {
      context['kms:ViaService'] = `${viaService}.${region}.amazonaws.com`;
      context['kms:CallerAccount'] = this.model.stack(base.caller.role.stack).account;
    }
    for (const action of actions) {
      this.add({
        ...base,
        context,
        action,
        resource: key.arn,
        resourceLabel: key.kind === 'customer' ? labelOf(key.key) : key.kind === 'aws-managed' ? key.alias : key.arn,
        notModelled: key.kind === 'external' ? `the key ${key.arn} is not part of the assembly: its key policy is unknown` : undefined,
      });
    }
  }

  private encryptionOf(r: ModelResource): KeyRef | undefined {
    if (r.type === 'AWS::SQS::Queue' || r.type === 'AWS::SNS::Topic') return keyRef(this.model, r.stack, this.model.prop(r, 'KmsMasterKeyId'));
    return undefined;
  }

  private bucketKey(bucket: ModelResource): KeyRef | undefined {
    const rules = this.model.prop(bucket, 'BucketEncryption')?.ServerSideEncryptionConfiguration ?? [];
    for (const rule of rules) {
      const d = rule.ServerSideEncryptionByDefault;
      if (d?.SSEAlgorithm === 'aws:kms' || d?.SSEAlgorithm === 'aws:kms:dsse') {
        return keyRef(this.model, bucket.stack, d.KMSMasterKeyID ?? 'alias/aws/s3');
      }
    }
    return undefined;
  }

  private secretKey(secret: ModelResource): KeyRef | undefined {
    return keyRef(this.model, secret.stack, this.model.prop(secret, 'KmsKeyId') ?? 'alias/aws/secretsmanager');
  }

  private primaryArn(r: ModelResource): string {
    const attrs = this.model.attributes(r.stack, r.logicalId);
    return attrs.Arn ?? attrs.TopicArn ?? attrs.DBProxyArn ?? attrs.Ref;
  }

  /** The ARN of whatever an identifier (URL, name, ARN) designates. */
  private arnOf(identifier: string, type?: string): string {
    const r = this.model.find(identifier);
    if (r && (!type || r.type === type)) return this.primaryArn(r);
    return identifier;
  }

  private labelFor(identifier: unknown): string {
    const r = this.model.find(identifier);
    return r ? labelOf(r) : String(identifier);
  }

  private list(r: ModelResource, prop: string): string[] {
    const v = this.model.prop(r, prop);
    return Array.isArray(v) ? v.map(String) : [];
  }

  /** What a service principal sends when it acts for a resource (confused-deputy keys). */
  private sourceContext(sourceArn: string, sourceAccount: string): Record<string, string> {
    return { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': sourceAccount };
  }

  /** What a request signed with a role's session carries. */
  private roleContext(role: ModelResource): Record<string, string> {
    return {
      'aws:PrincipalArn': this.model.attribute(role.stack, role.logicalId, 'Arn'),
      'aws:PrincipalAccount': this.model.stack(role.stack).account,
      'aws:PrincipalType': 'AssumedRole',
    };
  }

  private add(edge: Edge): void {
    this.edges.push(edge);
  }
}

/**
 * The resources that make service-to-service calls (or are the configuration of one), each with
 * the marker its edges carry in `via`. `uncoveredResources` lists those without an edge, so a
 * resource of a kind the enumeration forgot does not pass unnoticed.
 */
export function seamResources(model: SeamModel): { resource: ModelResource; marker: string }[] {
  const out: { resource: ModelResource; marker: string }[] = [];
  const add = (type: string, marker: (r: ModelResource) => string, when: (r: ModelResource) => boolean = () => true) => {
    for (const r of model.resources(type)) if (when(r)) out.push({ resource: r, marker: marker(r) });
  };
  const hasActions = (r: ModelResource) => ['AlarmActions', 'OKActions', 'InsufficientDataActions'].some((p) => (model.prop(r, p) ?? []).length > 0);
  add('AWS::CloudWatch::Alarm', (r) => `alarm ${r.logicalId}`, hasActions);
  add('Custom::S3BucketNotifications', (r) => `notification ${r.logicalId}`);
  add('AWS::S3::Bucket', (r) => `notification of ${r.logicalId}`, (r) => !!r.properties.NotificationConfiguration);
  add('AWS::S3::Bucket', (r) => `access logs of ${r.logicalId}`, (r) => !!r.properties.LoggingConfiguration);
  add('AWS::SNS::Subscription', (r) => `subscription ${r.logicalId}`);
  add('AWS::Events::Rule', (r) => `rule ${r.logicalId}`, (r) => (r.properties.Targets ?? []).length > 0);
  add('AWS::Scheduler::Schedule', (r) => `schedule ${r.logicalId}`);
  add('AWS::StepFunctions::StateMachine', (r) => `state machine ${r.logicalId}`);
  add('AWS::Lambda::Function', (r) => `function ${r.logicalId}`);
  add('AWS::Lambda::EventSourceMapping', (r) => `event source ${r.logicalId}`);
  add('AWS::Lambda::EventInvokeConfig', (r) => `invoke config ${r.logicalId}`, (r) => !!r.properties.DestinationConfig);
  add('AWS::RDS::DBProxy', (r) => `proxy ${r.logicalId}`);
  add('AWS::CloudFront::Distribution', (r) => `distribution ${r.logicalId}`);
  add('AWS::ApiGatewayV2::Route', (r) => `route ${r.logicalId}`, (r) => typeof r.properties.Target !== 'undefined');
  return out;
}

/** Seam resources that no edge goes through (aws-cdk-lib's deploy-time handler functions excepted). */
export function uncoveredResources(model: SeamModel, edges: Edge[]): string[] {
  const vias = edges.map((e) => ` ${e.stack} ${e.via} `);
  const internal = new Set(model.resources('AWS::Lambda::Function').filter((fn) => new EdgeFinder(model).isInternal(fn)).map(labelOf));
  return seamResources(model)
    .filter(({ resource }) => !internal.has(labelOf(resource)))
    .filter(({ resource, marker }) => !vias.some((v) => v.startsWith(` ${resource.stack} `) && v.includes(` ${marker} `)))
    .map(({ resource }) => `${labelOf(resource)} (${resource.type})`);
}

/** Every state of a definition, including Parallel branches and Map item processors. */
function allStates(definition: any, prefix = ''): { name: string; def: any }[] {
  const out: { name: string; def: any }[] = [];
  for (const [name, def] of Object.entries<any>(definition?.States ?? {})) {
    out.push({ name: `${prefix}${name}`, def });
    for (const branch of def.Branches ?? []) out.push(...allStates(branch, `${prefix}${name}/`));
    if (def.Iterator) out.push(...allStates(def.Iterator, `${prefix}${name}/`));
    if (def.ItemProcessor) out.push(...allStates(def.ItemProcessor, `${prefix}${name}/`));
  }
  return out;
}

const DYNAMO_COMMANDS: Record<string, string> = {
  GetCommand: 'GetItem',
  GetItemCommand: 'GetItem',
  PutCommand: 'PutItem',
  PutItemCommand: 'PutItem',
  UpdateCommand: 'UpdateItem',
  UpdateItemCommand: 'UpdateItem',
  DeleteCommand: 'DeleteItem',
  DeleteItemCommand: 'DeleteItem',
  QueryCommand: 'Query',
  ScanCommand: 'Scan',
  BatchGetCommand: 'BatchGetItem',
  BatchGetItemCommand: 'BatchGetItem',
  BatchWriteCommand: 'BatchWriteItem',
  BatchWriteItemCommand: 'BatchWriteItem',
};

/** The DynamoDB actions of the commands a bundle sends (`x.GetCommand` with x = require("@aws-sdk/lib-dynamodb")). */
export function dynamoActionsIn(code: string | undefined): string[] | undefined {
  const commands = commandsOf(code, /^@aws-sdk\/(lib-dynamodb|client-dynamodb)$/);
  if (!commands) return undefined;
  return [...new Set(commands.map((c) => DYNAMO_COMMANDS[c]).filter(Boolean).map((a) => `dynamodb:${a}`))];
}

/** The S3 actions of the commands a bundle sends. */
export function s3ActionsIn(code: string | undefined): string[] {
  const commands = commandsOf(code, /^@aws-sdk\/client-s3$/) ?? [];
  return [...new Set(commands.map((c) => `s3:${c.replace(/Command$/, '')}`))];
}

function commandsOf(code: string | undefined, module: RegExp): string[] | undefined {
  if (code === undefined) return undefined;
  const vars = [...code.matchAll(/([A-Za-z_$][\w$]*)\s*=\s*(?:[A-Za-z_$][\w$]*\()?require\("([^"]+)"\)/g)]
    .filter((m) => module.test(m[2])).map((m) => m[1]);
  const found: string[] = [];
  for (const v of vars) {
    const escaped = v.replace(/\$/g, '\\$');
    for (const m of code.matchAll(new RegExp(`(?<![\\w$])${escaped}\\.([A-Z]\\w*Command)\\b`, 'g'))) found.push(m[1]);
  }
  return found;
}
