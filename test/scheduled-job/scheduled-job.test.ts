import { App, Duration, Stack, TimeZone } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Handler, JobSchedule, ProxiedDatabase, ScheduledJob, ScheduledJobProps, ServerlessFunction } from '../../src';
import { nagErrors } from '../helpers/nag';

const code = lambda.Code.fromInline('exports.handler = async () => {}');
const handler = Handler.fromCode(code, { handler: 'index.handler' });

/** A function of the app, as a user would pass it to Handler.fromFunction. */
function existingFunction(stack: Stack, props: Partial<lambda.FunctionProps> = {}): lambda.Function {
  return new lambda.Function(stack, 'Report', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code, timeout: Duration.minutes(2), ...props });
}

/** The names of the alarms created, from their construct paths (`<Part>.<Alarm>` is in the description). */
function alarmIds(j: ScheduledJob): string[] {
  return j.alarms.map((a) => a.node.path.split('/').slice(2).join('/')).sort();
}

function job(props: Partial<ScheduledJobProps> = {}): { stack: Stack; job: ScheduledJob; template: Template } {
  const stack = new Stack(new App(), 'Stack');
  const j = new ScheduledJob(stack, 'Nightly', { schedule: JobSchedule.cron({ minute: '0', hour: '2' }), handler, ...props });
  return { stack, job: j, template: Template.fromStack(stack) };
}

describe('the schedule', () => {
  test('uses EventBridge Scheduler with the cron expression and time zone, not an EventBridge rule', () => {
    // GIVEN / WHEN
    const { template } = job({ timeZone: TimeZone.EUROPE_PARIS });
    // THEN
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 2 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
    });
    template.resourceCountIs('AWS::Events::Rule', 0);
  });

  test('targets the job function with a 3-attempt, 1-hour retry policy and a dead-letter queue by default', () => {
    const { stack, job: j, template } = job();
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: {
        Arn: stack.resolve(j.handlerFunction!.functionArn),
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: stack.resolve(j.deadLetterQueue.queueArn) },
        RoleArn: stack.resolve(j.schedulerRole.roleArn),
      },
    });
  });

  test('takes the retry policy from retryAttempts and maxEventAge', () => {
    const { template } = job({ retryAttempts: 0, maxEventAge: Duration.minutes(10) });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: { RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 600 } },
    });
  });

  test('is enabled, has no flexible time window and sends no payload by default', () => {
    const { template } = job();
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Input: Match.absent() },
    });
  });

  test('can be disabled, given a flexible time window and a static payload', () => {
    const { template } = job({ enabled: false, flexibleTimeWindow: Duration.minutes(15), payload: { report: 'daily', limit: 10 } });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      State: 'DISABLED',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 },
      Target: { Input: JSON.stringify({ report: 'daily', limit: 10 }) },
    });
  });

  test('lives in a schedule group of its own by default', () => {
    const { stack, job: j, template } = job();
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', { GroupName: stack.resolve(j.scheduleGroup.scheduleGroupName) });
  });

  test('uses the schedule group it is given', () => {
    const stack = new Stack(new App(), 'Stack');
    const group = new scheduler.ScheduleGroup(stack, 'Jobs', { scheduleGroupName: 'jobs' });
    new ScheduledJob(stack, 'Nightly', { schedule: JobSchedule.rate(Duration.hours(1)), handler, scheduleGroup: group });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', { GroupName: 'jobs' });
  });

  test('renders rates in the largest whole unit', () => {
    expect(JobSchedule.rate(Duration.minutes(1)).expressionString).toBe('rate(1 minute)');
    expect(JobSchedule.rate(Duration.minutes(90)).expressionString).toBe('rate(90 minutes)');
    expect(JobSchedule.rate(Duration.hours(2)).expressionString).toBe('rate(2 hours)');
    expect(JobSchedule.rate(Duration.days(1)).expressionString).toBe('rate(1 day)');
  });

  test('evaluates schedules in UTC by default', () => {
    const { template } = job();
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpressionTimezone: 'Etc/UTC' });
  });

  test('renders a one-time schedule in UTC without a time zone', () => {
    const { template } = job({ schedule: JobSchedule.at(new Date('2027-03-01T09:30:00Z')) });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'at(2027-03-01T09:30:00)',
      ScheduleExpressionTimezone: 'Etc/UTC',
    });
  });

  test('renders a one-time schedule as the wall-clock time of its time zone', () => {
    const { template } = job({ schedule: JobSchedule.at(new Date('2027-03-01T09:30:00Z')), timeZone: TimeZone.EUROPE_PARIS });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'at(2027-03-01T10:30:00)',
      ScheduleExpressionTimezone: 'Europe/Paris',
    });
  });

  test('warns that a one-time schedule in the past will never run', () => {
    const { stack } = job({ schedule: JobSchedule.at(new Date('2020-01-01T00:00:00Z')) });
    Annotations.fromStack(stack).hasWarning('/Stack/Nightly', Match.stringLikeRegexp('at\\(2020-01-01T00:00:00\\) \\(UTC\\) is in the past: it will never run'));
  });

  test('warns that a time zone has no effect on a rate schedule', () => {
    const { stack } = job({ schedule: JobSchedule.rate(Duration.minutes(5)), timeZone: TimeZone.EUROPE_PARIS });
    Annotations.fromStack(stack).hasWarning('/Stack/Nightly', Match.stringLikeRegexp('has no effect on the rate schedule'));
  });
});

