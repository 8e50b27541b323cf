import { App, Aspects, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AsyncHttpApi, FanOut, GuardrailRule, GuardrailSeverity, Handler, ServerlessDefaults, ServerlessGuardrails, ServerlessGuardrailsProps, TableChangeHandler } from '../../src';

const code = lambda.Code.fromInline('exports.handler = async () => {}');

function plainFunction(stack: Stack, id: string, props: Partial<lambda.FunctionProps> = {}) {
  return new lambda.Function(stack, id, { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_24_X, ...props });
}

function guarded(build: (stack: Stack) => void, props?: ServerlessGuardrailsProps) {
  const app = new App();
  const stack = new Stack(app, 'Plain');
  build(stack);
  Aspects.of(stack).add(new ServerlessGuardrails(props));
  app.synth();
  return Annotations.fromStack(stack);
}

function errorsOf(annotations: Annotations): string[] {
  return annotations.findError('*', Match.anyValue()).map((e) => String(e.entry.data));
}

describe('ServerlessGuardrails on plain aws-cdk-lib', () => {
  test('reports a queue without a DLQ, with the path and the fix', () => {
    const annotations = guarded((stack) => new sqs.Queue(stack, 'Orders'));
    annotations.hasError('/Plain/Orders', Match.stringLikeRegexp('\\[QueueWithoutDlq\\] Plain/Orders: this SQS queue has no dead-letter queue.*Fix: give it a redrive policy'));
  });

  test('does not report the dead-letter queue itself', () => {
    const annotations = guarded((stack) => {
      const dlq = new sqs.Queue(stack, 'Dlq');
      new sqs.Queue(stack, 'Orders', { deadLetterQueue: { queue: dlq, maxReceiveCount: 3 } });
    });
    expect(errorsOf(annotations).filter((e) => e.includes('QueueWithoutDlq'))).toEqual([]);
  });

  test('reports an SQS event source without partial batch responses and a visibility timeout under 6 x the consumer timeout', () => {
    const annotations = guarded((stack) => {
      const dlq = new sqs.Queue(stack, 'Dlq');
      const queue = new sqs.Queue(stack, 'Jobs', { visibilityTimeout: Duration.seconds(60), deadLetterQueue: { queue: dlq, maxReceiveCount: 3 } });
      const fn = plainFunction(stack, 'Worker', { timeout: Duration.seconds(30), architecture: lambda.Architecture.ARM_64, logRetention: logs.RetentionDays.ONE_DAY });
      fn.addEventSource(new eventSources.SqsEventSource(queue));
    });
    const errors = errorsOf(annotations);
    expect(errors).toEqual(expect.arrayContaining([
      expect.stringMatching(/\[NoPartialBatchResponse\] .*Fix: set reportBatchItemFailures: true/),
      expect.stringMatching(/\[VisibilityTimeoutTooShort\] Plain\/Jobs: the visibility timeout \(60 s\) is under 6 x the timeout of its consumer Plain\/Worker \(30 s\).*at least 180 seconds/),
    ]));
  });

  test('reports an asynchronously invoked function without a DLQ, on x86_64, without log retention', () => {
    const annotations = guarded((stack) => {
      const bucket = new s3.Bucket(stack, 'Uploads');
      const fn = plainFunction(stack, 'OnUpload');
      bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(fn));
    });
    const errors = errorsOf(annotations).filter((e) => e.includes('Plain/OnUpload'));
    expect(errors).toEqual(expect.arrayContaining([
      expect.stringMatching(/\[AsyncFunctionWithoutDlq\] Plain\/OnUpload: this function is invoked asynchronously/),
      expect.stringMatching(/\[X86Function\] Plain\/OnUpload/),
      expect.stringMatching(/\[NoLogRetention\] Plain\/OnUpload/),
    ]));
    // aws-cdk-lib's deploy-time bucket-notifications handler is exempt
    expect(errorsOf(annotations).filter((e) => e.includes('BucketNotificationsHandler'))).toEqual([]);
  });

  test('reports a function allowed into the database security group directly', () => {
    const annotations = guarded((stack) => {
      const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
      const cluster = new rds.DatabaseCluster(stack, 'Db', {
        engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
        writer: rds.ClusterInstance.serverlessV2('Writer'),
        vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      });
      const fn = plainFunction(stack, 'Reader', { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
      cluster.connections.allowDefaultPortFrom(fn);
    });
    annotations.hasError('*', Match.stringLikeRegexp('\\[DirectDatabaseAccess\\].*put an RDS Proxy in front'));
  });

  test('an exception relaxes a rule with its reason, only under its path prefix', () => {
    const annotations = guarded((stack) => {
      new sqs.Queue(stack, 'LegacyOrders');
      new sqs.Queue(stack, 'NewOrders');
    }, { exceptions: [{ rule: GuardrailRule.QUEUE_WITHOUT_DLQ, reason: 'drained by a legacy poller with its own retry store', pathPrefix: 'Plain/Legacy' }] });
    annotations.hasInfo('/Plain/LegacyOrders', Match.stringLikeRegexp('Relaxed: drained by a legacy poller'));
    annotations.hasError('/Plain/NewOrders', Match.stringLikeRegexp('QueueWithoutDlq'));
    expect(errorsOf(annotations).filter((e) => e.includes('LegacyOrders'))).toEqual([]);
  });

  test('severity WARNING reports findings as warnings', () => {
    const annotations = guarded((stack) => new sqs.Queue(stack, 'Orders'), { severity: GuardrailSeverity.WARNING });
    annotations.hasWarning('/Plain/Orders', Match.stringLikeRegexp('QueueWithoutDlq'));
    expect(errorsOf(annotations)).toEqual([]);
  });
});

describe('ServerlessGuardrails on this library', () => {
  test('stacks built with the patterns are clean', () => {
    const annotations = guarded((stack) => {
      new AsyncHttpApi(stack, 'Jobs', { worker: Handler.fromCode(code, { handler: 'index.handler' }) });
      new FanOut(stack, 'Orders', { consumers: [{ name: 'inventory', handler: Handler.fromCode(code, { handler: 'index.handler' }) }] });
      new TableChangeHandler(stack, 'Welcome', {
        table: new dynamodb.Table(stack, 'Users', { partitionKey: { name: 'userId', type: dynamodb.AttributeType.STRING } }),
        onInsert: Handler.fromCode(code, { handler: 'index.handler' }),
      });
    });
    expect(errorsOf(annotations)).toEqual([]);
  });

  test('a queue that is only a stream event source mapping\'s on-failure destination needs no DLQ of its own', () => {
    const annotations = guarded((stack) => {
      const table = new dynamodb.Table(stack, 'T', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING }, stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES });
      const failures = new sqs.Queue(stack, 'Failures');
      const fn = new lambda.Function(stack, 'Fn', {
        code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_24_X, architecture: lambda.Architecture.ARM_64,
      });
      fn.addEventSource(new eventSources.DynamoEventSource(table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        onFailure: new eventSources.SqsDlq(failures),
      }));
      new sqs.Queue(stack, 'Lonely');
    });
    const dlqFindings = errorsOf(annotations).filter((e) => e.includes(GuardrailRule.QUEUE_WITHOUT_DLQ));
    expect(dlqFindings).toHaveLength(1);
    expect(dlqFindings[0]).toMatch(/Lonely/);
  });
});

