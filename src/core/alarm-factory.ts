import { Annotations, ArnFormat, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AlarmOptions } from './alarms';

/** What one alarm watches. */
export interface AlarmSpec {
  /** The metric to watch. */
  readonly metric: cloudwatch.IMetric;
  /** Fires when the metric is >= this value. */
  readonly threshold: number;
  /** What the alarm means and what to do about it. */
  readonly description: string;
  /** Consecutive periods that must breach. @default 1 */
  readonly evaluationPeriods?: number;
}

/**
 * Creates an alarm with this library's uniform settings: `>=` threshold, missing data is not
 * breaching (a quiet queue is healthy), and the optional alarm topic for both ALARM and OK.
 */
export function createAlarm(scope: Construct, id: string, spec: AlarmSpec, options: AlarmOptions = {}): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    metric: spec.metric,
    threshold: spec.threshold,
    evaluationPeriods: spec.evaluationPeriods ?? 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    alarmDescription: spec.description,
  });
  if (options.alarmTopic) {
    allowCloudWatchAlarms(options.alarmTopic);
    const action = new cloudwatchActions.SnsAction(options.alarmTopic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
  return alarm;
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