describe('the cron expression', () => {
  test.each([
    [{ minute: '0', hour: '2' }, 'cron(0 2 * * ? *)'],
    [{ minute: '*/15' }, 'cron(*/15 * * * ? *)'],
    [{ minute: '0', hour: '9', weekDay: 'MON-FRI' }, 'cron(0 9 ? * MON-FRI *)'],
    [{ minute: '0', hour: '8', day: 'L' }, 'cron(0 8 L * ? *)'],
    [{ minute: '0', hour: '8', day: '15W' }, 'cron(0 8 15W * ? *)'],
    [{ minute: '0', hour: '8', weekDay: '6L' }, 'cron(0 8 ? * 6L *)'],
    [{ minute: '0', hour: '8', weekDay: '3#2' }, 'cron(0 8 ? * 3#2 *)'],
    [{ minute: '5,35', hour: '0-23/2', day: '1', month: 'JAN,JUL' }, 'cron(5,35 0-23/2 1 JAN,JUL ? *)'],
    [{ minute: '0', hour: '12', day: '?', weekDay: 'SUN' }, 'cron(0 12 ? * SUN *)'],
    [{ minute: '0', hour: '0', day: '1', month: '1', year: '2027-2030' }, 'cron(0 0 1 1 ? 2027-2030)'],
  ])('%j is valid and renders %s', (options, expression) => {
    const { template } = job({ schedule: JobSchedule.cron(options) });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: expression });
  });

  test.each([
    [{ minute: '60' }, /cron minute must be 0-59 with , - \* \/, got '60' \(60 is outside 0-59\)/],
    [{ minute: '0', hour: '24' }, /cron hour must be 0-23 with , - \* \/, got '24' \(24 is outside 0-23\)/],
    [{ minute: '0', day: '0' }, /cron day must be 1-31 with , - \* \? \/ L W, got '0' \(0 is outside 1-31\)/],
    [{ minute: '0', day: '32' }, /cron day must be 1-31 .*, got '32' \(32 is outside 1-31\)/],
    [{ minute: '0', month: '13' }, /cron month must be 1-12 or JAN-DEC with , - \* \/, got '13' \(13 is outside 1-12\)/],
    [{ minute: '0', month: 'JANUARY' }, /cron month .*, got 'JANUARY' \('JANUARY' is not a number or a name\)/],
    [{ minute: '0', weekDay: '8' }, /cron weekDay must be 1-7 or SUN-SAT with , - \* \? L #, got '8' \(8 is outside 1-7\)/],
    [{ minute: '0', weekDay: 'MON/2' }, /cron weekDay .*, got 'MON\/2' \('\/' is not allowed in weekDay\)/],
    [{ minute: '0', weekDay: '2#6' }, /cron weekDay .*, got '2#6' \('#6': the instance of a day in a month is 1-5\)/],
    [{ minute: '0', year: '1969' }, /cron year must be 1970-2199 with , - \* \/, got '1969' \(1969 is outside 1970-2199\)/],
    [{ minute: '0', year: '2200' }, /cron year .*, got '2200' \(2200 is outside 1970-2199\)/],
    [{ minute: '?' }, /cron minute .*, got '\?' \('\?' is allowed in day and weekDay only\)/],
    [{ minute: '*/0' }, /cron minute .*, got '\*\/0' \(the increment after '\/' must be 1-59\)/],
    [{ minute: '30-10' }, /cron minute .*, got '30-10' \(the range '30-10' runs backwards\)/],
    [{ minute: '1,,2' }, /cron minute .*, got '1,,2' \(empty list item\)/],
    [{ minute: '0 0' }, /cron minute .*, got '0 0' \(a field has no spaces\)/],
    [{ minute: '0', hour: 'L' }, /cron hour .*, got 'L' \('L' is not a number\)/],
  ])('fails for %j with a message naming the field, the rule and the value', (options, message) => {
    expect(() => job({ schedule: JobSchedule.cron(options) })).toThrow(message);
  });

  test('fails when both day and weekDay restrict the date', () => {
    expect(() => job({ schedule: JobSchedule.cron({ minute: '0', day: '1', weekDay: 'MON' }) }))
      .toThrow(/Stack\/Nightly: schedule: cron day and weekDay: exactly one must be '\?' .*, got day '1' and weekDay 'MON'/);
  });

  test('fails when neither day nor weekDay restricts the date', () => {
    expect(() => job({ schedule: JobSchedule.cron({ minute: '0', day: '?' }) }))
      .toThrow(/cron day and weekDay: exactly one must be '\?' .*, got day '\?' and weekDay '\?'/);
  });
});

