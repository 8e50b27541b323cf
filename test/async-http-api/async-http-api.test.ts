import * as path from 'path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ApiAuthorization, AsyncHttpApi, AsyncHttpApiProps, Handler, Notifications, ProxiedDatabase } from '../../src';
import { nagErrors } from '../helpers/nag';

const code = lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] })');
const worker = Handler.fromCode(code, { handler: 'index.handler' });

function build(props: Partial<AsyncHttpApiProps> = { worker }) {
  const stack = new Stack();
  const api = new AsyncHttpApi(stack, 'Reports', props as AsyncHttpApiProps);
  return { stack, api, template: Template.fromStack(stack) };
}

describe('AsyncHttpApi infrastructure', () => {
  test('the README example synthesizes: routes POST /jobs and GET /jobs/{jobId} to the library handlers', () => {
    const { stack, api, template } = build();
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /jobs' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /jobs/{jobId}' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: stack.resolve(api.submitFunction.functionArn),
      PayloadFormatVersion: '2.0',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { IntegrationUri: stack.resolve(api.statusFunction.functionArn) });
  });

  test('both routes require IAM authorization by default', () => {
    const { template } = build();
    template.resourcePropertiesCountIs('AWS::ApiGatewayV2::Route', { AuthorizationType: 'AWS_IAM' }, 2);
  });

  test('a JWT authorization protects both routes', () => {
    const { template } = build({ worker, authorization: ApiAuthorization.jwt({ issuer: 'https://issuer.example.com', audience: ['jobs'] }) });
    template.resourcePropertiesCountIs('AWS::ApiGatewayV2::Route', { AuthorizationType: 'JWT' }, 2);
  });

  test('opening the API to anyone needs ApiAuthorization.none()', () => {
    const { template } = build({ worker, authorization: ApiAuthorization.none() });
    template.resourcePropertiesCountIs('AWS::ApiGatewayV2::Route', { AuthorizationType: 'NONE' }, 2);
  });

  test('the $default stage auto-deploys, throttles at 50 requests/s with bursts of 100, and writes JSON access logs', () => {
    const { stack, api, template } = build();
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: {
        DestinationArn: stack.resolve(api.accessLogGroup.logGroupArn),
        Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"'),
      },
    });
  });

  test('its access logs go to a log group under /aws/vendedlogs/apigateway/, unique per API', () => {
    // GIVEN two APIs in one stack
    const stack = new Stack(undefined, 'Stack');
    const reports = new AsyncHttpApi(stack, 'Reports', { worker });
    const exports = new AsyncHttpApi(stack, 'Exports', { worker });
    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: Match.stringLikeRegexp('^/aws/vendedlogs/apigateway/Stack-Reports-[0-9A-F]{8}$') });
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: Match.stringLikeRegexp('^/aws/vendedlogs/apigateway/Stack-Exports-[0-9A-F]{8}$') });
    expect(stack.resolve(reports.accessLogGroup.logGroupName)).not.toEqual(stack.resolve(exports.accessLogGroup.logGroupName));
  });

  test('throttling can be changed', () => {
    const { template } = build({ worker, throttlingRateLimit: 5, throttlingBurstLimit: 10 });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 } });
  });

  test('the job table: jobId key, on-demand, TTL on expiresAt, point-in-time recovery, encrypted, retained', () => {
    const { template } = build();
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: 'jobId', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
      DeletionPolicy: 'Retain',
    });
  });

  test('the table removal policy can be changed', () => {
    const { template } = build({ worker, removalPolicy: RemovalPolicy.DESTROY });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });

  test('the worker is an ARM64 ServerlessFunction on the jobs queue with partial batch responses', () => {
    const { stack, api, template } = build({ worker, batchSize: 5, maxConcurrency: 20 });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: stack.resolve(api.queue.queueArn),
      FunctionName: stack.resolve(api.workerFunction.functionName),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 5,
      ScalingConfig: { MaximumConcurrency: 20 },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Architectures: ['arm64'],
      Timeout: 300,
      Environment: { Variables: Match.objectLike({ JOBS_TABLE_NAME: stack.resolve(api.jobsTable.tableName), MAX_RECEIVE_COUNT: '5' }) },
    });
  });

  test('the queue redrives to its DLQ after 5 receives, with a visibility timeout of 6 x the worker timeout', () => {
    const { stack, api, template } = build({ worker: Handler.fromCode(code, { handler: 'index.handler', timeout: Duration.minutes(2) }) });
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 720,
      RedrivePolicy: { deadLetterTargetArn: stack.resolve(api.deadLetterQueue.queueArn), maxReceiveCount: 5 },
    });
  });

  test('the submit handler gets the table, queue, limits and schema; the status handler only the table', () => {
    const schema = { type: 'object', required: ['report'] };
    const { stack, api, template } = build({ worker, maxPayloadBytes: 1000, jobTtl: Duration.days(1), requestSchema: schema });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Default/Reports: POST /jobs',
      MemorySize: 256,
      Timeout: 10,
      Layers: Match.absent(),
      Environment: {
        Variables: Match.objectLike({
          JOBS_TABLE_NAME: stack.resolve(api.jobsTable.tableName),
          JOBS_QUEUE_URL: stack.resolve(api.queue.queueUrl),
          MAX_PAYLOAD_BYTES: '1000',
          JOB_TTL_SECONDS: '86400',
          REQUEST_SCHEMA: JSON.stringify(schema),
        }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Default/Reports: GET /jobs/{jobId}',
      Environment: { Variables: Match.objectLike({ JOBS_TABLE_NAME: stack.resolve(api.jobsTable.tableName), JOBS_QUEUE_URL: Match.absent() }) },
    });
  });

  test('the payload limit defaults to 261120 bytes (256 KiB SQS limit minus 1 KiB of envelope)', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ MAX_PAYLOAD_BYTES: '261120', JOB_TTL_SECONDS: '604800' }) } });
  });

  test('the status function may only read items; the submit function may put, get and update them and send to the queue', () => {
    const { stack, api, template } = build();
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const statementsOf = (roleName: object) => policies
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([roleName]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const statusStatements = statementsOf(stack.resolve(api.statusFunction.executionRole.roleName));
    const submitStatements = statementsOf(stack.resolve(api.submitFunction.executionRole.roleName));
    const actions = (statements: any[]) => statements.flatMap((s) => [s.Action].flat());
    expect(actions(statusStatements).filter((a: string) => a.startsWith('dynamodb:'))).toEqual(['dynamodb:GetItem']);
    const submitTableActions = actions(submitStatements).filter((a: string) => a.startsWith('dynamodb:')).sort();
    expect(submitTableActions).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(actions(submitStatements)).toContain('sqs:SendMessage');
    expect(actions(statusStatements)).not.toContain('sqs:SendMessage');
  });

  test('Notifications.eventBridge(bus): the worker may put events on the bus and knows it; notificationBus is the bus', () => {
    const stack = new Stack();
    const bus = new events.EventBus(stack, 'Bus');
    const api = new AsyncHttpApi(stack, 'Reports', { worker, notifications: Notifications.eventBridge(bus) });
    const template = Template.fromStack(stack);
    expect(api.notificationBus).toBe(bus);
    expect(api.notificationTopic).toBeUndefined();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Default/Reports: runs jobs from the queue',
      Environment: {
        Variables: Match.objectLike({ COMPLETION_EVENT_BUS_NAME: stack.resolve(bus.eventBusName), COMPLETION_TOPIC_ARN: Match.absent() }),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(api.workerFunction.role!.roleName)],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'events:PutEvents', Resource: stack.resolve(bus.eventBusArn) })]) },
    });
  });

  test('Notifications.eventBridge() uses the default bus', () => {
    const { stack, api, template } = build({ worker, notifications: Notifications.eventBridge() });
    expect(stack.resolve(api.notificationBus!.eventBusName)).toBe('default');
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ COMPLETION_EVENT_BUS_NAME: 'default' }) } });
    template.resourceCountIs('AWS::Events::EventBus', 0);
  });

  test('Notifications.sns(topic): the worker may publish to the topic and knows it', () => {
    const stack = new Stack();
    const topic = new sns.Topic(stack, 'Topic');
    const api = new AsyncHttpApi(stack, 'Reports', { worker, notifications: Notifications.sns(topic) });
    const template = Template.fromStack(stack);
    expect(api.notificationTopic).toBe(topic);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Default/Reports: runs jobs from the queue',
      Environment: { Variables: Match.objectLike({ COMPLETION_TOPIC_ARN: stack.resolve(topic.topicArn) }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(api.workerFunction.role!.roleName)],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sns:Publish', Resource: stack.resolve(topic.topicArn) })]) },
    });
  });

  test('Notifications.sns() creates a TLS-only topic encrypted with a rotating customer key', () => {
    const { stack, api, template } = build({ worker, notifications: Notifications.sns() });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Default/Reports: records dead-lettered jobs FAILED',
      Environment: { Variables: Match.objectLike({ COMPLETION_TOPIC_ARN: stack.resolve(api.notificationTopic!.topicArn) }) },
    });
  });

  test('the dead-letter queue feeds the library\'s dead-letter consumer, with partial batch responses', () => {
    const { stack, api, template } = build();
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: stack.resolve(api.deadLetterQueue.queueArn),
      FunctionName: stack.resolve(api.deadLetterFunction.functionName),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Default/Reports: records dead-lettered jobs FAILED',
      Architectures: ['arm64'],
      Timeout: 5, // 6 x 5 s = the DLQ's 30 s visibility timeout
      Environment: { Variables: { JOBS_TABLE_NAME: stack.resolve(api.jobsTable.tableName) } },
    });
  });

  test('the dead-letter consumer may get and update job items, consume its queue, and send JobFailed where notifications are on', () => {
    const stack = new Stack();
    const bus = new events.EventBus(stack, 'Bus');
    const topic = new sns.Topic(stack, 'Topic');
    const api = new AsyncHttpApi(stack, 'Reports', { worker, notifications: Notifications.eventBridge(bus) });
    const other = new AsyncHttpApi(stack, 'Other', { worker, notifications: Notifications.sns(topic) });
    const template = Template.fromStack(stack);
    const snsStatements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([stack.resolve(other.deadLetterFunction.executionRole.roleName)]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(snsStatements.flatMap((st: any) => [st.Action].flat())).toContain('sns:Publish');
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([stack.resolve(api.deadLetterFunction.executionRole.roleName)]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((st: any) => [st.Action].flat());
    expect(actions.filter((a: string) => a.startsWith('dynamodb:')).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(actions).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'events:PutEvents']));
    expect(actions).not.toContain('sqs:SendMessage');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Default/Reports: records dead-lettered jobs FAILED',
      Environment: { Variables: Match.objectLike({ COMPLETION_EVENT_BUS_NAME: stack.resolve(bus.eventBusName) }) },
    });
  });

  test('the worker knows its queue URL and may change message visibility (the heartbeat)', () => {
    const { stack, api, template } = build();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ JOBS_QUEUE_URL: stack.resolve(api.queue.queueUrl), MAX_RECEIVE_COUNT: '5' }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(api.workerFunction.role!.roleName)],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: Match.arrayWith(['sqs:ChangeMessageVisibility']),
          Resource: stack.resolve(api.queue.queueArn),
        })]),
      },
    });
  });

  test('Queue.DeadLetters counts every message the dead-letter consumer takes from the DLQ (its depth stays near 0)', () => {
    const { stack, api, template } = build();
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible' }, 0);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'NumberOfMessagesReceived',
      Dimensions: [{ Name: 'QueueName', Value: stack.resolve(api.deadLetterQueue.queueName) }],
      Statistic: 'Sum',
      Threshold: 1,
    });
  });

  test('Handler.fromFunction: the function gets the environment, event source and grants, and its own timeout sizes the visibility timeout', () => {
    const stack = new Stack();
    const existing = new lambda.Function(stack, 'Existing', { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_22_X, timeout: Duration.seconds(90) });
    const api = new AsyncHttpApi(stack, 'Reports', { worker: Handler.fromFunction(existing), batchSize: 4 });
    const template = Template.fromStack(stack);
    expect(api.workerFunction).toBe(existing);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: stack.resolve(api.queue.queueArn),
      FunctionName: stack.resolve(existing.functionName),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 4,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Timeout: 90,
      Environment: {
        Variables: Match.objectLike({
          JOBS_TABLE_NAME: stack.resolve(api.jobsTable.tableName),
          JOBS_QUEUE_URL: stack.resolve(api.queue.queueUrl),
          MAX_RECEIVE_COUNT: '5',
        }),
      },
    });
    // 6 x 90 s
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 540, RedrivePolicy: Match.anyValue() });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(existing.role!.roleName)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: Match.arrayWith([stack.resolve(api.jobsTable.tableArn)]) }),
          Match.objectLike({ Action: Match.arrayWith(['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility']), Resource: stack.resolve(api.queue.queueArn) }),
        ]),
      },
    });
    // its alarms are the user's: no Worker.* alarm, and overriding one fails
    expect(api.alarms.map((a) => a.node.path)).not.toContainEqual(expect.stringContaining('Existing'));
  });

  test('Handler.fromFunction of a function without a timeout sizes the queue for Lambda\'s 3 seconds', () => {
    const stack = new Stack();
    const existing = new lambda.Function(stack, 'Existing', { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_22_X });
    new AsyncHttpApi(stack, 'Reports', { worker: Handler.fromFunction(existing) });
    Template.fromStack(stack).hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 18, RedrivePolicy: Match.anyValue() });
  });

  test('with a database, the worker runs in its VPC and connects through the proxy as databaseUser', () => {
    const stack = new Stack(undefined, 'S', { env: { account: '123456789012', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const database = new ProxiedDatabase(stack, 'Db', { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
    const api = new AsyncHttpApi(stack, 'Reports', { worker, database, databaseUser: 'reports', databaseSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
    const template = Template.fromStack(stack);
    const workerFn = api.workerFunction;
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: Match.objectLike({ SecurityGroupIds: [stack.resolve(workerFn.connections.securityGroups[0].securityGroupId)] }),
      Environment: { Variables: Match.objectLike({ DB_PROXY_ENDPOINT: stack.resolve(database.proxy.endpoint), DB_USER: 'reports' }) },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: stack.resolve(workerFn.connections.securityGroups[0].securityGroupId),
    });
    // the API handlers stay out of the VPC
    template.hasResourceProperties('AWS::Lambda::Function', { Description: 'S/Reports: POST /jobs', VpcConfig: Match.absent() });
  });

  test('four alarms by default, named for what needs a human, all sent to the alarm topic', () => {
    const stack = new Stack();
    const topic = new sns.Topic(stack, 'Alarms');
    const api = new AsyncHttpApi(stack, 'Reports', { worker, alarms: { topic } });
    const template = Template.fromStack(stack);
    expect(api.alarms.map((a) => a.node.path)).toEqual([
      'Default/Reports/Jobs/DeadLetterQueueAlarm', // Queue.DeadLetters
      'Default/Reports/Jobs/OldestMessageAlarm', // Queue.OldestMessageAge
      'Default/Reports/DeadLetterFunction/UnrecordedJobsAlarm', // DeadLetterHandler.UnrecordedJobs
      'Default/Reports/DefaultStage/ServerErrorRateAlarm', // Api.ServerErrorRate
    ]);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { AlarmActions: [stack.resolve(topic.topicArn)], OKActions: [stack.resolve(topic.topicArn)] }, 4);
    // the DLQ's oldest message: worker timeout (5 min) + 15 min
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage', Dimensions: [{ Name: 'QueueName', Value: stack.resolve(api.deadLetterQueue.queueName) }], Threshold: 1200,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage', Dimensions: [{ Name: 'QueueName', Value: stack.resolve(api.queue.queueName) }], Threshold: 900, EvaluationPeriods: 5,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 5,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'IF(requests > 0, 100 * errors / requests, 0)' }),
        Match.objectLike({ Id: 'errors', MetricStat: Match.objectLike({ Metric: Match.objectLike({ Namespace: 'AWS/ApiGateway', MetricName: '5xx' }) }) }),
      ]),
    });
  });

  test('the function alarms that repeat the API or DLQ alarms are off by default and can be turned on by name', () => {
    const { api, template } = build({
      worker,
      alarms: {
        overrides: {
          'Worker.ErrorRate': { enabled: true },
          'Submit.Throttles': { enabled: true },
          'Status.ErrorRate': { enabled: true, threshold: 10 },
          'Api.ServerErrorRate': { enabled: false },
          'Queue.OldestMessageAge': { threshold: 3600 },
        },
      },
    });
    expect(api.alarms.map((a) => a.node.path)).toEqual([
      'Default/Reports/Worker/ErrorRateAlarm',
      'Default/Reports/Jobs/DeadLetterQueueAlarm',
      'Default/Reports/Jobs/OldestMessageAlarm',
      'Default/Reports/SubmitFunction/ThrottlesAlarm',
      'Default/Reports/StatusFunction/ErrorRateAlarm',
      'Default/Reports/DeadLetterFunction/UnrecordedJobsAlarm',
    ]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 3600 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmDescription: Match.stringLikeRegexp('StatusFunction'), Threshold: 10 });
  });

  test('an override naming no alarm of the pattern fails, listing the names', () => {
    expect(() => build({ worker, alarms: { overrides: { 'Worker.Errors': { threshold: 2 } } } }))
      .toThrow(/alarms.overrides names 'Worker.Errors', which this construct does not have; its alarms are 'Api.ServerErrorRate', 'DeadLetterHandler.Duration', 'DeadLetterHandler.ErrorRate', 'DeadLetterHandler.UnrecordedJobs', 'Queue.DeadLetters', 'Queue.OldestMessageAge', 'Status.Duration', 'Status.ErrorRate', 'Status.Throttles', 'Submit.Duration', 'Submit.ErrorRate', 'Submit.Throttles', 'Worker.Duration', 'Worker.ErrorRate'/);
  });

  test('alarms: { enabled: false } creates none', () => {
    const { api, template } = build({ worker, alarms: { enabled: false } });
    expect(api.alarms).toEqual([]);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });

  test('grantSubmit allows execute-api:Invoke on POST /jobs only, grantRead on GET /jobs/* only', () => {
    const stack = new Stack();
    const api = new AsyncHttpApi(stack, 'Reports', { worker });
    const submitter = new iam.Role(stack, 'Submitter', { assumedBy: new iam.AccountRootPrincipal() });
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    api.grantSubmit(submitter);
    api.grantRead(reader);
    const template = Template.fromStack(stack);
    const arn = (route: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':execute-api:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':', stack.resolve(api.httpApi.apiId), `/$default/${route}`]],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(submitter.roleName)],
      PolicyDocument: { Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: arn('POST/jobs') }] },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(reader.roleName)],
      PolicyDocument: { Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: arn('GET/jobs/*') }] },
    });
  });

  test('grants fail on an API that IAM does not authorize', () => {
    const { stack, api } = build({ worker, authorization: ApiAuthorization.jwt({ issuer: 'https://issuer.example.com', audience: ['jobs'] }) });
    const role = new iam.Role(stack, 'Client', { assumedBy: new iam.AccountRootPrincipal() });
    expect(() => api.grantSubmit(role)).toThrow(/grantSubmit: the API's authorization is jwt, where IAM policies do not decide who may call it/);
    expect(() => api.grantRead(role)).toThrow(/grantRead: the API's authorization is jwt/);
  });

  test('metrics: jobs waiting, oldest job age, dead-lettered jobs, worker errors, 5xx', () => {
    const { stack, api } = build();
    const dims = (m: any) => stack.resolve(m.dimensions);
    expect(api.metricJobsWaiting()).toMatchObject({ namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', statistic: 'Maximum' });
    expect(dims(api.metricJobsWaiting())).toEqual({ QueueName: stack.resolve(api.queue.queueName) });
    expect(api.metricOldestJobAge({ period: Duration.minutes(1) })).toMatchObject({ metricName: 'ApproximateAgeOfOldestMessage', period: Duration.minutes(1) });
    expect(api.metricDeadLetteredJobs()).toMatchObject({ metricName: 'NumberOfMessagesReceived', statistic: 'Sum' });
    expect(dims(api.metricDeadLetteredJobs())).toEqual({ QueueName: stack.resolve(api.deadLetterQueue.queueName) });
    expect(api.metricWorkerErrors()).toMatchObject({ namespace: 'AWS/Lambda', metricName: 'Errors', statistic: 'Sum' });
    expect(api.metricServerErrors()).toMatchObject({ namespace: 'AWS/ApiGateway', metricName: '5xx', statistic: 'Sum' });
    expect(dims(api.metricServerErrors())).toEqual({ ApiId: stack.resolve(api.httpApi.apiId), Stage: '$default' });
  });

  test('the Python reference worker: Handler.fromAsset with the Python runtime, no Node.js options', () => {
    const { template } = build({
      worker: Handler.fromAsset(path.join(__dirname, '..', '..', 'examples', 'python-worker'), { runtime: lambda.Runtime.PYTHON_3_14, handler: 'app.handler' }),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Default/Reports: runs jobs from the queue',
      Runtime: 'python3.14',
      Handler: 'app.handler',
      Timeout: 300,
      Environment: { Variables: Match.objectLike({ MAX_RECEIVE_COUNT: '5', NODE_OPTIONS: Match.absent() }) },
    });
  });

  test('passes the cdk-nag gate (AwsSolutions + Serverless) with 0 errors', () => {
    const { stack } = build();
    expect(nagErrors(stack)).toEqual([]);
  });

  test('passes the cdk-nag gate with completion events and an open API', () => {
    const stack = new Stack();
    new AsyncHttpApi(stack, 'Reports', {
      worker,
      authorization: ApiAuthorization.none(),
      notifications: Notifications.eventBridge(new events.EventBus(stack, 'Bus')),
    });
    expect(nagErrors(stack)).toEqual([]);
  });
});

describe('AsyncHttpApi validation', () => {
  test('fails without a worker Handler (e.g. the v0.1 { code, handler } object)', () => {
    expect(() => build({ worker: { code, handler: 'index.handler' } as any })).toThrow(/worker must be a Handler: Handler.fromAsset\(path, \{ handler \}\)/);
    expect(() => build({})).toThrow(/worker must be a Handler/);
  });

  test('fails for maxPayloadBytes above the SQS-derived maximum', () => {
    expect(() => build({ worker, maxPayloadBytes: 300_000 })).toThrow(/maxPayloadBytes must be an integer between 1 and 261120, got 300000/);
  });

  test('fails for a jobTtl under an hour, or not in whole seconds', () => {
    expect(() => build({ worker, jobTtl: Duration.minutes(5) })).toThrow(/jobTtl must be between 1 hour and 365 days, got 5 minutes/);
    expect(() => build({ worker, jobTtl: Duration.millis(7_200_500) })).toThrow(/jobTtl must be a whole number of seconds between 1 hour and 365 days/);
  });

  test('fails for a request schema too large for the environment', () => {
    const requestSchema = { type: 'object', description: 'x'.repeat(4_000) };
    const bytes = JSON.stringify(requestSchema).length;
    expect(() => build({ worker, requestSchema })).toThrow(new RegExp(`requestSchema must be at most 3072 bytes as JSON .* got ${bytes}$`));
  });

  test('fails for a request schema that is not a valid JSON Schema, naming the JSON path of the error', () => {
    expect(() => build({ worker, requestSchema: { type: 'object', properties: { name: { type: 'objekt' } } } }))
      .toThrow(/requestSchema is not a valid JSON Schema \(draft 2020-12\): requestSchema\/properties\/name\/type is "objekt": Instance does not match any of \["array","boolean","integer","null","number","object","string"\]/);
    expect(() => build({ worker, requestSchema: { type: 'object', required: 'name' } })).toThrow(/requestSchema\/required is "name": Instance type "string" is invalid. Expected "array"/);
    expect(() => build({ worker, requestSchema: { type: 'array', items: { type: 'string', minLength: -1 } } })).toThrow(/requestSchema\/items\/minLength is -1: -1 is less than 0/);
  });

  test('fails for a request schema whose $ref resolves to nothing', () => {
    expect(() => build({ worker, requestSchema: { type: 'object', properties: { name: { $ref: '#/$defs/missing' } } } }))
      .toThrow(/requestSchema has \$ref that resolve to no schema .*: requestSchema\/properties\/name\/\$ref: '#\/\$defs\/missing'/);
  });

  test('accepts 2020-12 schemas with $defs, $ref, prefixItems and unevaluatedProperties, and leaves the given object unchanged', () => {
    const requestSchema = {
      $defs: { sku: { type: 'string', pattern: '^[a-z]+$' } },
      type: 'object',
      properties: { sku: { $ref: '#/$defs/sku' }, pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }], items: false } },
      unevaluatedProperties: false,
    };
    const before = JSON.stringify(requestSchema);
    const { template } = build({ worker, requestSchema });
    expect(JSON.stringify(requestSchema)).toBe(before);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ REQUEST_SCHEMA: before }) } });
  });

  test('batchSize above 10 needs maxBatchingWindow (the shared consumer validation, naming the prop)', () => {
    expect(() => build({ worker, batchSize: 11 })).toThrow(/batchSize above 10 \(got 11\) needs maxBatchingWindow/);
    expect(() => build({ worker, batchSize: 0 })).toThrow(/batchSize must be an integer between 1 and 10000, got 0/);
    expect(() => build({ worker, maxConcurrency: 1 })).toThrow(/maxConcurrency must be an integer between 2 and 1000, got 1/);
    expect(() => build({ worker, maxBatchingWindow: Duration.millis(1500) })).toThrow(/maxBatchingWindow must be a whole number of seconds/);
    const { template } = build({ worker, batchSize: 50, maxBatchingWindow: Duration.seconds(10) });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 50, MaximumBatchingWindowInSeconds: 10 });
  });

  test('fails for a worker timeout over 15 minutes, or not in whole seconds, naming worker.timeout', () => {
    expect(() => build({ worker: Handler.fromCode(code, { handler: 'index.handler', timeout: Duration.minutes(20) }) }))
      .toThrow(/worker.timeout must be between 1 second and 15 minutes, got 20 minutes/);
    expect(() => build({ worker: Handler.fromCode(code, { handler: 'index.handler', timeout: Duration.millis(1500) }) }))
      .toThrow(/worker.timeout must be a whole number of seconds/);
  });
});
