import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { synthesizedDefinition } from './asl';
import { Handler, ProxiedDatabase, SagaOrchestrator, SagaOrchestratorProps, SagaStep, ServerlessFunction } from '../../src';
import { nagErrors } from '../helpers/nag';

const code = (name: string) => Handler.fromCode(lambda.Code.fromInline(`// ${name}`), { handler: 'index.handler' });

/** A function of the app, as a user would pass it to Handler.fromFunction. */
function existingFunction(scope: Stack, id: string, props: Partial<lambda.FunctionProps> = {}): lambda.Function {
  return new lambda.Function(scope, id, { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline(`// ${id}`), ...props });
}
const BOOK_TRIP: SagaStep[] = [
  { name: 'ReserveHotel', action: code('hotel'), compensation: code('cancelHotel') },
  { name: 'BookFlight', action: code('flight'), compensation: code('cancelFlight') },
  { name: 'ChargePayment', action: code('payment') },
];

function saga(props: Partial<SagaOrchestratorProps> = {}): { stack: Stack; saga: SagaOrchestrator; template: Template } {
  const stack = new Stack(new App(), 'Stack');
  const s = new SagaOrchestrator(stack, 'BookTrip', { steps: BOOK_TRIP, ...props });
  return { stack, saga: s, template: Template.fromStack(stack) };
}

