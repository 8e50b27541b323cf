import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sns from 'aws-cdk-lib/aws-sns';

/**
 * Changes to one of a pattern's alarms, by its name (e.g. `Worker.ErrorRate`,
 * `Queue.DeadLetters`). Each pattern's page lists its alarms, their defaults and their names.
 */
export interface AlarmOverride {
  /**
   * Create this alarm. Some alarms are off by default (e.g. `<Function>.Duration`) and are turned
   * on here.
   *
   * @default - the alarm's own default (on for every alarm that needs a human)
   */
  readonly enabled?: boolean;
  /**
   * The threshold the metric is compared with (`>=`), in the alarm's unit (a count, a percentage,
   * seconds or milliseconds: see the pattern's page).
   *
   * @default - the alarm's default
   */
  readonly threshold?: number;
  /**
   * The period over which the metric is aggregated, 1 minute or a multiple of it.
   *
   * @default - the alarm's default
   */
  readonly period?: Duration;
  /**
   * The number of most recent periods evaluated, 1 to 100.
   *
   * @default - the alarm's default
   */
  readonly evaluationPeriods?: number;
  /**
   * How many of those periods must breach ("M out of N"), 1 to `evaluationPeriods`.
   *
   * @default - the alarm's default (usually all of them)
   */
  readonly datapointsToAlarm?: number;
}

/**
 * The alarms of a pattern: whether they exist, where they go, and per-alarm changes.
 *
 * The defaults page only on what needs a human: a message or event in a dead-letter queue, work
 * waiting too long, a sustained error *rate* (not a single error that a retry absorbs) and
 * throttling of a function that callers wait for.
 */
export interface AlarmsOptions {
  /**
   * Create the pattern's alarms. `false` creates none (overrides are then rejected).
   *
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * An SNS topic that receives every alarm and its return to OK, so a platform team routes all
   * alarms to one place.
   *
   * The construct lets CloudWatch alarms of the topic's account and region publish to it: a
   * statement for `cloudwatch.amazonaws.com` (conditioned on `aws:SourceAccount` and
   * `aws:SourceArn`) in the topic policy and, for a topic encrypted with a `kms.Key` of the app,
   * `kms:Decrypt` + `kms:GenerateDataKey*` in the key policy, which CloudWatch needs to publish to
   * an encrypted topic. The policies of an imported topic or key cannot be changed: grant the same
   * there.
   *
   * @default - no topic
   */
  readonly topic?: sns.ITopic;
  /**
   * Further actions on ALARM (and on OK), e.g. an `SnsAction` of a topic in another account or an
   * incident-manager action. With an SNS action on an encrypted topic, its key policy must let
   * CloudWatch use the key (use `topic` for topics of this app: it grants that).
   *
   * @default - none
   */
  readonly actions?: cloudwatch.IAlarmAction[];
  /**
   * Changes to single alarms by name (`'<Part>.<Alarm>'`, e.g. `'Worker.ErrorRate'`); an unknown
   * name fails synth, listing the names the pattern has.
   *
   * @default - every alarm with its defaults
   */
  readonly overrides?: { [name: string]: AlarmOverride };
}
