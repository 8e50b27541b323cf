import * as sns from 'aws-cdk-lib/aws-sns';

/** Where the alarms of a construct are sent. */
export interface AlarmOptions {
  /**
   * An SNS topic that receives every alarm (and its return to OK) of this construct, so a platform
   * team routes all alarms to one place.
   *
   * @default - alarms are created without actions; wire them yourself through `alarms`
   */
  readonly alarmTopic?: sns.ITopic;
}