describe('the state machine', () => {
  test('is a Standard state machine with a 1-hour timeout by default', () => {
    const { saga: s } = saga();
    const definition = synthesizedDefinition(s);
    Template.fromStack(Stack.of(s)).hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineType: 'STANDARD' });
    expect(definition.TimeoutSeconds).toBe(3600);
  });

  test('can be Express, with a 5-minute timeout by default', () => {
    const { saga: s, template } = saga({ stateMachineType: sfn.StateMachineType.EXPRESS });
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineType: 'EXPRESS' });
    expect(synthesizedDefinition(s).TimeoutSeconds).toBe(300);
  });

  test('logs ALL events to its own log group without execution data by default, and traces with X-Ray', () => {
    const { stack, saga: s, template } = saga();
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: stack.resolve(s.logGroup.logGroupArn) } }],
      },
      TracingConfiguration: { Enabled: true },
    });
  });

  test('includes execution data in the logs when asked', () => {
    const { template } = saga({ includeExecutionData: true });
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { LoggingConfiguration: { IncludeExecutionData: true } });
  });

  test('its role trusts Step Functions only for state machines of its account and region (confused deputy)', () => {
    const { template } = saga();
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'states.amazonaws.com' },
          Condition: {
            ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':stateMachine:*']] } },
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          },
        }],
      },
    });
  });

  test('keeps its logs one month by default, retained when the stack is deleted', () => {
    const { template } = saga();
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { LogGroupName: Match.stringLikeRegexp('^/aws/vendedlogs/states/'), RetentionInDays: logs.RetentionDays.ONE_MONTH },
      DeletionPolicy: 'Retain',
    });
  });

  test('names its log group under /aws/vendedlogs/states/ (one statement of the account\'s CloudWatch Logs resource policy for all), unique per saga', () => {
    // GIVEN two sagas in one stack
    const stack = new Stack(new App(), 'Stack');
    new SagaOrchestrator(stack, 'BookTrip', { steps: BOOK_TRIP });
    new SagaOrchestrator(stack, 'Refund', { steps: [{ name: 'Refund', action: code('refund') }] });
    // THEN
    const names = Object.values(Template.fromStack(stack).findResources('AWS::Logs::LogGroup'))
      .map((r) => r.Properties.LogGroupName).filter((n) => typeof n === 'string' && n.startsWith('/aws/vendedlogs/'));
    expect(names).toEqual([expect.stringMatching(/^\/aws\/vendedlogs\/states\/Stack-BookTrip-[0-9A-F]{8}$/), expect.stringMatching(/^\/aws\/vendedlogs\/states\/Stack-Refund-[0-9A-F]{8}$/)]);
  });

  test('runs the steps in order after StartSaga and ends in SagaSucceeded', () => {
    const definition = synthesizedDefinition(saga().saga);
    expect(definition.StartAt).toBe('StartSaga');
    expect(definition.States.StartSaga.Next).toBe('ReserveHotel');
    expect(definition.States.ReserveHotel.Next).toBe('BookFlight');
    expect(definition.States.BookFlight.Next).toBe('ChargePayment');
    expect(definition.States.ChargePayment.Next).toBe('SagaSucceeded');
    expect(definition.States.SagaSucceeded.Type).toBe('Succeed');
  });

  test('keeps the input at $.input and each result at $.results.<step>', () => {
    const definition = synthesizedDefinition(saga().saga);
    expect(definition.States.StartSaga.Parameters).toEqual({ 'input.$': '$', 'results': {} });
    expect(definition.States.BookFlight.ResultPath).toBe('$.results.BookFlight');
  });

  test('invokes each step function directly with its ARN', () => {
    const { saga: s } = saga();
    const definition = synthesizedDefinition(s);
    expect(definition.States.BookFlight.Resource).toMatch(/:function:BookTripBookFlightAction/);
    expect(definition.States['Compensate-BookFlight'].Resource).toMatch(/:function:BookTripBookFlightCompensation/);
  });

  test('retries actions on Lambda service errors and throttling, 3 times from 1 s doubling with full jitter', () => {
    const definition = synthesizedDefinition(saga().saga);
    expect(definition.States.ReserveHotel.Retry).toEqual([{
      ErrorEquals: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.ClientExecutionTimeoutException', 'Lambda.TooManyRequestsException'],
      IntervalSeconds: 1,
      MaxAttempts: 3,
      BackoffRate: 2,
      JitterStrategy: 'FULL',
    }]);
  });

  test('takes the backoff from retryInterval, backoffRate and maxRetryDelay, and the extra errors from retryOnErrors', () => {
    const definition = synthesizedDefinition(saga({
      retryAttempts: 6, retryInterval: Duration.seconds(2), backoffRate: 1.5, maxRetryDelay: Duration.seconds(20), retryOnErrors: ['Busy'],
    }).saga);
    expect(definition.States.ReserveHotel.Retry).toEqual([expect.objectContaining({
      ErrorEquals: expect.arrayContaining(['Lambda.TooManyRequestsException', 'Busy']),
      IntervalSeconds: 2,
      MaxAttempts: 6,
      BackoffRate: 1.5,
      MaxDelaySeconds: 20,
    })]);
  });

  test('retries compensations on any error, 5 times by default', () => {
    const definition = synthesizedDefinition(saga().saga);
    expect(definition.States['Compensate-ReserveHotel'].Retry).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'], MaxAttempts: 5 })]);
  });

  test('catches a failed step into $.error and routes it to the compensation of the step before', () => {
    const definition = synthesizedDefinition(saga().saga);
    expect(definition.States.ReserveHotel.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'SagaFailed' }]);
    expect(definition.States.ChargePayment.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Compensate-BookFlight' }]);
    expect(definition.States['Compensate-BookFlight'].Next).toBe('Compensate-ReserveHotel');
    expect(definition.States['Compensate-ReserveHotel'].Next).toBe('SagaFailed');
  });

  test('fails with the original error and cause', () => {
    const definition = synthesizedDefinition(saga().saga);
    expect(definition.States.SagaFailed).toEqual(expect.objectContaining({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' }));
  });

  test('ends a failed compensation in a distinct CompensationFailed state after recording the metric', () => {
    const definition = synthesizedDefinition(saga().saga);
    expect(definition.States['Compensate-BookFlight'].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.compensationError', Next: 'RecordCompensationFailure' }]);
    expect(definition.States.RecordCompensationFailure).toEqual(expect.objectContaining({
      Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:cloudwatch:putMetricData', Next: 'CompensationFailed',
    }));
    expect(definition.States.CompensationFailed).toEqual(expect.objectContaining({ Type: 'Fail', Error: 'CompensationFailed', CausePath: '$.compensationError.Cause' }));
  });
});

describe('the step functions', () => {
  test('are ServerlessFunctions invoked synchronously, so without an on-failure queue', () => {
    const { saga: s } = saga();
    expect(s.steps.map((x) => x.name)).toEqual(['ReserveHotel', 'BookFlight', 'ChargePayment']);
    for (const step of s.steps) {
      expect(step.actionFunction).toBeInstanceOf(ServerlessFunction);
      expect((step.actionFunction as ServerlessFunction).failureQueue).toBeUndefined();
    }
    expect(s.step('ChargePayment').compensationFunction).toBeUndefined();
    Template.fromStack(Stack.of(s)).resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
  });

  test('can be existing functions (Handler.fromFunction), which the state machine may invoke', () => {
    const stack = new Stack();
    const hotel = existingFunction(stack, 'Hotel');
    const cancelHotel = existingFunction(stack, 'CancelHotel');
    const s = new SagaOrchestrator(stack, 'Saga', { steps: [{ name: 'ReserveHotel', action: Handler.fromFunction(hotel), compensation: Handler.fromFunction(cancelHotel) }, { name: 'Pay', action: code('pay') }] });
    expect(s.step('ReserveHotel').actionFunction).toBe(hotel);
    expect(s.step('ReserveHotel').compensationFunction).toBe(cancelHotel);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 3);
    const arn = (fn: lambda.Function) => stack.resolve(fn.functionArn);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(s.stateMachine.role.roleName)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'lambda:InvokeFunction', Resource: [arn(hotel), { 'Fn::Join': ['', [arn(hotel), ':*']] }] }),
          Match.objectLike({ Action: 'lambda:InvokeFunction', Resource: [arn(cancelHotel), { 'Fn::Join': ['', [arn(cancelHotel), ':*']] }] }),
        ]),
      },
    });
    const definition = synthesizedDefinition(s);
    expect(definition.States.ReserveHotel.Resource).toMatch(/:function:Hotel/);
    expect(definition.States['Compensate-ReserveHotel'].Resource).toMatch(/:function:CancelHotel/);
  });

  test('fails for an unknown step name', () => {
    expect(() => saga().saga.step('Nope')).toThrow(/no step named 'Nope'; steps are ReserveHotel, BookFlight, ChargePayment/);
  });
});

