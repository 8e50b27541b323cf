/**
 * Completion notices (`JobSucceeded` / `JobFailed`) to the bus and/or topic the construct
 * configured, shared by `jobWorker` and the dead-letter consumer so both send the same shape.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { COMPLETION_EVENT_SOURCE, ENV } from './env';

const eventBridge = new EventBridgeClient({});
const sns = new SNSClient({});

export type CompletionType = 'JobSucceeded' | 'JobFailed';

/** Publishes a completion notice where the environment names a bus or topic; a no-op otherwise. */
export async function notifyCompletion(detailType: CompletionType, detail: Record<string, unknown>): Promise<void> {
  const busName = process.env[ENV.COMPLETION_EVENT_BUS_NAME];
  const topicArn = process.env[ENV.COMPLETION_TOPIC_ARN];
  const tasks: Promise<unknown>[] = [];
  if (busName) {
    tasks.push(eventBridge.send(new PutEventsCommand({
      Entries: [{ EventBusName: busName, Source: COMPLETION_EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail) }],
    })).then((out) => {
      if (out.FailedEntryCount) throw new Error(`EventBridge rejected the ${detailType} event: ${out.Entries?.[0]?.ErrorMessage}`);
    }));
  }
  if (topicArn) {
    tasks.push(sns.send(new PublishCommand({
      TopicArn: topicArn,
      Message: JSON.stringify({ type: detailType, ...detail }),
      MessageAttributes: { type: { DataType: 'String', StringValue: detailType } },
    })));
  }
  await Promise.all(tasks);
}
