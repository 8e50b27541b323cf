import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

const logger = new Logger();

/** Records audit events from the queue; a record that is not JSON is reported as failed. */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const entry = JSON.parse(record.body) as { actor?: string; action?: string };
      logger.info('audit', { actor: entry.actor, action: entry.action });
    } catch (error) {
      logger.error('unreadable audit record', { messageId: record.messageId, error: error as Error });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
};
