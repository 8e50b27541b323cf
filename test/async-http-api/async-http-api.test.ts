import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigwv2Authorizers from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AsyncHttpApi, AsyncHttpApiProps, ProxiedDatabase } from '../../src';
import { nagErrors } from '../helpers/nag';

const code = lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] })');
const worker = { code, handler: 'index.handler' };

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

  test('a given authorizer (JWT) protects both routes', () => {
    const { template } = build({
      worker,
      authorizer: new apigwv2Authorizers.HttpJwtAuthorizer('Jwt', 'https://issuer.example.com', { jwtAudience: ['jobs'] }),
    });
    template.resourcePropertiesCountIs('AWS::ApiGatewayV2::Route', { AuthorizationType: 'JWT' }, 2);
  });

  test('opening the API to anyone needs allowUnauthenticatedAccess', () => {
    const { template } = build({ worker, allowUnauthenticatedAccess: true });
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
      FunctionName: stack.resolve((api.workerFunction as lambda.Function).functionName),
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
    const { stack, api, template } = build({ worker: { ...worker, timeout: Duration.minutes(2) } });
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

  test('completion events: the worker may put events on the bus and publish to the topic, and knows both', () => {
    const stack = new Stack();
    const bus = new events.EventBus(stack, 'Bus');
    const topic = new sns.Topic(stack, 'Topic');
    const api = new AsyncHttpApi(stack, 'Reports', { worker, completionEventBus: bus, completionTopic: topic });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          COMPLETION_EVENT_BUS_NAME: stack.resolve(bus.eventBusName),
          COMPLETION_TOPIC_ARN: stack.resolve(topic.topicArn),
        }),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve((api.workerFunction as any).executionRole.roleName)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'events:PutEvents', Resource: stack.resolve(bus.eventBusArn) }),
          Match.objectLike({ Action: 'sns:Publish', Resource: stack.resolve(topic.topicArn) }),
        ]),
      },
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
    const api = new AsyncHttpApi(stack, 'Reports', { worker, completionEventBus: bus, completionTopic: topic });
    const template = Template.fromStack(stack);
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([stack.resolve(api.deadLetterFunction.executionRole.roleName)]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((st: any) => [st.Action].flat());
    expect(actions.filter((a: string) => a.startsWith('dynamodb:')).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(actions).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'events:PutEvents', 'sns:Publish']));
    expect(actions).not.toContain('sqs:SendMessage');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Default/Reports: records dead-lettered jobs FAILED',
      Environment: {
        Variables: Match.objectLike({
          COMPLETION_EVENT_BUS_NAME: stack.resolve(bus.eventBusName),
          COMPLETION_TOPIC_ARN: stack.resolve(topic.topicArn),
        }),
      },
    });
  });

  test('the worker knows its queue URL and may change message visibility (the heartbeat)', () => {
    const { stack, api, template } = build();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ JOBS_QUEUE_URL: stack.resolve(api.queue.queueUrl), MAX_RECEIVE_COUNT: '5' }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve((api.workerFunction as lambda.Function).role!.roleName)],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: Match.arrayWith(['sqs:ChangeMessageVisibility']),
          Resource: stack.resolve(api.queue.queueArn),
        })]),
      },
    });
  });

  test('a dead-lettered jobs alarm counts every message the dead-letter consumer takes from the DLQ', () => {
    const { stack, api, template } = build();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'NumberOfMessagesReceived',
      Dimensions: [{ Name: 'QueueName', Value: stack.resolve(api.deadLetterQueue.queueName) }],
      Statistic: 'Sum',
      Threshold: 1,
    });
  });

  test('an existing worker function gets the event source, permissions and environment', () => {
    const stack = new Stack();
    const existing = new lambda.Function(stack, 'Existing', { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_22_X, timeout: Duration.minutes(1) });
    const api = new AsyncHttpApi(stack, 'Reports', { workerFunction: existing, workerTimeout: Duration.minutes(1) });
    const template = Template.fromStack(stack);
    expect(api.workerFunction).toBe(existing);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionName: stack.resolve(existing.functionName), FunctionResponseTypes: ['ReportBatchItemFailures'] });
    template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs22.x', Environment: { Variables: Match.objectLike({ JOBS_TABLE_NAME: stack.resolve(api.jobsTable.tableName) }) } });
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 360 });
  });

  test('with a database, the worker runs in its VPC and connects through the proxy as databaseUser', () => {
    const stack = new Stack(undefined, 'S', { env: { account: '123456789012', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const database = new ProxiedDatabase(stack, 'Db', { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
    const api = new AsyncHttpApi(stack, 'Reports', { worker, database, databaseUser: 'reports', databaseSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
    const template = Template.fromStack(stack);
    const workerFn = api.workerFunction as lambda.Function;
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

  test('exposes alarms for the queue, the DLQ, every function and API 5xx, all sent to the alarm topic', () => {
    const stack = new Stack();
    const alarmTopic = new sns.Topic(stack, 'Alarms');
    const api = new AsyncHttpApi(stack, 'Reports', { worker, alarmTopic });
    const template = Template.fromStack(stack);
    // 2 queue alarms + 3 per function (worker, submit, status, dead-letter consumer) + 1 API 5xx + 1 dead-lettered jobs
    expect(api.alarms).toHaveLength(16);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 16);
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { AlarmActions: [stack.resolve(alarmTopic.topicArn)] }, 16);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/ApiGateway', MetricName: '5xx', Threshold: 1 });
  });

  test('grantInvoke allows execute-api:Invoke on both routes only', () => {
    const stack = new Stack();
    const api = new AsyncHttpApi(stack, 'Reports', { worker });
    const role = new iam.Role(stack, 'Client', { assumedBy: new iam.AccountRootPrincipal() });
    api.grantInvoke(role);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(role.roleName)],
      PolicyDocument: {
        Statement: [{
          Action: 'execute-api:Invoke',
          Effect: 'Allow',
          Resource: [
            Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':execute-api:', '/$default/POST/jobs'])] }),
            Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['/$default/GET/jobs/*'])] }),
          ],
        }],
      },
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
      allowUnauthenticatedAccess: true,
      completionEventBus: new events.EventBus(stack, 'Bus'),
    });
    expect(nagErrors(stack)).toEqual([]);
  });
});

