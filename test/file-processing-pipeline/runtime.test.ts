/**
 * The FileProcessingPipeline data path run for real against fauxqs on 127.0.0.1 (S3, SQS with
 * redrive, SNS -> SQS for the notices) with the `fileProcessor` runtime helper. fauxqs has no
 * bucket notifications, so the test builds the S3 event as S3 shapes it (URL-encoded keys,
 * spaces as '+') and sends it to the queue, as the notification would.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { FILE_ENV } from '../../src/file-processing-pipeline/runtime/env';
import { decodeS3Key, fileProcessor } from '../../src/runtime';
import { lambdaContext, sqsEvent } from '../fixtures/events';
import { RunningEmulator, startFauxqs, uniqueName } from '../helpers/emulators';
import { EventSourceMapping } from '../helpers/event-source';

let emulator: RunningEmulator;
let sqs: SQSClient;
let s3: S3Client;
let sns: SNSClient;

beforeAll(async () => {
  emulator = await startFauxqs();
  sqs = new SQSClient({});
  s3 = new S3Client({ forcePathStyle: true });
  sns = new SNSClient({});
});
afterAll(async () => emulator.stop());

/** How S3 writes a key into an event notification: URL-encoded, spaces as '+', '/' kept. */
function s3EventKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
}

function s3Event(bucket: string, key: string, size: number) {
  return JSON.stringify({
    Records: [{
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: new Date().toISOString(),
      eventName: 'ObjectCreated:Put',
      s3: { s3SchemaVersion: '1.0', configurationId: 'n1', bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` }, object: { key: s3EventKey(key), size, eTag: 'e' } },
    }],
  });
}

interface Setup { input: string; output: string; queueUrl: string; dlqUrl: string; inboxUrl: string }

/** Buckets, the upload queue + DLQ (3 receives), a notice topic with an inbox queue, and the processor's environment. */
async function setup(inputPrefix = 'uploads/', suffixes = '.txt'): Promise<Setup> {
  const input = uniqueName('in');
  const output = uniqueName('out');
  await s3.send(new CreateBucketCommand({ Bucket: input }));
  await s3.send(new CreateBucketCommand({ Bucket: output }));
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('dlq') }));
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn;
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('uploads'), Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 3 }) } }));
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName('notices') }));
  const inbox = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('inbox') }));
  const inboxArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: inbox.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn;
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: inboxArn, Attributes: { RawMessageDelivery: 'true' } }));
  Object.assign(process.env, {
    [FILE_ENV.OUTPUT_BUCKET_NAME]: output,
    [FILE_ENV.OUTPUT_PREFIX]: 'processed/',
    [FILE_ENV.INPUT_PREFIX]: inputPrefix,
    [FILE_ENV.INPUT_SUFFIXES]: suffixes,
    [FILE_ENV.MAX_RECEIVE_COUNT]: '3',
    [FILE_ENV.NOTIFICATION_TOPIC_ARN]: TopicArn,
  });
  return { input, output, queueUrl: queue.QueueUrl!, dlqUrl: dlq.QueueUrl!, inboxUrl: inbox.QueueUrl! };
}

async function upload(s: Setup, key: string, body: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: s.input, Key: key, Body: body }));
  await sqs.send(new SendMessageCommand({ QueueUrl: s.queueUrl, MessageBody: s3Event(s.input, key, Buffer.byteLength(body)) }));
}

async function notices(s: Setup): Promise<any[]> {
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: s.inboxUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  return Messages.map((m) => JSON.parse(m.Body!));
}

/** The processor under test: upper-cases text files; a file that says CORRUPT cannot be processed. */
const upperCase = fileProcessor(async (file) => {
  const text = (await file.read()).toString('utf8');
  if (text.startsWith('CORRUPT')) throw new Error(`cannot parse ${file.key}`);
  await file.write(`${file.key.replace(/^uploads\//, '').replace(/\.txt$/, '')}.upper.txt`, text.toUpperCase(), 'text/plain');
});

test('decodes keys as S3 encodes them in events', () => {
  expect(decodeS3Key('uploads/my+photo%281%29.txt')).toBe('uploads/my photo(1).txt');
  expect(decodeS3Key('uploads/a%2Bb.txt')).toBe('uploads/a+b.txt');
  expect(decodeS3Key('uploads/%C3%A9t%C3%A9/%E5%86%99%E7%9C%9F.txt')).toBe('uploads/été/写真.txt');
});

test('uploads with spaces, +, unicode and nested prefixes are processed into the output bucket, each with a FileProcessed notice', async () => {
  const s = await setup();
  const keys = ['uploads/my report.txt', 'uploads/a+b.txt', 'uploads/été/写真.txt', 'uploads/2026/11/22/deep.txt'];
  for (const key of keys) await upload(s, key, `hello ${key}`);
  await new EventSourceMapping(s.queueUrl, upperCase).drain();
  for (const key of keys) {
    const outputKey = `processed/${key.replace(/^uploads\//, '').replace(/\.txt$/, '')}.upper.txt`;
    const out = await s3.send(new GetObjectCommand({ Bucket: s.output, Key: outputKey }));
    expect(await out.Body!.transformToString()).toBe(`hello ${key}`.toUpperCase());
  }
  const received = await notices(s);
  expect(received.map((n) => n.key).sort()).toEqual([...keys].sort());
  expect(received.find((n) => n.key === 'uploads/a+b.txt')).toMatchObject({
    type: 'FileProcessed', bucket: s.input, outputBucket: s.output, outputKeys: ['processed/a+b.upper.txt'], size: Buffer.byteLength('hello uploads/a+b.txt'),
  });
});

test('a corrupt file is retried, then ends in the DLQ with a FileFailed notice', async () => {
  const s = await setup();
  await upload(s, 'uploads/broken.txt', 'CORRUPT bytes');
  const mapping = new EventSourceMapping(s.queueUrl, upperCase);
  for (let i = 0; i <= 3; i++) await mapping.pollOnce();
  const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: s.dlqUrl, WaitTimeSeconds: 1 }));
  expect(dead.Messages).toHaveLength(1);
  expect(JSON.parse(dead.Messages![0].Body!).Records[0].s3.object.key).toBe('uploads/broken.txt');
  expect(await notices(s)).toEqual([{ type: 'FileFailed', bucket: s.input, key: 'uploads/broken.txt', error: { name: 'Error', message: 'cannot parse uploads/broken.txt' }, attempts: 3 }]);
});

test('an object outside the prefix/suffix filter is not processed', async () => {
  const s = await setup('uploads/', '.txt');
  await upload(s, 'other/file.txt', 'x');
  await upload(s, 'uploads/image.png', 'y');
  let calls = 0;
  const counting = fileProcessor(async () => {
    calls++;
  });
  await new EventSourceMapping(s.queueUrl, counting).drain();
  expect(calls).toBe(0);
  expect(await notices(s)).toEqual([]);
});

test('the s3:TestEvent S3 sends when notifications are configured is skipped', async () => {
  const s = await setup();
  await sqs.send(new SendMessageCommand({ QueueUrl: s.queueUrl, MessageBody: JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: s.input }) }));
  let calls = 0;
  await new EventSourceMapping(s.queueUrl, fileProcessor(async () => {
    calls++;
  })).drain();
  expect(calls).toBe(0);
  const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: s.dlqUrl, WaitTimeSeconds: 0 }));
  expect(dead.Messages ?? []).toEqual([]);
});