describe('validation', () => {
  test('fails for a rate under one minute', () => {
    expect(() => job({ schedule: JobSchedule.rate(Duration.seconds(30)) }))
      .toThrow(/Stack\/Nightly: schedule: JobSchedule.rate\(\) must be at least 1 minute .*, got 30 seconds/);
  });

  test('fails for a rate that is not a whole number of minutes', () => {
    expect(() => job({ schedule: JobSchedule.rate(Duration.seconds(90)) }))
      .toThrow(/JobSchedule.rate\(\) must be a whole number of minutes .*, got 1 minute 30 seconds/);
  });

  test('fails for an invalid date', () => {
    expect(() => job({ schedule: JobSchedule.at(new Date('not a date')) })).toThrow(/JobSchedule.at\(\) needs a valid date/);
  });

  test.each(['Europe/Pariss', 'CEST', '+01:00', 'Mars/Olympus_Mons', ''])('fails for TimeZone.of(%j), which is not an IANA name', (name) => {
    expect(() => job({ timeZone: TimeZone.of(name) }))
      .toThrow(new RegExp(`timeZone must be an IANA time zone such as TimeZone.EUROPE_PARIS or TimeZone.of\\('UTC'\\), got '${name.replace('+', '\\+')}'`));
  });

  test.each([TimeZone.of('UTC'), TimeZone.AMERICA_ARGENTINA_BUENOS_AIRES, TimeZone.ASIA_KOLKATA, TimeZone.ETC_GMT_PLUS_2])('accepts the IANA time zone %o', (timeZone) => {
    expect(() => job({ timeZone })).not.toThrow();
  });

  test('fails for a handler timeout over 15 minutes, naming the prop', () => {
    expect(() => job({ handler: Handler.fromCode(code, { handler: 'index.handler', timeout: Duration.minutes(16) }) }))
      .toThrow(/Stack\/Nightly: handler.timeout must be between 1 second and 15 minutes, got 16 minutes/);
  });

  test('fails without a target', () => {
    expect(() => job({ handler: undefined })).toThrow(/Stack\/Nightly: the job needs a target: give handler \(a Handler, e.g. Handler.fromAsset\(.*\)\) or stateMachine/);
  });

  test('fails with two targets', () => {
    const stack = new Stack();
    const machine = new sfn.StateMachine(stack, 'Report', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Work')) });
    expect(() => new ScheduledJob(stack, 'Nightly', { schedule: JobSchedule.rate(Duration.hours(1)), handler, stateMachine: machine }))
      .toThrow(/the job's target is either handler or stateMachine, got both: remove one/);
  });

  test('fails for a database with a state machine target, which runs no function of the job', () => {
    const stack = new Stack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const database = new ProxiedDatabase(stack, 'Db', { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
    const machine = new sfn.StateMachine(stack, 'Report', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Work')) });
    expect(() => new ScheduledJob(stack, 'Nightly', { schedule: JobSchedule.rate(Duration.hours(1)), stateMachine: machine, database }))
      .toThrow(/database would be ignored: the job starts a stateMachine and runs no function of its own/);
  });

  test('fails for databaseUser without a database', () => {
    expect(() => job({ databaseUser: 'reports' })).toThrow(/databaseUser applies only with database, which is not set/);
  });

  test('fails for retryAttempts above Scheduler\'s 185', () => {
    expect(() => job({ retryAttempts: 186 })).toThrow(/retryAttempts must be an integer between 0 and 185, got 186/);
  });

  test('fails for maxEventAge above 24 hours', () => {
    expect(() => job({ maxEventAge: Duration.hours(25) })).toThrow(/maxEventAge must be between 1 minute and 1 day, got 1 day 1 hour/);
  });

  test('fails for a flexible time window above 1440 minutes', () => {
    expect(() => job({ flexibleTimeWindow: Duration.minutes(1441) })).toThrow(/flexibleTimeWindow must be between 1 minute and 1 day, got 1 day 1 minute/);
  });

});

describe('the target', () => {
  test('is a ServerlessFunction invoked asynchronously, with an on-failure queue for runs that fail', () => {
    const { job: j } = job();
    expect(j.handlerFunction).toBeInstanceOf(ServerlessFunction);
    expect((j.handlerFunction as ServerlessFunction).failureQueue).toBeDefined();
    Template.fromStack(Stack.of(j)).hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2 });
  });

  test('has no reserved concurrency unless preventOverlap is set', () => {
    const { template } = job();
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: Match.absent() });
  });

  test('prevents overlapping runs without reserving concurrency (a lock, see overlap-lock.test.ts)', () => {
    const { template } = job({ preventOverlap: true });
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: Match.absent() });
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
  });

  test('can be an existing function (Handler.fromFunction), which only the job\'s role may invoke', () => {
    const stack = new Stack();
    const fn = existingFunction(stack);
    const j = new ScheduledJob(stack, 'Nightly', { schedule: JobSchedule.rate(Duration.hours(1)), handler: Handler.fromFunction(fn) });
    const template = Template.fromStack(stack);
    expect(j.handlerFunction).toBe(fn);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', { Target: { Arn: stack.resolve(fn.functionArn) } });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(j.schedulerRole.roleName)],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'lambda:InvokeFunction', Resource: [stack.resolve(fn.functionArn), { 'Fn::Join': ['', [stack.resolve(fn.functionArn), ':*']] }] })]) },
    });
    // Its alarms are the user's: the job adds none on it.
    expect(alarmIds(j)).toEqual(['DeadLetterQueueAlarm', 'DroppedInvocationsAlarm']);
  });

  test('an existing function with preventOverlap sizes the lock execution from the function\'s own timeout', () => {
    const stack = new Stack();
    const fn = existingFunction(stack, { timeout: Duration.minutes(3) });
    const j = new ScheduledJob(stack, 'Nightly', { schedule: JobSchedule.rate(Duration.hours(1)), handler: Handler.fromFunction(fn), preventOverlap: true });
    const id = (stack.resolve(j.lockStateMachine!.stateMachineArn) as { Ref: string }).Ref;
    const text = JSON.stringify(Template.fromStack(stack).toJSON().Resources[id].Properties.DefinitionString);
    expect(Number(/TimeoutSeconds\\":(\d+)/.exec(text)?.[1])).toBe(6 * 3600 + 60 + 3 * 180 + 240);
  });

  test('encrypts the schedule with encryptionKey', () => {
    const stack = new Stack();
    const key = new kms.Key(stack, 'Key');
    new ScheduledJob(stack, 'Nightly', { schedule: JobSchedule.rate(Duration.hours(1)), handler, encryptionKey: key });
    Template.fromStack(stack).hasResourceProperties('AWS::Scheduler::Schedule', { KmsKeyArn: stack.resolve(key.keyArn) });
  });

  test('can be a state machine for work longer than 15 minutes', () => {
    const stack = new Stack();
    const machine = new sfn.StateMachine(stack, 'Report', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Work')) });
    const j = new ScheduledJob(stack, 'Nightly', { schedule: JobSchedule.cron({ minute: '0', hour: '2' }), stateMachine: machine, payload: { full: true } });
    const template = Template.fromStack(stack);
    expect(j.handlerFunction).toBeUndefined();
    template.hasResourceProperties('AWS::Scheduler::Schedule', { Target: { Arn: stack.resolve(machine.stateMachineArn), Input: '{"full":true}' } });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(j.schedulerRole.roleName)],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'states:StartExecution', Resource: stack.resolve(machine.stateMachineArn) })]) },
    });
  });

  test('is invoked by a role that trusts Scheduler only for this account and schedule group', () => {
    const { stack, job: j, template } = job();
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' }, 'aws:SourceArn': stack.resolve(j.scheduleGroup.scheduleGroupArn) } },
        })],
      },
    });
  });
});

