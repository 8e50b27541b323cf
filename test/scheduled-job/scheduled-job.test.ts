import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { JobSchedule, ScheduledJob, ScheduledJobProps, ServerlessFunction } from '../../src';
import { nagErrors } from '../helpers/nag';

const code = lambda.Code.fromInline('exports.handler = async () => {}');
const handler = { code, handler: 'index.handler' };
const existingArn = 'arn:aws:lambda:eu-west-1:123456789012:function:report';

function job(props: Partial<ScheduledJobProps> = {}): { stack: Stack; job: ScheduledJob; template: Template } {
  const stack = new Stack(new App(), 'Stack');
  const j = new ScheduledJob(stack, 'Nightly', { schedule: JobSchedule.cron({ minute: '0', hour: '2' }), handler, ...props });
  return { stack, job: j, template: Template.fromStack(stack) };
}

describe('the schedule', () => {
  test('uses EventBridge Scheduler with the cron expression and time zone, not an EventBridge rule', () => {
    // GIVEN / WHEN
    const { template } = job({ timeZone: 'Europe/Paris' });
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
    const { template } = job({ schedule: JobSchedule.at(new Date('2027-03-01T09:30:00Z')), timeZone: 'Europe/Paris' });
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
    const { stack } = job({ schedule: JobSchedule.rate(Duration.minutes(5)), timeZone: 'Europe/Paris' });
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

  test.each(['Europe/Pariss', 'CEST', '+01:00', 'Mars/Olympus_Mons', ''])('fails for the time zone %j, which is not an IANA name', (timeZone) => {
    expect(() => job({ timeZone })).toThrow(new RegExp(`timeZone must be an IANA time zone name such as 'Europe/Paris' or 'UTC', got '${timeZone.replace('+', '\\+')}'`));
  });

  test.each(['UTC', 'America/Argentina/Buenos_Aires', 'Asia/Kolkata', 'Etc/GMT+2'])('accepts the IANA time zone %s', (timeZone) => {
    expect(() => job({ timeZone })).not.toThrow();
  });

  test('fails for a handler timeout over 15 minutes and points to a state machine', () => {
    expect(() => job({ handler: { ...handler, timeout: Duration.minutes(16) } }))
      .toThrow(/handler.timeout must be at most 15 minutes \(Lambda's limit\), got 16 minutes; for longer work pass a stateMachine/);
  });

  test('fails without a target', () => {
    expect(() => job({ handler: undefined })).toThrow(/specify exactly one of handler, handlerFunction or stateMachine as the job's target, got 0/);
  });

  test('fails with two targets', () => {
    const stack = new Stack();
    const fn = lambda.Function.fromFunctionArn(stack, 'Fn', existingArn);
    expect(() => new ScheduledJob(stack, 'Nightly', { schedule: JobSchedule.rate(Duration.hours(1)), handler, handlerFunction: fn }))
      .toThrow(/specify exactly one of handler, handlerFunction or stateMachine as the job's target, got 2/);
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

  test('can be an existing function, which only the job\'s role may invoke', () => {
    const stack = new Stack();
    const fn = lambda.Function.fromFunctionAttributes(stack, 'Fn', { functionArn: existingArn, sameEnvironment: true });
    const j = new ScheduledJob(stack, 'Nightly', { schedule: JobSchedule.rate(Duration.hours(1)), handlerFunction: fn });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 0);
    template.hasResourceProperties('AWS::Scheduler::Schedule', { Target: { Arn: fn.functionArn } });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(j.schedulerRole.roleName)],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'lambda:InvokeFunction', Resource: [fn.functionArn, `${fn.functionArn}:*`] })]) },
    });
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
  test('watch target errors and dropped runs of the job\'s schedule group', () => {
    const { stack, job: j, template } = job();
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

  test('include the function\'s alarms', () => {
    const { job: j } = job();
    expect(j.alarms).toHaveLength(3 + (j.handlerFunction as ServerlessFunction).alarms.length);
  });

  test('watch failed executions of a state machine target', () => {
    const stack = new Stack();
    const machine = new sfn.StateMachine(stack, 'Report', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Work')) });
    new ScheduledJob(stack, 'Nightly', { schedule: JobSchedule.rate(Duration.hours(1)), stateMachine: machine });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/States', MetricName: 'ExecutionsFailed' });
  });
});

describe('cdk-nag', () => {
  test('finds no errors in a job with a function', () => {
    const { stack } = job({ timeZone: 'Europe/Paris', preventOverlap: true });
    expect(nagErrors(stack)).toEqual([]);
  });

  test('finds no errors in a job with an existing function', () => {
    const stack = new Stack(new App(), 'Stack');
    const fn = lambda.Function.fromFunctionAttributes(stack, 'Fn', { functionArn: existingArn, sameEnvironment: true });
    new ScheduledJob(stack, 'Nightly', { schedule: JobSchedule.rate(Duration.hours(1)), handlerFunction: fn });
    expect(nagErrors(stack)).toEqual([]);
  });
});