test('a FileProcessed notice that cannot be sent neither processes the file again nor turns it into FileFailed', async () => {
  // GIVEN a notice topic that rejects every publish (it does not exist)
  const s = await setup();
  process.env[FILE_ENV.NOTIFICATION_TOPIC_ARN] = 'arn:aws:sns:us-east-1:000000000000:no-such-topic';
  await upload(s, 'uploads/once.txt', 'hello');
  let calls = 0;
  const counting = fileProcessor(async (file) => {
    calls++;
    await file.write('once.out', 'x');
  });
  // WHEN
  const mapping = new EventSourceMapping(s.queueUrl, counting);
  for (let i = 0; i <= 3; i++) await mapping.pollOnce();
  // THEN
  const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: s.dlqUrl, WaitTimeSeconds: 0 }));
  expect(calls).toBe(1);
  expect(dead.Messages ?? []).toEqual([]);
  const out = await s3.send(new GetObjectCommand({ Bucket: s.output, Key: 'processed/once.out' }));
  expect(await out.Body!.transformToString()).toBe('x');
});

test('stream() gives the object as a stream', async () => {
  const s = await setup();
  const body = 'line\n'.repeat(10_000);
  await upload(s, 'uploads/big.txt', body);
  let streamed = 0;
  await new EventSourceMapping(s.queueUrl, fileProcessor(async (file) => {
    for await (const chunk of await file.stream()) streamed += (chunk as Buffer).length;
  })).drain();
  expect(streamed).toBe(Buffer.byteLength(body));
});

test('with notices off, no FileProcessed or FileFailed notice is sent', async () => {
  const s = await setup();
  await upload(s, 'uploads/quiet.txt', 'hello');
  await upload(s, 'uploads/quiet-broken.txt', 'CORRUPT');
  const quiet = fileProcessor(async (file) => {
    if ((await file.read()).toString().startsWith('CORRUPT')) throw new Error('corrupt');
  }, { notices: false });
  const mapping = new EventSourceMapping(s.queueUrl, quiet);
  for (let i = 0; i <= 3; i++) await mapping.pollOnce();
  expect(await notices(s)).toEqual([]);
});

test('the given logger is the one that logs', async () => {
  const s = await setup();
  await upload(s, 'uploads/logged.txt', 'hello');
  const logger = new Logger({ serviceName: 'files' });
  const info = jest.spyOn(logger, 'info');
  await new EventSourceMapping(s.queueUrl, fileProcessor(async () => undefined, { logger })).drain();
  expect(info).toHaveBeenCalledWith('file processed', expect.objectContaining({ key: 'uploads/logged.txt' }));
});

test('a batch in which every file fails reports each as an item failure instead of failing the invocation', async () => {
  const s = await setup();
  await upload(s, 'uploads/bad-1.txt', 'CORRUPT 1');
  await upload(s, 'uploads/bad-2.txt', 'CORRUPT 2');
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: s.queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: s.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  const response = await upperCase(sqsEvent(queueArn, Messages), lambdaContext());
  expect(Messages).toHaveLength(2);
  expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(Messages.map((m) => m.MessageId).sort());
});