describe('alarms', () => {
  test('page only on runs that failed for good: the dead-letter queue, dropped runs and the function\'s failed events', () => {
    const { job: j } = job();
    expect(alarmIds(j)).toEqual(['DeadLetterQueueAlarm', 'DroppedInvocationsAlarm', 'Handler/FailedEventsAlarm']);
  });

  test('with preventOverlap: the lock\'s failed executions instead of the function\'s alarms', () => {
    const { job: j } = job({ preventOverlap: true });
    expect(alarmIds(j)).toEqual(['DeadLetterQueueAlarm', 'DroppedInvocationsAlarm', 'ExecutionsFailedAlarm']);
  });

  test('has these names, listed when an override names none of them', () => {
    expect(() => job({ preventOverlap: true, alarms: { overrides: { 'Handler.Errors': { threshold: 2 } } } }).template)
      .toThrow(/alarms.overrides names 'Handler.Errors', which this construct does not have; its alarms are 'Handler.Duration', 'Handler.ErrorRate', 'Handler.Throttles', 'OverlapLock.ExecutionsFailed', 'Schedule.DeadLetters', 'Schedule.DroppedInvocations', 'Schedule.TargetErrors'/);
    expect(() => job({ alarms: { overrides: { Nope: {} } } }).template)
      .toThrow(/its alarms are 'Handler.Duration', 'Handler.ErrorRate', 'Handler.FailedEvents', 'Schedule.DeadLetters', 'Schedule.DroppedInvocations', 'Schedule.TargetErrors'/);
  });

  test('off by default can be turned on, and the defaults changed, by name', () => {
    const { stack, job: j, template } = job({
      alarms: { overrides: { 'Schedule.TargetErrors': { enabled: true }, 'Handler.ErrorRate': { enabled: true }, 'Schedule.DeadLetters': { threshold: 5 } } },
    });
    expect(alarmIds(j)).toEqual(['DeadLetterQueueAlarm', 'DroppedInvocationsAlarm', 'Handler/ErrorRateAlarm', 'Handler/FailedEventsAlarm', 'TargetErrorsAlarm']);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: stack.resolve(j.deadLetterQueue.queueName) }],
      Threshold: 5,
    });
  });

  test('none with alarms.enabled false', () => {
    const { job: j, template } = job({ alarms: { enabled: false } });
    expect(j.alarms).toEqual([]);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });

  test('watch dropped runs of the job\'s schedule group (and target errors when turned on)', () => {
    const { stack, job: j, template } = job({ alarms: { overrides: { 'Schedule.TargetErrors': { enabled: true } } } });
    for (const metric of ['TargetErrorCount', 'InvocationDroppedCount']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Scheduler',
        MetricName: metric,
        Dimensions: [{ Name: 'ScheduleGroup', Value: stack.resolve(j.scheduleGroup.scheduleGroupName) }],
        Threshold: 1,
      });
    }
  });

  test('watch the dead-letter queue depth', () => {
    const { stack, job: j, template } = job();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: stack.resolve(j.deadLetterQueue.queueName) }],
      Threshold: 1,
    });
  });

  test('go to the alarm topic', () => {
    const stack = new Stack();
    const topic = new sns.Topic(stack, 'Alarms');
    new ScheduledJob(stack, 'Nightly', { schedule: JobSchedule.rate(Duration.hours(1)), handler, alarms: { topic } });
    const alarms = Object.values<any>(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(3);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([stack.resolve(topic.topicArn)]);
  });

  test('watch failed, timed-out and aborted executions of a state machine target (StateMachine.ExecutionsFailed)', () => {
    const stack = new Stack();
    const machine = new sfn.StateMachine(stack, 'Report', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Work')) });
    new ScheduledJob(stack, 'Nightly', { schedule: JobSchedule.rate(Duration.hours(1)), stateMachine: machine });
    const alarm = Object.values<any>(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'))
      .find((a) => (a.Properties.Metrics ?? []).some((m: any) => m.Expression?.includes('timedOut')));
    expect(alarm).toBeDefined();
    const names = alarm.Properties.Metrics.filter((m: any) => m.MetricStat).map((m: any) => `${m.MetricStat.Metric.Namespace}/${m.MetricStat.Metric.MetricName}`).sort();
    expect(names).toEqual(['AWS/States/ExecutionsAborted', 'AWS/States/ExecutionsFailed', 'AWS/States/ExecutionsTimedOut']);
    const other = new Stack();
    const otherMachine = new sfn.StateMachine(other, 'Report', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(other, 'Work')) });
    new ScheduledJob(other, 'Nightly', { schedule: JobSchedule.rate(Duration.hours(1)), stateMachine: otherMachine, alarms: { overrides: { 'OverlapLock.ExecutionsFailed': {} } } });
    expect(() => Template.fromStack(other))
      .toThrow(/its alarms are 'Schedule.DeadLetters', 'Schedule.DroppedInvocations', 'Schedule.TargetErrors', 'StateMachine.ExecutionsFailed'/);
  });
});

