/**
 * The synth benchmark's cases: for every pattern, `ours` adds one instance of this library's
 * construct to a stack and `baseline` adds the nearest equivalent a CDK user would build instead,
 * from AWS Solutions Constructs (`@aws-solutions-constructs/*`, versions in .projenrc.ts and
 * ../shared/BASELINE.md) and aws-cdk-lib L2s where no current Solutions Construct exists.
 *
 * Both sides use inline function code (`lambda.Code.fromInline`) for the code a user brings, so
 * no bundling skews synth times. The library's own handlers (e.g. AsyncHttpApi's submit and
 * status functions) are pre-bundled assets, staged into the cloud assembly at synth as they are for
 * users: that staging is part of what "ours" costs, so it is measured.
 *
 * A case whose `ours` is undefined is skipped by bench/synth.ts and printed as "not merged yet";
 * its baseline is still synthesized, so it cannot rot. To add a pattern: set `ours` to a function
 * that builds one instance with the pattern's defaults (inline code for user code), and check that
 * the baseline builds the same architecture (see the TODO on each case).
 */
import * as path from 'path';
import { CloudFrontToS3 } from '@aws-solutions-constructs/aws-cloudfront-s3';
import { EventbridgeToLambda } from '@aws-solutions-constructs/aws-eventbridge-lambda';
import { SnsToSqs } from '@aws-solutions-constructs/aws-sns-sqs';
import { SqsToLambda } from '@aws-solutions-constructs/aws-sqs-lambda';
import { Duration, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { AsyncHttpApi, FanOut, FileProcessingPipeline, Handler, JobSchedule, SagaOrchestrator, ScheduledJob, StaticSite } from '../src';

export interface SynthCase {
  /** The pattern's name, as in the README's constructs table. */
  readonly pattern: string;
  /** What the baseline builds, in one line (printed under the table). */
  readonly baselineDescription: string;
  /**
   * Adds instance `i` of the library's construct to `stack`; undefined while the pattern is not
   * merged on this branch (the case is then skipped and printed as "not merged yet", never faked).
   */
  readonly ours?: (stack: Stack, i: number) => void;
  /** Adds instance `i` of the baseline architecture to `stack`. */
  readonly baseline: (stack: Stack, i: number) => void;
}

/** The code a user brings, the same on both sides: inline, so nothing is bundled at synth. */
export function userCode(): lambda.Code {
  return lambda.Code.fromInline('exports.handler = async (event) => ({ ok: true });');
}

/** Function props of a baseline function: Solutions Constructs leave architecture (x86_64), logs and memory to the user. */
function baselineFunctionProps(extra: Partial<lambda.FunctionProps> = {}): lambda.FunctionProps {
  return {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: userCode(),
    // Same memory as ours (DEFAULTS.memorySize) so the two sides differ in construction, not sizing.
    memorySize: 1024,
    ...extra,
  };
}

export const SYNTH_CASES: SynthCase[] = [
  {
    pattern: 'AsyncHttpApi',
    baselineDescription: 'REST API (EDGE, IAM auth, access logs, CloudWatch role, usage plan: what aws-apigateway-sqs builds, from L2s) '
      + 'with POST /jobs -> SQS SendMessage and GET /jobs/{jobId} -> DynamoDB GetItem service integrations; '
      + 'aws-sqs-lambda (queue + DLQ + worker); DynamoDB status table (on-demand, PITR) written by the worker',
    ours: (stack, i) => {
      new AsyncHttpApi(stack, `Jobs${i}`, {
        worker: Handler.fromCode(userCode(), { handler: 'index.handler' }),
      });
    },
    baseline: (stack, i) => baselineAsyncHttpApi(stack, `BaselineJobs${i}`),
  },
  {
    pattern: 'FanOut',
    baselineDescription: 'aws-sns-sqs (topic with CMK + queue + DLQ) and a second aws-sns-sqs on the same topic, '
      + 'each queue consumed by aws-sqs-lambda (existingQueueObj): one topic, two subscriber queues, two consumers',
    ours: (stack, i) => {
      // The baseline's shape: one topic, two consumers.
      new FanOut(stack, `FanOut${i}`, {
        consumers: [
          { name: 'inventory', handler: Handler.fromCode(userCode(), { handler: 'index.handler' }) },
          { name: 'email', handler: Handler.fromCode(userCode(), { handler: 'index.handler' }) },
        ],
      });
    },
    baseline: (stack, i) => {
      const scope = new Construct(stack, `BaselineFanOut${i}`);
      const first = new SnsToSqs(scope, 'SubscriberA', {});
      new SqsToLambda(scope, 'ConsumerA', { existingQueueObj: first.sqsQueue, lambdaFunctionProps: baselineFunctionProps() });
      const second = new SnsToSqs(scope, 'SubscriberB', { existingTopicObj: first.snsTopic, encryptionKey: first.encryptionKey });
      new SqsToLambda(scope, 'ConsumerB', { existingQueueObj: second.sqsQueue, lambdaFunctionProps: baselineFunctionProps() });
    },
  },
  {
    pattern: 'FileProcessingPipeline',
    baselineDescription: 'S3 bucket (encrypted, SSL only, versioned, access-logged to a second bucket) with an '
      + 'OBJECT_CREATED notification (s3n.SqsDestination, L2s: aws-s3-sqs is not in the registry) to the queue of '
      + 'aws-sqs-lambda (queue + DLQ + processor)',
    ours: (stack, i) => {
      new FileProcessingPipeline(stack, `Files${i}`, { processor: Handler.fromCode(userCode(), { handler: 'index.handler' }) });
    },
    baseline: (stack, i) => {
      const scope = new Construct(stack, `BaselineFiles${i}`);
      const consumer = new SqsToLambda(scope, 'Processor', {
        lambdaFunctionProps: baselineFunctionProps({ timeout: Duration.minutes(1) }),
        queueProps: { visibilityTimeout: Duration.minutes(6) },
      });
      const accessLogs = new s3.Bucket(scope, 'AccessLogs', {
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        versioned: true,
      });
      const bucket = new s3.Bucket(scope, 'Bucket', {
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        versioned: true,
        serverAccessLogsBucket: accessLogs,
      });
      bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(consumer.sqsQueue));
    },
  },
  {
    pattern: 'ScheduledJob',
    baselineDescription: 'aws-eventbridge-lambda: an hourly EventBridge rule invoking a function',
    ours: (stack, i) => {
      new ScheduledJob(stack, `Job${i}`, {
        schedule: JobSchedule.rate(Duration.hours(1)),
        handler: Handler.fromCode(userCode(), { handler: 'index.handler' }),
      });
    },
    baseline: (stack, i) => {
      new EventbridgeToLambda(stack, `BaselineScheduledJob${i}`, {
        lambdaFunctionProps: baselineFunctionProps(),
        eventRuleProps: { schedule: events.Schedule.rate(Duration.hours(1)) },
      });
    },
  },
  {
    pattern: 'StaticSite',
    baselineDescription: 'aws-cloudfront-s3 defaults: private bucket with OAC, CloudFront distribution with security '
      + 'headers, access-log buckets',
    // With its content deployment: the site's files are staged as an asset at synth, which the
    // baseline does not do; that is part of what StaticSite costs, so it is measured.
    ours: (stack, i) => {
      new StaticSite(stack, `Site${i}`, { sourcePath: path.join(__dirname, '..', 'examples', 'static-site', 'site') });
    },
    baseline: (stack, i) => {
      new CloudFrontToS3(stack, `BaselineSite${i}`, {});
    },
  },
  {
    pattern: 'SagaOrchestrator',
    baselineDescription: 'plain Step Functions (no Solutions Construct exists): three LambdaInvoke steps; addCatch on '
      + 'each runs the compensations of the steps before it (two compensating LambdaInvoke steps) and ends in Fail',
    ours: (stack, i) => {
      const fn = Handler.fromCode(userCode(), { handler: 'index.handler' });
      // The baseline's shape: three steps, the first two with compensations.
      new SagaOrchestrator(stack, `Saga${i}`, {
        steps: [
          { name: 'ReserveInventory', action: fn, compensation: fn },
          { name: 'ChargePayment', action: fn, compensation: fn },
          { name: 'ShipOrder', action: fn },
        ],
      });
    },
    baseline: (stack, i) => baselineSaga(stack, `BaselineSaga${i}`),
  },
];

