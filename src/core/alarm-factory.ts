import { Annotations, ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AlarmOverride, AlarmsOptions } from './alarms';
import { PatternValidationError } from './errors';
import { validateIntegerRange } from './validation';

/** What one alarm watches. */
export interface AlarmSpec {
  /** The metric to watch (its period is the alarm's default period). */
  readonly metric: cloudwatch.IMetric;
  /** Fires when the metric is >= this value. */
  readonly threshold: number;
  /** What the alarm means and what to do about it. */
  readonly description: string;
  /** Consecutive periods that must breach. @default 1 */
  readonly evaluationPeriods?: number;
  /** Periods of `evaluationPeriods` that must breach. @default evaluationPeriods */
  readonly datapointsToAlarm?: number;
  /** Off unless the user turns it on through an override. @default true */
  readonly enabledByDefault?: boolean;
}

/**
 * Creates an alarm with this library's uniform settings: `>=` threshold, missing data is not
 * breaching (a quiet queue is healthy), and the actions of the options (the topic's policies
 * extended so CloudWatch may publish) for both ALARM and OK.
 */
function buildAlarm(scope: Construct, id: string, spec: AlarmSpec, options: AlarmsOptions, override: AlarmOverride = {}): cloudwatch.Alarm {
  const period = override.period;
  const metric = period ? withPeriod(spec.metric, period) : spec.metric;
  const evaluationPeriods = override.evaluationPeriods ?? spec.evaluationPeriods ?? 1;
  const datapointsToAlarm = override.datapointsToAlarm ?? (override.evaluationPeriods === undefined ? spec.datapointsToAlarm : undefined);
  const alarm = new cloudwatch.Alarm(scope, id, {
    metric,
    threshold: override.threshold ?? spec.threshold,
    evaluationPeriods,
    datapointsToAlarm,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    alarmDescription: spec.description,
  });
  const actions: cloudwatch.IAlarmAction[] = [...(options.actions ?? [])];
  if (options.topic) {
    allowCloudWatchAlarms(options.topic);
    actions.push(new cloudwatchActions.SnsAction(options.topic));
  }
  if (actions.length > 0) {
    alarm.addAlarmAction(...actions);
    alarm.addOkAction(...actions);
  }
  return alarm;
}

function withPeriod(metric: cloudwatch.IMetric, period: Duration): cloudwatch.IMetric {
  if (metric instanceof cloudwatch.Metric || metric instanceof cloudwatch.MathExpression) return metric.with({ period });
  return metric;
}

/**
 * The alarms of one pattern: applies its `AlarmsOptions` (on/off, topic, actions, per-alarm
 * overrides) to every alarm its parts create, and fails synth on an override whose name no part
 * has, listing the names there are.
 */
export class PatternAlarms {
  /** Every alarm created, in creation order. */
  public readonly alarms: cloudwatch.Alarm[] = [];
  private readonly known = new Set<string>();

  constructor(owner: Construct, private readonly options: AlarmsOptions = {}, prop = 'alarms') {
    const overrides = options.overrides ?? {};
    for (const [name, override] of Object.entries(overrides)) {
      validateIntegerRange(owner, `${prop}.overrides['${name}'].evaluationPeriods`, override.evaluationPeriods, 1, 100);
      validateIntegerRange(owner, `${prop}.overrides['${name}'].datapointsToAlarm`, override.datapointsToAlarm, 1, override.evaluationPeriods ?? 100);
      if (override.period && !override.period.isUnresolved() && (override.period.toSeconds() < 60 || override.period.toSeconds() % 60 !== 0)) {
        throw new PatternValidationError(owner, `${prop}.overrides['${name}'].period must be 1 minute or a multiple of it, got ${override.period.toHumanString()}`);
      }
    }
    if (options.enabled === false && Object.keys(overrides).length > 0) {
      throw new PatternValidationError(owner, `${prop}.overrides cannot change alarms when ${prop}.enabled is false (no alarm is created): remove one of them`);
    }
    owner.node.addValidation({
      validate: () => {
        const unknown = Object.keys(overrides).filter((name) => !this.known.has(name));
        if (unknown.length === 0) return [];
        return [`${prop}.overrides names ${unknown.map((n) => `'${n}'`).join(', ')}, which this construct does not have; its alarms are ${[...this.known].sort().map((n) => `'${n}'`).join(', ') || 'none'}`];
      },
    });
  }