describe('metrics', () => {
  test('metricDeadLetters: the dead-letter queue\'s visible messages', () => {
    const { stack, job: j } = job();
    const metric = j.metricDeadLetters();
    expect(metric.metricName).toBe('ApproximateNumberOfMessagesVisible');
    expect(stack.resolve(metric.dimensions)).toEqual({ QueueName: stack.resolve(j.deadLetterQueue.queueName) });
  });

  test('metricFailedRuns: messages sent to the function\'s on-failure queue', () => {
    const { stack, job: j } = job();
    const metric = j.metricFailedRuns() as any;
    expect(metric.metricName).toBe('NumberOfMessagesSent');
    expect(stack.resolve(metric.dimensions)).toEqual({ QueueName: stack.resolve((j.handlerFunction as ServerlessFunction).failureQueue!.queueName) });
  });

  test('metricFailedRuns: failed, timed-out and aborted executions of the lock', () => {
    const { job: j } = job({ preventOverlap: true });
    const metric = j.metricFailedRuns() as any;
    expect(metric.expression).toBe('FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)');
  });

  test('metricFailedRuns: the errors of an existing function', () => {
    const stack = new Stack();
    const j = new ScheduledJob(stack, 'Nightly', { schedule: JobSchedule.rate(Duration.hours(1)), handler: Handler.fromFunction(existingFunction(stack)) });
    expect((j.metricFailedRuns() as any).metricName).toBe('Errors');
  });
});