/**
 * The AsyncHttpApi baseline. aws-apigateway-sqs exists only as 2.27.0 (too old to mix with
 * aws-cdk-lib 2.276), so its REST API is rebuilt from L2s with the defaults of Solutions
 * Constructs' core (GlobalRestApi: EDGE endpoint, IAM authorization, JSON access logs, INFO
 * execution logging, X-Ray, a CloudWatch role + AWS::ApiGateway::Account, a usage plan).
 */
function baselineAsyncHttpApi(stack: Stack, id: string): void {
  const scope = new Construct(stack, id);
  const table = new dynamodb.Table(scope, 'StatusTable', {
    partitionKey: { name: 'jobId', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  const worker = new SqsToLambda(scope, 'Worker', {
    lambdaFunctionProps: baselineFunctionProps({
      timeout: Duration.minutes(5),
      environment: { TABLE_NAME: table.tableName },
    }),
    queueProps: { visibilityTimeout: Duration.minutes(30) },
    maxReceiveCount: 5,
  });
  table.grantReadWriteData(worker.lambdaFunction);

  const accessLogs = new logs.LogGroup(scope, 'ApiAccessLogGroup');
  const api = new apigateway.RestApi(scope, 'RestApi', {
    endpointConfiguration: { types: [apigateway.EndpointType.EDGE] },
    cloudWatchRole: false,
    deployOptions: {
      accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
      accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
      loggingLevel: apigateway.MethodLoggingLevel.INFO,
      dataTraceEnabled: false,
      tracingEnabled: true,
    },
    defaultMethodOptions: { authorizationType: apigateway.AuthorizationType.IAM },
  });
  const cloudWatchRole = new iam.Role(scope, 'ApiCloudWatchRole', {
    assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
    inlinePolicies: {
      CloudWatchLogs: new iam.PolicyDocument({
        statements: [new iam.PolicyStatement({
          actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogGroups', 'logs:DescribeLogStreams',
            'logs:PutLogEvents', 'logs:GetLogEvents', 'logs:FilterLogEvents'],
          resources: [`arn:${stack.partition}:logs:${stack.region}:${stack.account}:*`],
        })],
      }),
    },
  });
  const account = new apigateway.CfnAccount(scope, 'ApiAccount', { cloudWatchRoleArn: cloudWatchRole.roleArn });
  account.node.addDependency(api);
  api.addUsagePlan('UsagePlan', { apiStages: [{ api, stage: api.deploymentStage }] });

  const integrationRole = new iam.Role(scope, 'ApiIntegrationRole', {
    assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
  });
  worker.sqsQueue.grantSendMessages(integrationRole);
  table.grantReadData(integrationRole);
  const methodResponses = [{ statusCode: '200' }, { statusCode: '500' }];
  const integrationResponses = [{ statusCode: '200' }, { statusCode: '500', selectionPattern: '500' }];

  const jobs = api.root.addResource('jobs');
  jobs.addMethod('POST', new apigateway.AwsIntegration({
    service: 'sqs',
    path: `${stack.account}/${worker.sqsQueue.queueName}`,
    integrationHttpMethod: 'POST',
    options: {
      credentialsRole: integrationRole,
      passthroughBehavior: apigateway.PassthroughBehavior.NEVER,
      requestParameters: { 'integration.request.header.Content-Type': "'application/x-www-form-urlencoded'" },
      requestTemplates: { 'application/json': 'Action=SendMessage&MessageBody=$util.urlEncode("$input.body")' },
      integrationResponses,
    },
  }), { methodResponses });
  jobs.addResource('{jobId}').addMethod('GET', new apigateway.AwsIntegration({
    service: 'dynamodb',
    action: 'GetItem',
    options: {
      credentialsRole: integrationRole,
      passthroughBehavior: apigateway.PassthroughBehavior.NEVER,
      requestTemplates: {
        'application/json': `{"TableName":"${table.tableName}","Key":{"jobId":{"S":"$input.params('jobId')"}},"ConsistentRead":true}`,
      },
      integrationResponses,
    },
  }), { methodResponses });
}

/** The saga baseline: Step Functions with `addCatch` to a compensation chain, functions as Solutions Constructs would leave them. */
function baselineSaga(stack: Stack, id: string): void {
  const scope = new Construct(stack, id);
  const invoke = (name: string) => new tasks.LambdaInvoke(scope, name, {
    lambdaFunction: new lambda.Function(scope, `${name}Function`, baselineFunctionProps()),
    outputPath: '$.Payload',
  });
  const failed = new sfn.Fail(scope, 'SagaFailed', { error: 'SagaFailed' });
  // Each failure undoes what succeeded before it, in reverse order.
  const releaseInventory = invoke('ReleaseInventory').next(failed);
  const refundPayment = invoke('RefundPayment').next(releaseInventory);
  const reserve = invoke('ReserveInventory').addCatch(failed, { resultPath: '$.error' });
  const charge = invoke('ChargePayment').addCatch(releaseInventory, { resultPath: '$.error' });
  const ship = invoke('ShipOrder').addCatch(refundPayment, { resultPath: '$.error' });
  const definition = reserve.next(charge).next(ship).next(new sfn.Succeed(scope, 'SagaSucceeded'));
  new sfn.StateMachine(scope, 'StateMachine', {
    definitionBody: sfn.DefinitionBody.fromChainable(definition),
    tracingEnabled: true,
  });
}
