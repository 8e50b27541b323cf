/**
 * An AsyncHttpApi pipeline on the emulators, as the construct deploys it: a job table, a jobs
 * queue with a DLQ (redrive after `maxReceiveCount`), and the environment the construct sets on
 * the submit handler and the worker. Used by the runtime tests and the pipeline benchmark.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { uniqueName } from './emulators';
import { ENV } from '../../src/async-http-api/runtime/env';
import { JobStore } from '../../src/async-http-api/runtime/job-store';
import { configFromEnvironment, SubmitConfig } from '../../src/async-http-api/runtime/submit.handler';

export interface JobPipeline {
  readonly tableName: string;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly config: SubmitConfig;
  readonly store: JobStore;
}

export async function createJobPipeline(maxReceiveCount: number, extra: Partial<SubmitConfig> = {}): Promise<JobPipeline> {
  const sqs = new SQSClient({});
  const ddb = new DynamoDBClient({});
  const tableName = uniqueName('jobs');
  await ddb.send(new CreateTableCommand({
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'jobId', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'jobId', KeyType: 'HASH' }],
  }));
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('jobs-dlq') }));
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn;
  const queue = await sqs.send(new CreateQueueCommand({
    QueueName: uniqueName('jobs'),
    Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }), VisibilityTimeout: '30' },
  }));
  process.env[ENV.JOBS_TABLE_NAME] = tableName;
  process.env[ENV.JOBS_QUEUE_URL] = queue.QueueUrl;
  process.env[ENV.MAX_RECEIVE_COUNT] = String(maxReceiveCount);
  for (const optional of [ENV.COMPLETION_TOPIC_ARN, ENV.COMPLETION_EVENT_BUS_NAME, ENV.REQUEST_SCHEMA]) delete process.env[optional];
  const config = { ...configFromEnvironment(), ...extra };
  return { tableName, queueUrl: queue.QueueUrl!, deadLetterQueueUrl: dlq.QueueUrl!, config, store: new JobStore(tableName) };
}

/** A completion notice as the worker and the dead-letter consumer publish it. */
export interface CompletionNotice {
  readonly type: string;
  readonly jobId: string;
  readonly error?: { readonly name: string; readonly message: string };
}

/**
 * JobSucceeded / JobFailed notices: a topic (set as COMPLETION_TOPIC_ARN) with a raw-delivery inbox
 * queue. Answers a reader that returns every notice received so far (until the inbox is empty).
 */
export async function completionInbox(): Promise<() => Promise<CompletionNotice[]>> {
  const sqs = new SQSClient({});
  const sns = new SNSClient({});
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName('done') }));
  const inbox = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('inbox') }));
  const inboxArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: inbox.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn;
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: inboxArn, Attributes: { RawMessageDelivery: 'true' } }));
  process.env[ENV.COMPLETION_TOPIC_ARN] = TopicArn;
  return async () => {
    const all: CompletionNotice[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: inbox.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      if (Messages.length === 0) return all;
      all.push(...Messages.map((m) => JSON.parse(m.Body!) as CompletionNotice));
    }
  };
}