describe('JobSchedule.expression', () => {
  test('takes an aws-cdk-lib schedule expression and evaluates it in the job\'s time zone', () => {
    const { template } = job({
      schedule: JobSchedule.expression(scheduler.ScheduleExpression.cron({ minute: '30', hour: '6', weekDay: 'MON-FRI' })),
      timeZone: TimeZone.EUROPE_BERLIN,
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(30 6 ? * MON-FRI *)', ScheduleExpressionTimezone: 'Europe/Berlin' });
  });

  test('keeps the time zone of the expression', () => {
    const { template } = job({ schedule: JobSchedule.expression(scheduler.ScheduleExpression.cron({ minute: '0', hour: '1', timeZone: TimeZone.ASIA_TOKYO })) });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpressionTimezone: 'Asia/Tokyo' });
  });

  test('fails when the expression and timeZone name different zones', () => {
    expect(() => job({ schedule: JobSchedule.expression(scheduler.ScheduleExpression.cron({ minute: '0', timeZone: TimeZone.ASIA_TOKYO })), timeZone: TimeZone.EUROPE_PARIS }))
      .toThrow(/timeZone is Europe\/Paris but the schedule expression carries its own time zone Asia\/Tokyo: set the zone in one place/);
  });

  test('takes rate and one-time expressions', () => {
    expect(JobSchedule.expression(scheduler.ScheduleExpression.rate(Duration.hours(6))).expressionString).toBe('rate(6 hours)');
    const { template } = job({ schedule: JobSchedule.expression(scheduler.ScheduleExpression.at(new Date('2027-03-01T09:30:00Z'))) });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'at(2027-03-01T09:30:00)' });
    expect(JobSchedule.expression(scheduler.ScheduleExpression.at(new Date('2027-03-01T09:30:00Z'))).isOneTime).toBe(true);
  });

  test('fails for a one-time expression with timeZone, which would move the instant', () => {
    expect(() => job({ schedule: JobSchedule.expression(scheduler.ScheduleExpression.at(new Date('2027-03-01T09:30:00Z'))), timeZone: TimeZone.EUROPE_PARIS }))
      .toThrow(/one-time expression is written in Etc\/UTC; give its zone to ScheduleExpression.at\(date, zone\) instead of timeZone/);
  });

  test('validates a cron expression as JobSchedule.cron does', () => {
    expect(() => job({ schedule: JobSchedule.expression(scheduler.ScheduleExpression.expression('cron(0 25 * * ? *)')) }))
      .toThrow(/schedule: cron hour must be 0-23 with , - \* \/, got '25'/);
    expect(() => job({ schedule: JobSchedule.expression(scheduler.ScheduleExpression.expression('cron(0 2 * *)')) }))
      .toThrow(/JobSchedule.expression\(\) cron needs 6 fields \(minute hour day month weekDay year\), got 4/);
    expect(() => job({ schedule: JobSchedule.expression(scheduler.ScheduleExpression.expression('every day')) }))
      .toThrow(/JobSchedule.expression\(\) must be a cron\(...\), rate\(...\) or at\(...\) expression, got 'every day'/);
  });
});

