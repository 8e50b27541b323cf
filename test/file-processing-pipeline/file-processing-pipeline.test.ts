import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { FileProcessingPipeline, FileProcessingPipelineProps } from '../../src';
import { nagErrors } from '../helpers/nag';

const code = lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] })');
const processor = { code, handler: 'index.handler' };

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
    const role = (pipeline.processorFunction as lambda.Function).role!;
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
    const role = (pipeline.processorFunction as lambda.Function).role!;
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
    const pipeline = new FileProcessingPipeline(stack, 'P', { processor, notificationEventBus: bus });
    const t = Template.fromStack(stack);
    expect(pipeline.notificationTopic).toBeUndefined();
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

  test('exposes the queue, DLQ and processor alarms', () => {
    const { pipeline } = build();
    expect(pipeline.alarms).toHaveLength(5);
  });

  test('passes the cdk-nag gate (AwsSolutions + Serverless) with 0 errors', () => {
    const { stack } = build({ inputPrefix: 'uploads/', inputSuffixes: ['.jpg', '.png'] });
    expect(nagErrors(stack)).toEqual([]);
  });
});

describe('FileProcessingPipeline validation', () => {
  test('fails for a processor timeout over 15 minutes, pointing to Step Functions or ECS', () => {
    expect(() => build({ processor: { ...processor, timeout: Duration.minutes(20) } }))
      .toThrow(/the processor timeout must be at most 15 minutes \(Lambda's limit\), got 20 minutes; longer file processing belongs in Step Functions/);
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

  test('fails with both processor and processorFunction', () => {
    const stack = new Stack();
    const fn = new lambda.Function(stack, 'F', { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_24_X });
    expect(() => new FileProcessingPipeline(stack, 'P', { processor, processorFunction: fn })).toThrow(/specify either processor or processorFunction, not both/);
  });

  test('fails with neither processor nor processorFunction', () => {
    expect(() => new FileProcessingPipeline(new Stack(), 'P', {})).toThrow(/specify one of processor or processorFunction/);
  });

  test('fails for an empty suffix', () => {
    expect(() => build({ inputSuffixes: [''] })).toThrow(/inputSuffixes must be non-empty and contain no comma, got ''/);
  });
});