describe('alarms', () => {
  const names = (s: SagaOrchestrator) => s.alarms.map((x) => x.node.path.split('/').slice(2).join('/')).sort();

  test('page on failed and timed-out executions and failed compensations only: 3 alarms for a 3-step saga', () => {
    const { saga: s, template } = saga();
    expect(names(s)).toEqual(['CompensationFailedAlarm', 'ExecutionsFailedAlarm', 'ExecutionsTimedOutAlarm']);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
  });

  test.each(['ExecutionsFailed', 'ExecutionsTimedOut'])('watch %s of the state machine', (metric) => {
    const { stack, saga: s, template } = saga();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/States',
      MetricName: metric,
      Dimensions: [{ Name: 'StateMachineArn', Value: stack.resolve(s.stateMachine.stateMachineArn) }],
      Threshold: 1,
    });
  });

  test('have these names, listed when an override names none of them', () => {
    expect(() => saga({ alarms: { overrides: { 'ReserveHotel.ErrorRate': {} } } }).template)
      .toThrow(new RegExp("alarms.overrides names 'ReserveHotel.ErrorRate', which this construct does not have; its alarms are "
        + "'BookFlight.Action.Duration', 'BookFlight.Action.ErrorRate', 'BookFlight.Action.Throttles', 'BookFlight.Compensation.Duration', "
        + "'BookFlight.Compensation.ErrorRate', 'BookFlight.Compensation.Throttles', 'ChargePayment.Action.Duration', 'ChargePayment.Action.ErrorRate', "
        + "'ChargePayment.Action.Throttles', 'ReserveHotel.Action.Duration', .*'StateMachine.CompensationFailed', 'StateMachine.ExecutionsFailed', "
        + "'StateMachine.ExecutionsThrottled', 'StateMachine.ExecutionsTimedOut'"));
  });

  test('off by default can be turned on by name: the step functions\' error rate and the throttled executions', () => {
    const { stack, saga: s, template } = saga({
      alarms: { overrides: { 'ChargePayment.Action.ErrorRate': { enabled: true }, 'StateMachine.ExecutionsThrottled': { enabled: true }, 'StateMachine.ExecutionsFailed': { threshold: 10 } } },
    });
    expect(names(s)).toEqual(['ChargePaymentAction/ErrorRateAlarm', 'CompensationFailedAlarm', 'ExecutionsFailedAlarm', 'ExecutionsThrottledAlarm', 'ExecutionsTimedOutAlarm']);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/States', MetricName: 'ExecutionThrottled', Dimensions: [{ Name: 'StateMachineArn', Value: stack.resolve(s.stateMachine.stateMachineArn) }] });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/States', MetricName: 'ExecutionsFailed', Threshold: 10 });
  });

  test('can be turned off, compensationFailedAlarm with them', () => {
    const { saga: s, template } = saga({ alarms: { enabled: false } });
    expect(s.alarms).toEqual([]);
    expect(s.compensationFailedAlarm).toBeUndefined();
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });

  test('go to the alarm topic', () => {
    const stack = new Stack();
    const topic = new sns.Topic(stack, 'Alarms');
    new SagaOrchestrator(stack, 'Saga', { steps: BOOK_TRIP, alarms: { topic } });
    for (const alarm of Object.values<any>(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual([stack.resolve(topic.topicArn)]);
    }
  });

  test('watch failed compensations through the metric the state machine records', () => {
    const { stack, saga: s, template } = saga();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'cdk-serverless-patterns',
      MetricName: 'SagaCompensationFailed',
      Dimensions: [{ Name: 'StateMachineName', Value: stack.resolve(s.stateMachine.stateMachineName) }],
      Threshold: 1,
    });
    expect(s.alarms).toContain(s.compensationFailedAlarm);
  });

  test('let the state machine put only that namespace\'s metrics', () => {
    const { stack, saga: s, template } = saga();
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(s.stateMachine.role.roleName)],
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Action: 'cloudwatch:PutMetricData',
          Effect: 'Allow',
          Resource: '*',
          Condition: { StringEquals: { 'cloudwatch:namespace': 'cdk-serverless-patterns' } },
        }]),
      },
    });
  });
});