describe('ServerlessDefaults', () => {
  function withDefaults(build: (stack: Stack) => void, props = {}) {
    const app = new App();
    const stack = new Stack(app, 'Plain');
    build(stack);
    Aspects.of(stack).add(new ServerlessDefaults(props));
    return Template.fromStack(stack);
  }

  test('gives a plain function a log group with one month of retention, active tracing and the Powertools environment', () => {
    const template = withDefaults((stack) => plainFunction(stack, 'Fn'));
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: Match.anyValue() },
      Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'Plain-Fn', POWERTOOLS_METRICS_NAMESPACE: 'cdk-serverless-patterns' } },
    });
  });

  test('moves only opted-in runtime families to ARM64', () => {
    const template = withDefaults((stack) => {
      plainFunction(stack, 'Node');
      plainFunction(stack, 'Python', { runtime: lambda.Runtime.PYTHON_3_13 });
    }, { arm64RuntimeFamilies: [lambda.RuntimeFamily.NODEJS] });
    template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'python3.13', Architectures: Match.absent() });
  });

  test('never overrides what the user set: architecture, tracing, log group, Powertools variables', () => {
    const template = withDefaults((stack) => {
      const logGroup = new logs.LogGroup(stack, 'Mine', { retention: logs.RetentionDays.ONE_YEAR });
      plainFunction(stack, 'Fn', {
        architecture: lambda.Architecture.X86_64,
        tracing: lambda.Tracing.PASS_THROUGH,
        logGroup,
        environment: { POWERTOOLS_SERVICE_NAME: 'mine' },
      });
    }, { arm64RuntimeFamilies: [lambda.RuntimeFamily.NODEJS] });
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Architectures: ['x86_64'],
      TracingConfig: { Mode: 'PassThrough' },
      Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'mine', POWERTOOLS_METRICS_NAMESPACE: 'cdk-serverless-patterns' } },
    });
  });

  test('leaves ServerlessFunctions (already with the defaults) alone', () => {
    const template = withDefaults((stack) => new AsyncHttpApi(stack, 'Jobs', { worker: Handler.fromCode(code, { handler: 'index.handler' }) }));
    // worker, submit, status and dead-letter functions + the access logs: no extra log group added
    template.resourceCountIs('AWS::Logs::LogGroup', 5);
  });

  test('a plain function with ServerlessDefaults (ARM64 opted in) passes ServerlessGuardrails', () => {
    const app = new App();
    const stack = new Stack(app, 'Plain');
    plainFunction(stack, 'Fn');
    Aspects.of(stack).add(new ServerlessDefaults({ arm64RuntimeFamilies: [lambda.RuntimeFamily.NODEJS] }));
    Aspects.of(stack).add(new ServerlessGuardrails());
    app.synth();
    expect(errorsOf(Annotations.fromStack(stack))).toEqual([]);
  });
});
