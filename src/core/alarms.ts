import * as sns from 'aws-cdk-lib/aws-sns';

/** Where the alarms of a construct are sent. */
export interface AlarmOptions {
  /**
   * An SNS topic that receives every alarm (and its return to OK) of this construct, so a platform
   * team routes all alarms to one place.
   *
   * The construct lets CloudWatch alarms of the topic's account and region publish to it: a
   * statement for `cloudwatch.amazonaws.com` (conditioned on `aws:SourceAccount` and
   * `aws:SourceArn`) in the topic policy and, for a topic encrypted with a `kms.Key` of the app,
   * `kms:Decrypt` + `kms:GenerateDataKey*` in the key policy, which CloudWatch needs to publish to
   * an encrypted topic. The policies of an imported topic or key cannot be changed: grant the same
   * there.
   *
   * @default - alarms are created without actions; wire them yourself through `alarms`
   */
  readonly alarmTopic?: sns.ITopic;
}
