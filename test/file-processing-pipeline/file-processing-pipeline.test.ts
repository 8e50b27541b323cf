import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { FileProcessingPipeline, FileProcessingPipelineProps, Handler, Notifications } from '../../src';
import { nagErrors } from '../helpers/nag';

const code = lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] })');
const processor = Handler.fromCode(code, { handler: 'index.handler' });

function build(props: Partial<FileProcessingPipelineProps> = {}) {
  const stack = new Stack();
  const pipeline = new FileProcessingPipeline(stack, 'Thumbnails', { processor, ...props } as FileProcessingPipelineProps);
  return { stack, pipeline, template: Template.fromStack(stack) };
}

describe('FileProcessingPipeline infrastructure', () => {
  test('the input bucket is private, encrypted, TLS-only, versioned, expires noncurrent versions and logs access', () => {
    const { stack, pipeline, template } = build();
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: { Rules: [Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' })] },
      LoggingConfiguration: { DestinationBucketName: stack.resolve(pipeline.accessLogsBucket!.bucketName), LogFilePrefix: 'input/' },
    });
    template.resourcePropertiesCountIs('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    }, 3);
  });

  test('the output bucket is private, encrypted and logs access, and is not versioned', () => {
    const { stack, pipeline, template } = build();
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: stack.resolve(pipeline.accessLogsBucket!.bucketName), LogFilePrefix: 'output/' },
      VersioningConfiguration: Match.absent(),
    });
  });

  test('one ObjectCreated notification per suffix, with the prefix, to the upload queue', () => {
    const { stack, pipeline, template } = build({ inputPrefix: 'uploads/', inputSuffixes: ['.jpg', '.png'] });
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: stack.resolve(pipeline.inputBucket.bucketName),
      NotificationConfiguration: {
        QueueConfigurations: [
          { Events: ['s3:ObjectCreated:*'], QueueArn: stack.resolve(pipeline.queue.queueArn), Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: '.jpg' }, { Name: 'prefix', Value: 'uploads/' }] } } },
          { Events: ['s3:ObjectCreated:*'], QueueArn: stack.resolve(pipeline.queue.queueArn), Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: '.png' }, { Name: 'prefix', Value: 'uploads/' }] } } },
        ],
      },
    });
  });

  test('the processor consumes the queue with partial batch responses, and the queue redrives to its DLQ', () => {
    const { stack, pipeline, template } = build({ batchSize: 2, maxConcurrency: 5 });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: stack.resolve(pipeline.queue.queueArn),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 2,
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 720,
      RedrivePolicy: { deadLetterTargetArn: stack.resolve(pipeline.deadLetterQueue.queueArn), maxReceiveCount: 5 },
    });
  });

  test('the processor may read input objects under the prefix and write output objects under the output prefix, nothing more (aws-cdk-lib\'s bucket grants)', () => {
    const { stack, pipeline, template } = build({ inputPrefix: 'uploads/', outputPrefix: 'thumbs/' });
    const role = pipeline.processorFunction.role!;
    const policies = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([stack.resolve(role.roleName)]));
    const s3Statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement).filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('s3:')));
    expect(s3Statements).toEqual([
      {
        Action: ['s3:GetObject*', 's3:GetBucket*', 's3:List*'],
        Effect: 'Allow',
        Resource: [stack.resolve(pipeline.inputBucket.bucketArn), { 'Fn::Join': ['', [stack.resolve(pipeline.inputBucket.bucketArn), '/uploads/*']] }],
      },
      {
        Action: ['s3:PutObject', 's3:PutObjectLegalHold', 's3:PutObjectRetention', 's3:PutObjectTagging', 's3:PutObjectVersionTagging', 's3:Abort*'],
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', [stack.resolve(pipeline.outputBucket.bucketArn), '/thumbs/*']] },
      },
    ]);
  });

  test('on SSE-KMS buckets the processor may decrypt with the input bucket\'s key and encrypt with the output bucket\'s key', () => {
    // GIVEN input and output buckets encrypted with customer keys
    const stack = new Stack();
    const inKey = new kms.Key(stack, 'InKey');
    const outKey = new kms.Key(stack, 'OutKey');
    const inputBucket = new s3.Bucket(stack, 'In', { encryption: s3.BucketEncryption.KMS, encryptionKey: inKey });
    const outputBucket = new s3.Bucket(stack, 'Out', { encryption: s3.BucketEncryption.KMS, encryptionKey: outKey });
    // WHEN
    const pipeline = new FileProcessingPipeline(stack, 'Thumbnails', { processor, inputBucket, outputBucket, inputPrefix: 'uploads/' });
    // THEN
    const role = pipeline.processorFunction.role!;
    const template = Template.fromStack(stack);
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([stack.resolve(role.roleName)]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual(expect.arrayContaining([
      { Action: ['kms:Decrypt', 'kms:DescribeKey'], Effect: 'Allow', Resource: stack.resolve(inKey.keyArn) },
      { Action: ['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Decrypt'], Effect: 'Allow', Resource: stack.resolve(outKey.keyArn) },
    ]));
    // the test's own buckets and keys are bare; the pipeline's resources pass the gate
    expect(nagErrors(stack).filter((e) => e.includes('/Thumbnails/'))).toEqual([]);
  });

  test('the processor knows the output bucket, prefixes, suffixes, notification topic and maxReceiveCount', () => {
    const { stack, pipeline, template } = build({ inputPrefix: 'uploads/', inputSuffixes: ['.jpg', '.png'], outputPrefix: 'thumbs/' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 120,
      Environment: {
        Variables: Match.objectLike({
          OUTPUT_BUCKET_NAME: stack.resolve(pipeline.outputBucket.bucketName),
          OUTPUT_PREFIX: 'thumbs/',
          INPUT_PREFIX: 'uploads/',
          INPUT_SUFFIXES: '.jpg,.png',
          MAX_RECEIVE_COUNT: '5',
          NOTIFICATION_TOPIC_ARN: stack.resolve(pipeline.notificationTopic!.topicArn),
        }),
      },
    });
  });

  test('notices go to a KMS-encrypted topic by default, or to an EventBridge bus', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    const stack = new Stack();
    const bus = new events.EventBus(stack, 'Bus');
    const pipeline = new FileProcessingPipeline(stack, 'P', { processor, notifications: Notifications.eventBridge(bus) });
    const t = Template.fromStack(stack);
    expect(pipeline.notificationTopic).toBeUndefined();
    expect(pipeline.notificationBus).toBe(bus);
    t.resourceCountIs('AWS::SNS::Topic', 0);
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ NOTIFICATION_EVENT_BUS_NAME: stack.resolve(bus.eventBusName) }) } });
  });

  test('one bucket for input and output works when the output prefix lies outside the input prefix', () => {
    const stack = new Stack();
    const bucket = new s3.Bucket(stack, 'Shared', { enforceSSL: true });
    const pipeline = new FileProcessingPipeline(stack, 'P', { processor, inputBucket: bucket, outputBucket: bucket, inputPrefix: 'in/', outputPrefix: 'out/' });
    expect(pipeline.inputBucket).toBe(bucket);
    expect(pipeline.accessLogsBucket).toBeUndefined();
  });

  test('exposes its alarms: DLQ depth and oldest upload age by default', () => {
    const { pipeline, template } = build();
    expect(pipeline.alarms).toHaveLength(2);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
  });

  test('passes the cdk-nag gate (AwsSolutions + Serverless) with 0 errors', () => {
    const { stack } = build({ inputPrefix: 'uploads/', inputSuffixes: ['.jpg', '.png'] });
    expect(nagErrors(stack)).toEqual([]);
  });
});

describe('FileProcessingPipeline validation', () => {
  test('fails for a processor timeout over 15 minutes, pointing to Step Functions or ECS', () => {
    expect(() => build({ processor: Handler.fromCode(code, { handler: 'index.handler', timeout: Duration.minutes(20) }) }))
      .toThrow(/processor\.timeout must be between 1 second and 15 minutes, got 20 minutes/);
    const stack = new Stack();
    const fn = new lambda.Function(stack, 'Long', { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_24_X, timeout: Duration.minutes(20) });
    expect(() => new FileProcessingPipeline(stack, 'P', { processor: Handler.fromFunction(fn) }))
      .toThrow(/processor: the timeout of Default\/Long must be at most 15 minutes \(Lambda's limit\), got 20 minutes; longer file processing belongs in Step Functions/);
  });

  test('fails when the same bucket would feed outputs back into the input filter', () => {
    const stack = new Stack();
    const bucket = new s3.Bucket(stack, 'Shared');
    expect(() => new FileProcessingPipeline(stack, 'P', { processor, inputBucket: bucket, outputBucket: bucket, inputPrefix: 'uploads/', outputPrefix: 'uploads/thumbs/' }))
      .toThrow(/same bucket, so outputPrefix \('uploads\/thumbs\/'\) must lie outside inputPrefix \('uploads\/'\).*bill forever/);
  });

  test('fails for the same bucket without any prefix', () => {
    const stack = new Stack();
    const bucket = new s3.Bucket(stack, 'Shared');
    expect(() => new FileProcessingPipeline(stack, 'P', { processor, inputBucket: bucket, outputBucket: bucket, inputSuffixes: ['.jpg'] }))
      .toThrow(/outputPrefix \(''\) must lie outside inputPrefix \(''\) \(suffix filters .jpg do not help/);
  });

  test('fails without a Handler, and for the removed v0.1 props, naming their v0.2 replacement', () => {
    expect(() => new FileProcessingPipeline(new Stack(), 'P', {} as any)).toThrow(/processor must be a Handler/);
    expect(() => new FileProcessingPipeline(new Stack(), 'P', { processor: { code, handler: 'index.handler' } } as any)).toThrow(/processor must be a Handler/);
    const stack = new Stack();
    const fn = new lambda.Function(stack, 'F', { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_24_X });
    expect(() => new FileProcessingPipeline(stack, 'P', { processor, processorFunction: fn } as any))
      .toThrow(/processorFunction was removed in v0.2: processor: Handler.fromFunction\(fn\) replaces/);
    expect(() => new FileProcessingPipeline(stack, 'Q', { processor, notificationEventBus: {}, alarmTopic: {} } as any))
      .toThrow(/notificationEventBus, alarmTopic were removed in v0.2/);
  });

  test('fails for an empty suffix', () => {
    expect(() => build({ inputSuffixes: ['.csv', ''] })).toThrow(/inputSuffixes\[1\] must be non-empty and contain no comma, got ''/);
    expect(() => build({ inputSuffixes: ['a,b'] })).toThrow(/inputSuffixes\[0\] must be non-empty and contain no comma, got 'a,b'/);
  });
});

describe('FileProcessingPipeline v0.2: processor Handler, notifications, prefixes, grants, metrics, alarms', () => {
  function statementsOf(stack: Stack, template: Template, role: iam.IRole) {
    return Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([stack.resolve(role.roleName)]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
  }

  test('a Handler.fromFunction processor gets the environment, the event source and the grants; its own timeout sizes the visibility timeout', () => {
    const stack = new Stack();
    const fn = new lambda.Function(stack, 'Mine', { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_24_X, timeout: Duration.minutes(5) });
    const pipeline = new FileProcessingPipeline(stack, 'P', { processor: Handler.fromFunction(fn), inputPrefix: 'in/' });
    expect(pipeline.processorFunction).toBe(fn);
    const t = Template.fromStack(stack);
    t.resourcePropertiesCountIs('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ INPUT_PREFIX: 'in/', OUTPUT_BUCKET_NAME: stack.resolve(pipeline.outputBucket.bucketName) }) } }, 1);
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionName: stack.resolve(fn.functionName), EventSourceArn: stack.resolve(pipeline.queue.queueArn) });
    t.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 1800, RedrivePolicy: Match.anyValue() });
    expect(pipeline.alarms).toHaveLength(2); // the function's own alarms are the user's
  });

  test('Notifications.sns(topic) uses the given topic; Notifications.eventBridge() the default bus', () => {
    const stack = new Stack();
    const topic = new sns.Topic(stack, 'Mine');
    const a = new FileProcessingPipeline(stack, 'A', { processor, notifications: Notifications.sns(topic) });
    expect(a.notificationTopic).toBe(topic);
    expect(a.notificationBus).toBeUndefined();
    const b = new FileProcessingPipeline(stack, 'B', { processor, notifications: Notifications.eventBridge() });
    expect(b.notificationBus!.eventBusName).toBe('default');
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::SNS::Topic', 1);
    t.resourcePropertiesCountIs('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ NOTIFICATION_EVENT_BUS_NAME: 'default' }) } }, 1);
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'events:PutEvents', Resource: stack.resolve(b.notificationBus!.eventBusArn) })]) },
    });
  });

  test('a prefix starting with / fails, naming the prop and the fix (S3 keys have no leading slash)', () => {
    expect(() => build({ inputPrefix: '/uploads/' })).toThrow(/inputPrefix must not start with '\/' \(S3 keys have no leading slash, so '\/uploads\/' would never match\): use 'uploads\/'/);
    expect(() => build({ outputPrefix: '/out/' })).toThrow(/outputPrefix must not start with '\/'/);
  });

  test('overlapping suffixes fail (S3 rejects them at deploy)', () => {
    expect(() => build({ inputSuffixes: ['.tar.gz', '.gz'] })).toThrow(/inputSuffixes\[0\] \('.tar.gz'\) ends with inputSuffixes\[1\] \('.gz'\): S3 rejects overlapping notification filters/);
    expect(() => build({ inputSuffixes: ['.csv', '.csv'] })).toThrow(/inputSuffixes\[1\] \('.csv'\) ends with inputSuffixes\[0\]/);
    expect(() => build({ inputSuffixes: ['.csv', '.CSV'] })).not.toThrow();
  });

  test('the same bucket imported twice by name is the same bucket for the recursion guard', () => {
    const stack = new Stack();
    const inputBucket = s3.Bucket.fromBucketName(stack, 'In', 'shared-bucket');
    const outputBucket = s3.Bucket.fromBucketName(stack, 'Out', 'shared-bucket');
    expect(() => new FileProcessingPipeline(stack, 'P', { processor, inputBucket, outputBucket, inputPrefix: 'in/', outputPrefix: 'in/out/' }))
      .toThrow(/same bucket, so outputPrefix \('in\/out\/'\) must lie outside inputPrefix \('in\/'\)/);
  });

  test('grantUpload: s3:PutObject and s3:AbortMultipartUpload under the input prefix, and the input key\'s data-key actions', () => {
    const stack = new Stack();
    const key = new kms.Key(stack, 'InKey');
    const inputBucket = new s3.Bucket(stack, 'In', { encryption: s3.BucketEncryption.KMS, encryptionKey: key });
    const pipeline = new FileProcessingPipeline(stack, 'P', { processor, inputBucket, inputPrefix: 'uploads/' });
    const uploader = new iam.Role(stack, 'Uploader', { assumedBy: new iam.AccountRootPrincipal() });
    pipeline.grantUpload(uploader);
    expect(statementsOf(stack, Template.fromStack(stack), uploader)).toEqual([
      { Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Effect: 'Allow', Resource: { 'Fn::Join': ['', [stack.resolve(inputBucket.bucketArn), '/uploads/*']] } },
      { Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Effect: 'Allow', Resource: stack.resolve(key.keyArn) },
    ]);
  });

  test('grantReadOutput: s3:GetObject under the output prefix, and kms:Decrypt on the output key; no KMS statement for SSE-S3', () => {
    const stack = new Stack();
    const key = new kms.Key(stack, 'OutKey');
    const outputBucket = new s3.Bucket(stack, 'Out', { encryption: s3.BucketEncryption.KMS, encryptionKey: key });
    const pipeline = new FileProcessingPipeline(stack, 'P', { processor, outputBucket, outputPrefix: 'results/' });
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    pipeline.grantReadOutput(reader);
    const plain = new FileProcessingPipeline(stack, 'Plain', { processor });
    const other = new iam.Role(stack, 'Other', { assumedBy: new iam.AccountRootPrincipal() });
    plain.grantReadOutput(other);
    plain.grantUpload(other);
    const template = Template.fromStack(stack);
    expect(statementsOf(stack, template, reader)).toEqual([
      { Action: 's3:GetObject', Effect: 'Allow', Resource: { 'Fn::Join': ['', [stack.resolve(outputBucket.bucketArn), '/results/*']] } },
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: stack.resolve(key.keyArn) },
    ]);
    expect(statementsOf(stack, template, other)).toEqual([
      { Action: 's3:GetObject', Effect: 'Allow', Resource: { 'Fn::Join': ['', [stack.resolve(plain.outputBucket.bucketArn), '/*']] } },
      { Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Effect: 'Allow', Resource: { 'Fn::Join': ['', [stack.resolve(plain.inputBucket.bucketArn), '/*']] } },
    ]);
  });

  test('metrics: files waiting, oldest file age, dead letters', () => {
    const { stack, pipeline } = build();
    expect(pipeline.metricFilesWaiting().metricName).toBe('ApproximateNumberOfMessagesVisible');
    expect(stack.resolve(pipeline.metricFilesWaiting().dimensions)).toEqual({ QueueName: stack.resolve(pipeline.queue.queueName) });
    expect(pipeline.metricOldestFileAge().metricName).toBe('ApproximateAgeOfOldestMessage');
    expect(stack.resolve(pipeline.metricDeadLetters().dimensions)).toEqual({ QueueName: stack.resolve(pipeline.deadLetterQueue.queueName) });
    expect(pipeline.metricDeadLetters().statistic).toBe('Maximum');
  });

  test('alarm names Queue.* and Processor.*; Processor.ErrorRate can be turned on; an unknown name fails synth listing the names', () => {
    const { pipeline, template } = build({ alarms: { overrides: { 'Processor.ErrorRate': { enabled: true }, 'Queue.DeadLetters': { threshold: 3 } } } });
    expect(pipeline.alarms).toHaveLength(3);
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 3 }, 1);
    const app = new App();
    const stack = new Stack(app, 'S');
    new FileProcessingPipeline(stack, 'P', { processor, alarms: { overrides: { 'Worker.ErrorRate': { enabled: true } } } });
    expect(() => app.synth()).toThrow(/alarms.overrides names 'Worker.ErrorRate', which this construct does not have; its alarms are 'Processor.Duration', 'Processor.ErrorRate', 'Queue.DeadLetters', 'Queue.OldestMessageAge'/);
  });

  test('consumer tuning: batchSize above 10 with a batching window; the core rule names the prop', () => {
    const { template } = build({ batchSize: 100, maxBatchingWindow: Duration.seconds(30) });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 100, MaximumBatchingWindowInSeconds: 30 });
    expect(() => build({ batchSize: 100 })).toThrow(/batchSize above 10 \(got 100\) needs maxBatchingWindow/);
  });
});