  /**
   * Creates the alarm `name` (`'<Part>.<Alarm>'`) as construct `id` in `scope`, or nothing when
   * alarms are off or this one is disabled.
   */
  public create(scope: Construct, id: string, name: string, spec: AlarmSpec): cloudwatch.Alarm | undefined {
    this.known.add(name);
    if (this.options.enabled === false) return undefined;
    const override = this.options.overrides?.[name] ?? {};
    if (!(override.enabled ?? spec.enabledByDefault ?? true)) return undefined;
    const alarm = buildAlarm(scope, id, spec, this.options, override);
    this.alarms.push(alarm);
    return alarm;
  }

  /** The same options, narrowed to one part: `<part>.<Alarm>` overrides become `<Alarm>` ones. */
  public forPart(part: string): AlarmSink {
    return new AlarmSink(this, part);
  }
}

/** A part's view of its pattern's alarms (a function, a queue): names are prefixed with the part. */
export class AlarmSink {
  constructor(private readonly parent: PatternAlarms, private readonly part: string) {}
  public create(scope: Construct, id: string, alarm: string, spec: AlarmSpec): cloudwatch.Alarm | undefined {
    return this.parent.create(scope, id, this.part ? `${this.part}.${alarm}` : alarm, spec);
  }
}

/** Topics whose policies already let CloudWatch alarms publish (once per topic, however many alarms). */
const ALLOWED_TOPICS = new WeakSet<sns.ITopic>();

/**
 * Lets CloudWatch alarms of the topic's account and region publish to the topic: a statement for
 * `cloudwatch.amazonaws.com` in the topic policy and, when the topic is encrypted with a customer
 * key of the app, `kms:Decrypt` + `kms:GenerateDataKey*` in that key's policy (SNS Developer
 * Guide, "Enable compatibility between event sources from AWS services and encrypted topics").
 * Both are conditioned on `aws:SourceAccount` and `aws:SourceArn` (alarms of the account and
 * region), so no other account's alarm can use them.
 *
 * This is what aws-cdk-lib does for the other services that deliver to a resource
 * (`s3n.SqsDestination` adds the queue key's statement for S3, `targets.SnsTopic` the topic
 * statement for EventBridge); CloudWatch's `SnsAction` does not, so an alarm topic with a customer
 * key deployed cleanly and dropped every notification. An imported topic or key cannot be
 * changed: its owner must grant the same (a warning says so for an imported key).
 */
function allowCloudWatchAlarms(topic: sns.ITopic): void {
  if (ALLOWED_TOPICS.has(topic)) return;
  ALLOWED_TOPICS.add(topic);
  const stack = Stack.of(topic);
  const principal = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
  const conditions = {
    StringEquals: { 'aws:SourceAccount': stack.account },
    ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
  };
  topic.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'AllowCloudWatchAlarmsToPublish',
    principals: [principal],
    actions: ['sns:Publish'],
    resources: [topic.topicArn],
    conditions,
  }));
  const key = topic instanceof sns.Topic ? topic.masterKey : undefined;
  if (!key) return;
  const added = key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'AllowCloudWatchAlarmsToUseTheKey',
    principals: [principal],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: ['*'],
    conditions,
  }), true);
  if (!added.statementAdded) {
    Annotations.of(topic).addWarningV2('cdk-serverless-patterns:alarmTopicKeyPolicy',
      `The alarm topic ${topic.node.path} is encrypted with an imported key whose policy this app cannot change: CloudWatch can publish only if that key policy `
      + 'allows cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey* (conditioned on aws:SourceAccount); without it every alarm notification is dropped');
  }
}
