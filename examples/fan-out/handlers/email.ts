import { Logger } from '@aws-lambda-powertools/logger';
import { fanOutConsumer } from 'cdk-serverless-patterns-runtime/fan-out-consumer';

const logger = new Logger();

/** Sends the order confirmation; only orders with status "created" reach it (filter policy). */
export const handler = fanOutConsumer<{ orderId: string; customerEmail: string }>(async ({ message }) => {
  logger.info('send confirmation', { orderId: message.orderId, to: message.customerEmail.replace(/^(.).*@/, '$1***@') });
});
