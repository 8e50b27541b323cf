import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { FileProcessingPipeline, FunctionInvocation, ServerlessFunction } from '../../src';
import { nagErrors } from '../helpers/nag';

const code = lambda.Code.fromInline('exports.handler = async () => {}');

function build(props: Partial<ConstructorParameters<typeof ServerlessFunction>[2]> = {}, stack = new Stack()) {
  const fn = new ServerlessFunction(stack, 'Fn', { code, handler: 'index.handler', ...props });
  return { stack, fn, template: Template.fromStack(stack) };
}

describe('ServerlessFunction defaults', () => {
  test('runs on ARM64 with Node.js 24, 1024 MB and a 30 second timeout', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Architectures: ['arm64'],
      Runtime: 'nodejs24.x',
      MemorySize: 1024,
      Timeout: 30,
    });
  });

  test('traces actively and logs JSON at INFO (system WARN) to its own log group', () => {
    const { stack, fn, template } = build();
    template.hasResourceProperties('AWS::Lambda::Function', {
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: {
        LogFormat: 'JSON',
        ApplicationLogLevel: 'INFO',
        SystemLogLevel: 'WARN',
        LogGroup: stack.resolve(fn.logGroup.logGroupName),
      },
    });
  });

  test('keeps logs for one month and retains the log group on stack deletion', () => {
    const { template } = build();
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('log retention and removal policy can be changed', () => {
    const { template } = build({ logRetention: logs.RetentionDays.ONE_WEEK, logRemovalPolicy: RemovalPolicy.DESTROY });
    template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 7 }, DeletionPolicy: 'Delete' });
  });

  test('sets the Powertools environment with a service name derived from the construct path', () => {
    const stack = new Stack(undefined, 'Shop');
    const { template } = build({}, stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          POWERTOOLS_SERVICE_NAME: 'Shop-Fn',
          POWERTOOLS_METRICS_NAMESPACE: 'cdk-serverless-patterns',
          POWERTOOLS_LOG_LEVEL: 'INFO',
        },
      },
    });
  });

  test('user environment is kept, Powertools settings can be overridden through props', () => {
    const { template } = build({
      environment: { TABLE: 't' },
      serviceName: 'orders',
      metricsNamespace: 'Shop',
      applicationLogLevel: lambda.ApplicationLogLevel.DEBUG,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { TABLE: 't', POWERTOOLS_SERVICE_NAME: 'orders', POWERTOOLS_METRICS_NAMESPACE: 'Shop', POWERTOOLS_LOG_LEVEL: 'DEBUG' } },
      LoggingConfig: { ApplicationLogLevel: 'DEBUG' },
    });
  });

  test('adds the Powertools v2 layer of the stack region, version 50 (the first without AWS SDK clients) by default', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Layers: [{
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':lambda:', { Ref: 'AWS::Region' }, ':094274105915:layer:AWSLambdaPowertoolsTypeScriptV2:50']],
      }],
    });
  });

  test('in a stack with a region, uses the layer of that region', () => {
    const stack = new Stack(undefined, 'Ie', { env: { region: 'eu-west-1', account: '111111111111' } });
    const { template } = build({}, stack);
    template.hasResourceProperties('AWS::Lambda::Function', { Layers: ['arn:aws:lambda:eu-west-1:094274105915:layer:AWSLambdaPowertoolsTypeScriptV2:50'] });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test.each(['ap-east-2', 'ap-southeast-6', 'cn-northwest-1'])('fails at synth in %s, where the Powertools layer is not published, naming the region and the way out', (region) => {
    const stack = new Stack(undefined, 'Far', { env: { region, account: '111111111111' } });
    expect(() => build({}, stack)).toThrow(new RegExp(`^Far/Fn: the Powertools for AWS Lambda \\(TypeScript\\) layer \\(AWSLambdaPowertoolsTypeScriptV2\\) is not published in ${region}, `
      + 'so the function cannot be created there: set enablePowertoolsLayer: false and bundle the @aws-lambda-powertools/\\* packages your code uses'));
  });

  test('fails at synth in me-south-1, whose newest layer is 46, offering that version or turning the layer off', () => {
    const stack = new Stack(undefined, 'Bh', { env: { region: 'me-south-1', account: '111111111111' } });
    expect(() => build({}, stack)).toThrow(/version 50 of the Powertools for AWS Lambda \(TypeScript\) layer is not published in me-south-1, whose newest is 46: set powertoolsLayerVersion: 46 to use that one \(it bundles AWS SDK clients that shadow the runtime's SDK\), or set enablePowertoolsLayer: false/);
  });

  test('synthesizes there with the layer turned off, or with a version given, which warns when it bundles AWS SDK clients', () => {
    const off = new Stack(undefined, 'Hk', { env: { region: 'ap-east-2', account: '111111111111' } });
    build({ enablePowertoolsLayer: false }, off).template.hasResourceProperties('AWS::Lambda::Function', { Layers: Match.absent() });
    const old = new Stack(undefined, 'Bh', { env: { region: 'me-south-1', account: '111111111111' } });
    build({ powertoolsLayerVersion: 46 }, old).template.hasResourceProperties('AWS::Lambda::Function', {
      Layers: ['arn:aws:lambda:me-south-1:094274105915:layer:AWSLambdaPowertoolsTypeScriptV2:46'],
    });
    Annotations.fromStack(old).hasWarning('/Bh/Fn', Match.stringLikeRegexp('Powertools layer version 46 bundles AWS SDK v3 clients'));
  });

  test('uses the GovCloud publisher account for the layer in us-gov-west-1', () => {
    const stack = new Stack(undefined, 'Gov', { env: { region: 'us-gov-west-1', account: '111111111111' } });
    const { template } = build({ powertoolsLayerVersion: 40 }, stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Layers: ['arn:aws-us-gov:lambda:us-gov-west-1:165093116878:layer:AWSLambdaPowertoolsTypeScriptV2:40'],
    });
  });

  test('a Powertools variable in the user environment beats the library default, an explicit prop beats both', () => {
    const { template } = build({ environment: { POWERTOOLS_SERVICE_NAME: 'from-env', POWERTOOLS_METRICS_NAMESPACE: 'EnvNs' }, metricsNamespace: 'PropNs' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'from-env', POWERTOOLS_METRICS_NAMESPACE: 'PropNs' }) },
    });
  });

  test('the layer can be turned off', () => {
    const { template } = build({ enablePowertoolsLayer: false });
    template.hasResourceProperties('AWS::Lambda::Function', { Layers: Match.absent() });
  });

  test('its role has no AWS-managed policy and may write only to its own log group', () => {
    const { stack, fn, template } = build();
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Effect: 'Allow',
          Resource: stack.resolve(fn.logGroup.logGroupArn),
        }]),
      },
    });
  });

  test('asynchronous invocation (the default) retries twice for up to 6 hours, then sends to an on-failure queue', () => {
    const { stack, fn, template } = build();
    expect(fn.failureQueue).toBeDefined();
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21600,
      DestinationConfig: { OnFailure: { Destination: stack.resolve(fn.failureQueue!.queueArn) } },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
  });

  test('synchronous and queue invocations create no on-failure queue', () => {
    for (const invocation of [FunctionInvocation.SYNCHRONOUS, FunctionInvocation.QUEUE]) {
      const { fn, template } = build({ invocation });
      expect(fn.failureQueue).toBeUndefined();
      template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
      template.resourceCountIs('AWS::SQS::Queue', 0);
    }
  });

  test('alarms on errors, throttles and p99 duration at 80% of the timeout', () => {
    const { fn, template } = build({ timeout: Duration.seconds(10), invocation: FunctionInvocation.SYNCHRONOUS });
    expect(fn.alarms).toHaveLength(3);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Throttles', Threshold: 1 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Duration', ExtendedStatistic: 'p99', Threshold: 8000 });
  });

  test('an asynchronous function also alarms on events in its on-failure queue', () => {
    const { fn, template } = build();
    expect(fn.alarms).toHaveLength(4);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 });
  });

  test('sends every alarm and its OK to the alarm topic', () => {
    const stack = new Stack();
    const topic = new sns.Topic(stack, 'Alarms');
    const { template } = build({ alarmTopic: topic, invocation: FunctionInvocation.SYNCHRONOUS }, stack);
    const alarms = template.findResources('AWS::CloudWatch::Alarm');
    expect(Object.keys(alarms)).toHaveLength(3);
    for (const alarm of Object.values(alarms)) {
      expect(alarm.Properties.AlarmActions).toEqual([stack.resolve(topic.topicArn)]);
      expect(alarm.Properties.OKActions).toEqual([stack.resolve(topic.topicArn)]);
    }
  });

  test('lets CloudWatch alarms of the account use the alarm topic\'s customer key and publish to the topic', () => {
    // GIVEN a topic encrypted with a customer key, as platform teams set up alarm topics
    const app = new App();
    const shared = new Stack(app, 'Shared', { env: { account: '123456789012', region: 'eu-west-1' } });
    const key = new kms.Key(shared, 'AlarmKey');
    const topic = new sns.Topic(shared, 'Alarms', { masterKey: key, enforceSSL: true });
    // WHEN alarms of another stack go to it
    build({ alarmTopic: topic }, new Stack(app, 'App', { env: { account: '123456789012', region: 'eu-west-1' } }));
    // THEN
    const conditions = {
      StringEquals: { 'aws:SourceAccount': '123456789012' },
      ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:eu-west-1:123456789012:alarm:*']] } },
    };
    const template = Template.fromStack(shared);
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([{
          Sid: 'AllowCloudWatchAlarmsToUseTheKey',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Resource: '*',
          Condition: conditions,
        }]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Sid: 'AllowCloudWatchAlarmsToPublish',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: shared.resolve(topic.topicArn),
          Condition: conditions,
        }]),
      },
    });
  });

  test('adds the CloudWatch statements once per alarm topic, however many alarms use it', () => {
    const stack = new Stack();
    const topic = new sns.Topic(stack, 'Alarms', { masterKey: new kms.Key(stack, 'AlarmKey') });
    new ServerlessFunction(stack, 'A', { code, handler: 'index.handler', alarmTopic: topic });
    new ServerlessFunction(stack, 'B', { code, handler: 'index.handler', alarmTopic: topic });
    const template = Template.fromStack(stack);
    const keyStatements = Object.values(template.findResources('AWS::KMS::Key'))[0].Properties.KeyPolicy.Statement;
    expect(keyStatements.filter((st: any) => st.Sid === 'AllowCloudWatchAlarmsToUseTheKey')).toHaveLength(1);
    const topicStatements = Object.values(template.findResources('AWS::SNS::TopicPolicy'))[0].Properties.PolicyDocument.Statement;
    expect(topicStatements.filter((st: any) => st.Sid === 'AllowCloudWatchAlarmsToPublish')).toHaveLength(1);
  });

  test('warns that an imported key of the alarm topic must let CloudWatch use it', () => {
    const stack = new Stack();
    const topic = new sns.Topic(stack, 'Alarms', { masterKey: kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab') });
    build({ alarmTopic: topic }, stack);
    Annotations.fromStack(stack).hasWarning('/Default/Alarms', Match.stringLikeRegexp('imported key whose policy this app cannot change: CloudWatch can publish only if that key policy allows cloudwatch.amazonaws.com'));
  });

  test('a description over Lambda\'s 256 characters keeps its last 256, with a warning', () => {
    const stack = new Stack();
    const long = `${'x'.repeat(300)}: the end says what the function does`;
    build({ description: long }, stack).template.hasResourceProperties('AWS::Lambda::Function', { Description: `…${long.slice(-255)}` });
    Annotations.fromStack(stack).hasWarning('/Default/Fn', Match.stringLikeRegexp('The description has 337 characters and Lambda allows 256'));
  });

  test('a pattern deep in a long construct path synthesizes: its generated descriptions keep the meaningful tail', () => {
    // GIVEN a construct path of more than 256 characters
    const stack = new Stack(new App(), 'Stack');
    let scope: Construct = stack;
    for (let i = 0; i < 6; i++) scope = new Construct(scope, `Department${i}WithAVeryLongDescriptiveConstructIdentifier`);
    // WHEN
    new FileProcessingPipeline(scope, 'Thumbnails', { processor: { code, handler: 'index.handler' } });
    // THEN
    const descriptions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')).map((r) => r.Properties.Description).filter(Boolean);
    expect(descriptions).toContainEqual(expect.stringMatching(/^….*Identifier\/Thumbnails: processes uploads$/));
    for (const d of descriptions) expect(d.length).toBeLessThanOrEqual(256);
  });

  test('passes the cdk-nag gate (AwsSolutions + Serverless) with 0 errors for every invocation type', () => {
    const stack = new Stack();
    for (const invocation of [FunctionInvocation.SYNCHRONOUS, FunctionInvocation.ASYNCHRONOUS, FunctionInvocation.QUEUE]) {
      new ServerlessFunction(stack, `Fn${invocation}`, { code, handler: 'index.handler', invocation });
    }
    expect(nagErrors(stack)).toEqual([]);
  });
});

describe('ServerlessFunction validation', () => {
  test('fails for memorySize below 128 MB, naming the prop and the range', () => {
    expect(() => build({ memorySize: 64 })).toThrow(/Fn: memorySize must be an integer between 128 and 10240, got 64/);
  });

  test('fails for memorySize above 10240 MB', () => {
    expect(() => build({ memorySize: 20_000 })).toThrow(/memorySize must be an integer between 128 and 10240, got 20000/);
  });

  test('fails for a timeout over 15 minutes', () => {
    expect(() => build({ timeout: Duration.minutes(16) })).toThrow(/Fn: timeout must be between 1 second and 15 minutes, got 16 minutes/);
  });

  test('fails for retryAttempts outside 0..2', () => {
    expect(() => build({ retryAttempts: 3 })).toThrow(/retryAttempts must be an integer between 0 and 2, got 3/);
  });

  test('fails for retry settings on a synchronous function', () => {
    expect(() => build({ invocation: FunctionInvocation.SYNCHRONOUS, retryAttempts: 1 })).toThrow(/retryAttempts and maxEventAge apply to asynchronous invocations only, but invocation is SYNCHRONOUS/);
  });
});
