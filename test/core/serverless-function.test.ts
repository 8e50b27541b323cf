import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { FileProcessingPipeline, FunctionInvocation, Handler, ServerlessFunction } from '../../src';
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
      + 'so the function cannot be created there: set powertools: false and bundle the @aws-lambda-powertools/\\* packages your code uses'));
  });

  test('fails at synth in me-south-1, whose newest layer is 46, offering that version or turning the layer off', () => {
    const stack = new Stack(undefined, 'Bh', { env: { region: 'me-south-1', account: '111111111111' } });
    expect(() => build({}, stack)).toThrow(/version 50 of the Powertools for AWS Lambda \(TypeScript\) layer is not published in me-south-1, whose newest is 46: set powertoolsLayerVersion: 46 to use that one \(it bundles AWS SDK clients that shadow the runtime's SDK\), or set powertools: false/);
  });

  test('synthesizes there with the layer turned off, or with a version given, which warns when it bundles AWS SDK clients', () => {
    const off = new Stack(undefined, 'Hk', { env: { region: 'ap-east-2', account: '111111111111' } });
    build({ powertools: false }, off).template.hasResourceProperties('AWS::Lambda::Function', { Layers: Match.absent() });
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
    const { template } = build({ powertools: false });
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

  test('a synchronous function alarms on a sustained error rate and on throttles, not on one error', () => {
    const { fn, template } = build({ timeout: Duration.seconds(10), invocation: FunctionInvocation.SYNCHRONOUS });
    expect(fn.alarms).toHaveLength(2);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const rate = alarms.find((a) => a.Metrics)!;
    expect(rate).toMatchObject({ Threshold: 5, EvaluationPeriods: 3, DatapointsToAlarm: 2, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
    const expression = rate.Metrics.find((m: any) => m.Expression);
    expect(expression.Expression).toBe('IF(invocations > 0, 100 * errors / invocations, 0)');
    expect(rate.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric.MetricName).sort()).toEqual(['Errors', 'Invocations']);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Throttles', Threshold: 1, EvaluationPeriods: 3, DatapointsToAlarm: 2 });
    // the p99 duration alarm exists but is off by default
    expect(alarms.some((a) => a.MetricName === 'Duration')).toBe(false);
  });

  test('the duration alarm is turned on, and any alarm tuned, through alarms.overrides', () => {
    const { fn, template } = build({
      timeout: Duration.seconds(10),
      invocation: FunctionInvocation.SYNCHRONOUS,
      alarms: {
        overrides: {
          Duration: { enabled: true },
          ErrorRate: { threshold: 20, period: Duration.minutes(1), evaluationPeriods: 5 },
          Throttles: { enabled: false },
        },
      },
    });
    expect(fn.alarms).toHaveLength(2);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Duration', ExtendedStatistic: 'p99', Threshold: 8000 });
    const rate = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties).find((a) => a.Metrics)!;
    expect(rate).toMatchObject({ Threshold: 20, EvaluationPeriods: 5 });
    expect(rate.DatapointsToAlarm).toBeUndefined();
    expect(rate.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Period)).toEqual([60, 60]);
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'Throttles' }, 0);
  });

  test('an unknown alarm name fails synth listing the alarms there are', () => {
    expect(() => build({ invocation: FunctionInvocation.SYNCHRONOUS, alarms: { overrides: { Errors: { threshold: 3 } } } }))
      .toThrow(/alarms.overrides names 'Errors', which this construct does not have; its alarms are 'Duration', 'ErrorRate', 'Throttles'/);
  });

  test('alarms: { enabled: false } creates none, and rejects overrides that would be ignored', () => {
    const { fn, template } = build({ alarms: { enabled: false } });
    expect(fn.alarms).toHaveLength(0);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(() => build({ alarms: { enabled: false, overrides: { ErrorRate: { threshold: 1 } } } })).toThrow(/alarms.overrides cannot change alarms when alarms.enabled is false/);
    expect(() => build({ alarms: { overrides: { ErrorRate: { period: Duration.seconds(90) } } } })).toThrow(/alarms.overrides\['ErrorRate'\].period must be 1 minute or a multiple of it, got 1 minute 30 seconds/);
  });

  test('alarm actions other than a topic go on ALARM and OK', () => {
    const stack = new Stack();
    const other = new sns.Topic(stack, 'Pager');
    const { template } = build({ alarms: { actions: [new cloudwatchActions.SnsAction(other)] } }, stack);
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual([stack.resolve(other.topicArn)]);
      expect(alarm.Properties.OKActions).toEqual([stack.resolve(other.topicArn)]);
    }
  });

  test('an asynchronous function also alarms on events in its on-failure queue', () => {
    const { fn, template } = build();
    expect(fn.alarms).toHaveLength(2);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 });
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'Throttles' }, 0);
  });

  test('sends every alarm and its OK to the alarm topic', () => {
    const stack = new Stack();
    const topic = new sns.Topic(stack, 'Alarms');
    const { template } = build({ alarms: { topic: topic }, invocation: FunctionInvocation.SYNCHRONOUS }, stack);
    const alarms = template.findResources('AWS::CloudWatch::Alarm');
    expect(Object.keys(alarms)).toHaveLength(2);
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
    build({ alarms: { topic: topic } }, new Stack(app, 'App', { env: { account: '123456789012', region: 'eu-west-1' } }));
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
    new ServerlessFunction(stack, 'A', { code, handler: 'index.handler', alarms: { topic: topic } });
    new ServerlessFunction(stack, 'B', { code, handler: 'index.handler', alarms: { topic: topic } });
    const template = Template.fromStack(stack);
    const keyStatements = Object.values(template.findResources('AWS::KMS::Key'))[0].Properties.KeyPolicy.Statement;
    expect(keyStatements.filter((st: any) => st.Sid === 'AllowCloudWatchAlarmsToUseTheKey')).toHaveLength(1);
    const topicStatements = Object.values(template.findResources('AWS::SNS::TopicPolicy'))[0].Properties.PolicyDocument.Statement;
    expect(topicStatements.filter((st: any) => st.Sid === 'AllowCloudWatchAlarmsToPublish')).toHaveLength(1);
  });

  test('warns that an imported key of the alarm topic must let CloudWatch use it', () => {
    const stack = new Stack();
    const topic = new sns.Topic(stack, 'Alarms', { masterKey: kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab') });
    build({ alarms: { topic: topic } }, stack);
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
    new FileProcessingPipeline(scope, 'Thumbnails', { processor: Handler.fromCode(code, { handler: 'index.handler' }) });
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

describe('ServerlessFunction runtimes and scope', () => {
  test('any runtime and architecture: Python on x86_64 gets no NODE_OPTIONS', () => {
    const { template } = build({ runtime: lambda.Runtime.PYTHON_3_13, architecture: lambda.Architecture.X86_64, handler: 'app.handler' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'python3.13',
      Architectures: ['x86_64'],
      Handler: 'app.handler',
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: Match.anyValue(), NODE_OPTIONS: Match.absent() }) },
    });
  });

  test('the user\'s layers come after the Powertools layer', () => {
    const stack = new Stack(undefined, undefined, { env: { region: 'eu-west-1' } });
    const mine = lambda.LayerVersion.fromLayerVersionArn(stack, 'Mine', 'arn:aws:lambda:eu-west-1:111111111111:layer:mine:3');
    const { template } = build({ layers: [mine] }, stack);
    const layers = Object.values(template.findResources('AWS::Lambda::Function'))[0].Properties.Layers;
    expect(layers).toHaveLength(2);
    expect(JSON.stringify(layers[0])).toMatch(/AWSLambdaPowertoolsTypeScriptV2/);
    expect(layers[1]).toBe('arn:aws:lambda:eu-west-1:111111111111:layer:mine:3');
  });

  test('powertools: false drops the layer and the POWERTOOLS_* environment', () => {
    const { template } = build({ powertools: false });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Layers: Match.absent(),
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: Match.absent() }) },
    });
  });

  test('a timeout that is not whole seconds fails naming the prop, not with aws-cdk-lib\'s unscoped error', () => {
    expect(() => build({ timeout: Duration.millis(1500) })).toThrow(/Default: Fn: timeout must be a whole number of seconds between 1 second and 15 minutes, got 1 second 500 millis \(1500 ms\)/);
  });

  test('its log group and role are its own children, so an id of the user\'s cannot clash with them', () => {
    const stack = new Stack();
    new logs.LogGroup(stack, 'FnLogGroup');
    new Construct(stack, 'FnRole');
    const { fn, template } = build({}, stack);
    expect(fn.node.tryFindChild('LogGroup')).toBe(fn.functionLogGroup);
    expect(fn.executionRole.node.scope).toBe(fn);
    expect(fn.logGroup).toBe(fn.functionLogGroup);
    template.hasResourceProperties('AWS::Lambda::Function', { LoggingConfig: Match.objectLike({ LogGroup: stack.resolve(fn.functionLogGroup.logGroupName), LogFormat: 'JSON' }) });
    template.resourceCountIs('Custom::LogRetention', 0);
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });
});

