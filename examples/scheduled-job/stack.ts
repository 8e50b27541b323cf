import * as path from 'path';
import { Duration, Stack, StackProps, TimeZone } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { Handler, JobSchedule, ScheduledJob } from '../../src';
import { exampleHandlerCode } from '../bundle';

/** A nightly report at 02:00 Paris time, one run at a time, with a bounded retry policy and a DLQ. */
export class ScheduledJobExampleStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps & { alarmTopic: sns.ITopic }) {
    super(scope, id, props);
    new ScheduledJob(this, 'NightlyReport', {
      schedule: JobSchedule.cron({ minute: '0', hour: '2' }),
      timeZone: TimeZone.EUROPE_PARIS,
      handler: Handler.fromCode(exampleHandlerCode(path.join(__dirname, 'handlers', 'nightly-report.ts')), {
        handler: 'index.handler',
        timeout: Duration.minutes(5),
      }),
      payload: { report: 'daily-sales', lookbackDays: 1 },
      preventOverlap: true,
      alarms: { topic: props.alarmTopic },
    });
  }
}