describe('AsyncHttpApi validation', () => {
  test('fails with both worker and workerFunction', () => {
    const stack = new Stack();
    const fn = new lambda.Function(stack, 'Fn', { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_24_X });
    expect(() => new AsyncHttpApi(stack, 'Reports', { worker, workerFunction: fn })).toThrow(/Default\/Reports: specify either worker or workerFunction, not both/);
  });

  test('fails with neither worker nor workerFunction', () => {
    expect(() => build({})).toThrow(/specify one of worker or workerFunction/);
  });

  test('fails for maxPayloadBytes above the SQS-derived maximum', () => {
    expect(() => build({ worker, maxPayloadBytes: 300_000 })).toThrow(/maxPayloadBytes must be an integer between 1 and 261120, got 300000/);
  });

  test('fails for a jobTtl under an hour', () => {
    expect(() => build({ worker, jobTtl: Duration.minutes(5) })).toThrow(/jobTtl must be between 1 hour and 365 days, got 5 minutes/);
  });

  test('fails for a request schema too large for the environment', () => {
    const requestSchema = { type: 'object', description: 'x'.repeat(4_000) };
    const bytes = JSON.stringify(requestSchema).length;
    expect(() => build({ worker, requestSchema })).toThrow(new RegExp(`requestSchema must be at most 3072 bytes as JSON .* got ${bytes}$`));
  });

  test('fails for an authorizer together with allowUnauthenticatedAccess', () => {
    const authorizer = new apigwv2Authorizers.HttpIamAuthorizer();
    expect(() => build({ worker, authorizer, allowUnauthenticatedAccess: true })).toThrow(/specify either authorizer or allowUnauthenticatedAccess, not both/);
  });

  test('fails for batchSize above 10', () => {
    expect(() => build({ worker, batchSize: 11 })).toThrow(/batchSize must be an integer between 1 and 10, got 11/);
  });

  test('fails for a worker timeout over 15 minutes', () => {
    expect(() => build({ worker: { ...worker, timeout: Duration.minutes(20) } })).toThrow(/consumerTimeout must be between 1 second and 15 minutes, got 20 minutes/);
  });
});