describe('database', () => {
  function withDatabase() {
    const stack = new Stack(undefined, 'Db', { env: { account: '123456789012', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const database = new ProxiedDatabase(stack, 'Orders', { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
    return { stack, vpc, database };
  }

  test('an existing function (Handler.fromFunction) gets the database environment, rds-db:connect and the proxy\'s ingress', () => {
    const { stack, vpc, database } = withDatabase();
    const fn = existingFunction(stack, { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
    new ScheduledJob(stack, 'Nightly', { schedule: JobSchedule.rate(Duration.hours(1)), handler: Handler.fromFunction(fn), database, databaseUser: 'reports', preventOverlap: true });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DB_PROXY_ENDPOINT: stack.resolve(database.proxy.endpoint), DB_USER: 'reports', DB_PORT: '5432' }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(fn.role!.roleName)],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'rds-db:connect', Resource: Match.anyValue() })]) },
    });
    const policy = Object.values<any>(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [stack.resolve(fn.role!.roleName)] } }))[0];
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('/reports');
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 5432, SourceSecurityGroupId: stack.resolve(fn.connections.securityGroups[0].securityGroupId) });
  });

  test('an existing function outside the database\'s VPC fails, naming it', () => {
    const { stack, database } = withDatabase();
    expect(() => new ScheduledJob(stack, 'Nightly', { schedule: JobSchedule.rate(Duration.hours(1)), handler: Handler.fromFunction(existingFunction(stack)), database }))
      .toThrow(/function Db\/Report is not in a VPC; give it vpc \(the database's VPC\)/);
  });

  test('databaseSubnets with an existing function fails: its subnets are its own', () => {
    const { stack, vpc, database } = withDatabase();
    const fn = existingFunction(stack, { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
    expect(() => new ScheduledJob(stack, 'Nightly', { schedule: JobSchedule.rate(Duration.hours(1)), handler: Handler.fromFunction(fn), database, databaseSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }))
      .toThrow(/databaseSubnets places the functions the pattern builds, but handler is an existing function/);
  });
});

describe('cdk-nag', () => {
  test('finds no errors in a job with a function', () => {
    const { stack } = job({ timeZone: TimeZone.EUROPE_PARIS, preventOverlap: true });
    expect(nagErrors(stack)).toEqual([]);
  });

  test('finds no errors in a job with an existing function', () => {
    const stack = new Stack(new App(), 'Stack');
    new ScheduledJob(stack, 'Nightly', { schedule: JobSchedule.rate(Duration.hours(1)), handler: Handler.fromFunction(existingFunction(stack)) });
    // The user's own lambda.Function brings its own findings (managed policy, no DLQ...); the job adds none.
    expect(nagErrors(stack).filter((e) => !e.includes('/Report/') && !e.includes('/Report:'))).toEqual([]);
  });
});
