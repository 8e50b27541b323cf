import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
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
    const action = new cloudwatchActions.SnsAction(options.alarmTopic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
  return alarm;
}