describe('resources', () => {
  test('a 3-step saga with 2 compensations is 5 functions (function, role, policy, log group each), the state machine with its role, policy and log group, and 3 alarms', () => {
    const { template } = saga();
    const resources = Object.values<any>(template.toJSON().Resources);
    expect(resources).toHaveLength(5 * 4 + 4 + 3);
    template.resourceCountIs('AWS::Lambda::Function', 5);
    template.resourceCountIs('AWS::SQS::Queue', 0);
  });
});

describe('grants and metrics', () => {
  const statementsOf = (stack: Stack, role: iam.Role) => Object.values<any>(Template.fromStack(stack).findResources('AWS::IAM::Policy', { Properties: { Roles: [stack.resolve(role.roleName)] } }))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
  /** A saga whose stack is not synthesized yet, so grants may still add to it. */
  const fresh = (props: Partial<SagaOrchestratorProps> = {}) => {
    const stack = new Stack();
    return { stack, saga: new SagaOrchestrator(stack, 'BookTrip', { steps: BOOK_TRIP, ...props }) };
  };

  test('grantStartExecution: states:StartExecution on the state machine (Standard)', () => {
    const { stack, saga: s } = fresh();
    const role = new iam.Role(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    s.grantStartExecution(role);
    expect(statementsOf(stack, role)).toEqual([{ Action: 'states:StartExecution', Effect: 'Allow', Resource: stack.resolve(s.stateMachine.stateMachineArn) }]);
  });

  test('grantStartExecution: also states:StartSyncExecution for an Express saga', () => {
    const { stack, saga: s } = fresh({ stateMachineType: sfn.StateMachineType.EXPRESS });
    const role = new iam.Role(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    s.grantStartExecution(role);
    expect(statementsOf(stack, role)).toEqual([{ Action: ['states:StartExecution', 'states:StartSyncExecution'], Effect: 'Allow', Resource: stack.resolve(s.stateMachine.stateMachineArn) }]);
  });

  test('grantRead: describe the executions and their history', () => {
    const { stack, saga: s } = fresh();
    const role = new iam.Role(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    s.grantRead(role);
    const actions = statementsOf(stack, role).flatMap((st) => [st.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['states:DescribeExecution', 'states:GetExecutionHistory', 'states:ListExecutions']));
  });

  test('metrics: started, succeeded, failed, timed out (AWS/States) and compensations failed (the saga\'s own metric)', () => {
    const { stack, saga: s } = fresh();
    expect([s.metricStarted(), s.metricSucceeded(), s.metricFailed(), s.metricTimedOut()].map((m) => m.metricName))
      .toEqual(['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut']);
    const compensation = s.metricCompensationFailed({ period: Duration.minutes(5) });
    expect([compensation.namespace, compensation.metricName, compensation.period.toMinutes()]).toEqual(['cdk-serverless-patterns', 'SagaCompensationFailed', 5]);
    expect(stack.resolve(compensation.dimensions)).toEqual({ StateMachineName: stack.resolve(s.stateMachine.stateMachineName) });
  });
});

describe('database', () => {
  function withDatabase() {
    const stack = new Stack(undefined, 'Db', { env: { account: '123456789012', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const vpcSubnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    const database = new ProxiedDatabase(stack, 'Orders', { vpc, vpcSubnets });
    return { stack, vpc, vpcSubnets, database };
  }

  test('existing step functions (Handler.fromFunction) get the database environment, rds-db:connect and the proxy\'s ingress', () => {
    const { stack, vpc, vpcSubnets, database } = withDatabase();
    const hotel = existingFunction(stack, 'Hotel', { vpc, vpcSubnets });
    const cancel = existingFunction(stack, 'CancelHotel', { vpc, vpcSubnets });
    new SagaOrchestrator(stack, 'Saga', {
      steps: [{ name: 'ReserveHotel', action: Handler.fromFunction(hotel), compensation: Handler.fromFunction(cancel) }],
      database,
      databaseUser: 'trips',
    });
    const template = Template.fromStack(stack);
    for (const fn of [hotel, cancel]) {
      const resource = template.toJSON().Resources[(stack.resolve(fn.functionArn) as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]];
      expect(resource.Properties.Environment.Variables).toEqual(expect.objectContaining({ DB_PROXY_ENDPOINT: stack.resolve(database.proxy.endpoint), DB_USER: 'trips', DB_PORT: '5432', DB_NAME: 'app' }));
      const statements = Object.values<any>(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [stack.resolve(fn.role!.roleName)] } }))
        .flatMap((p) => p.Properties.PolicyDocument.Statement);
      const connect = statements.find((st) => st.Action === 'rds-db:connect');
      expect(JSON.stringify(connect.Resource)).toContain('/trips');
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: stack.resolve(fn.connections.securityGroups[0].securityGroupId) });
    }
  });

  test('an existing step function outside a VPC fails, naming it', () => {
    const { stack, database } = withDatabase();
    expect(() => new SagaOrchestrator(stack, 'Saga', { steps: [{ name: 'Pay', action: Handler.fromFunction(existingFunction(stack, 'Pay')) }], database }))
      .toThrow(/function Db\/Pay is not in a VPC; give it vpc \(the database's VPC\)/);
  });

  test('databaseSubnets with only existing functions fails: their subnets are their own', () => {
    const { stack, vpc, vpcSubnets, database } = withDatabase();
    expect(() => new SagaOrchestrator(stack, 'Saga', { steps: [{ name: 'Pay', action: Handler.fromFunction(existingFunction(stack, 'Pay', { vpc, vpcSubnets })) }], database, databaseSubnets: vpcSubnets }))
      .toThrow(/databaseSubnets places the functions the pattern builds, but every step function is an existing function/);
  });

  test('databaseUser without database fails', () => {
    expect(() => saga({ databaseUser: 'trips' })).toThrow(/databaseUser applies only with database, which is not set/);
  });
});

describe('validation', () => {
  test('fails without steps', () => {
    expect(() => saga({ steps: [] })).toThrow(/Stack\/BookTrip: steps must contain at least one step, got none/);
  });

  test('fails for duplicate step names', () => {
    expect(() => saga({ steps: [{ name: 'Pay', action: code('a') }, { name: 'Pay', action: code('b') }] }))
      .toThrow(/steps\[1\].name 'Pay' is used by another step; step names must be unique/);
  });

  test('fails for a step with a compensation but no action', () => {
    // A JavaScript caller (no type check) can leave the required action out.
    expect(() => saga({ steps: [{ name: 'Pay', action: code('a') }, { name: 'Refund', compensation: code('b') } as unknown as SagaStep] }))
      .toThrow(/steps\[1\].action is required: 'Refund' has a compensation but no action/);
  });

  test('fails for a step without an action', () => {
    expect(() => saga({ steps: [{ name: 'Pay' } as unknown as SagaStep] })).toThrow(/steps\[0\].action is required: give 'Pay' a Handler/);
  });

  test.each(['Book Flight', '1Step', 'a-b', 'x'.repeat(65), ''])('fails for the step name %j', (name) => {
    expect(() => saga({ steps: [{ name, action: code('a') }] }))
      .toThrow(/steps\[0\].name must be letters and digits, starting with a letter, at most 64 characters, got/);
  });

  test.each(['StartSaga', 'SagaSucceeded', 'SagaFailed', 'RecordCompensationFailure', 'CompensationFailed'])('fails for the reserved step name %s', (name) => {
    expect(() => saga({ steps: [{ name, action: code('a') }] })).toThrow(new RegExp(`steps\\[0\\].name '${name}' is the name of a state the orchestrator adds`));
  });

  test('fails for a step function timeout over 15 minutes', () => {
    expect(() => saga({ steps: [{ name: 'Pay', action: Handler.fromCode(lambda.Code.fromInline('//'), { handler: 'index.handler', timeout: Duration.minutes(20) }) }] }))
      .toThrow(/steps\[0\].action.timeout must be between 1 second and 15 minutes, got 20 minutes/);
  });

  test('fails for an Express timeout over 5 minutes', () => {
    expect(() => saga({ stateMachineType: sfn.StateMachineType.EXPRESS, timeout: Duration.minutes(6) }))
      .toThrow(/timeout \(EXPRESS state machine\) must be between 1 second and 5 minutes, got 6 minutes/);
  });

  test('fails for a Standard timeout over a year', () => {
    expect(() => saga({ timeout: Duration.days(366) })).toThrow(/timeout \(STANDARD state machine\) must be between 1 second and 365 days, got 366 days/);
  });

  test('fails for retryAttempts above 99', () => {
    expect(() => saga({ retryAttempts: 100 })).toThrow(/retryAttempts must be an integer between 0 and 99, got 100/);
  });

  test('fails for a backoffRate below 1', () => {
    expect(() => saga({ backoffRate: 0.5 })).toThrow(/backoffRate must be between 1 and 5, got 0.5/);
  });

  test('fails for a States.* error in retryOnErrors', () => {
    expect(() => saga({ retryOnErrors: ['States.Timeout'] })).toThrow(/retryOnErrors lists error names thrown by the steps, got 'States.Timeout'/);
  });
});

describe('cdk-nag', () => {
  test('finds no errors in the book-trip saga', () => {
    expect(nagErrors(saga({ includeExecutionData: true }).stack)).toEqual([]);
  });

  test('finds no errors in an Express saga of existing functions', () => {
    const stack = new Stack(new App(), 'Stack');
    const hotel = existingFunction(stack, 'Hotel');
    new SagaOrchestrator(stack, 'Saga', { stateMachineType: sfn.StateMachineType.EXPRESS, steps: [{ name: 'ReserveHotel', action: Handler.fromFunction(hotel) }] });
    // The user's own lambda.Function brings its own findings; the saga adds none.
    expect(nagErrors(stack).filter((e) => !e.includes('/Hotel'))).toEqual([]);
  });
});
