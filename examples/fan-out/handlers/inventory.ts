import { Logger } from '@aws-lambda-powertools/logger';
import { fanOutConsumer } from 'cdk-serverless-patterns-runtime/fan-out-consumer';

const logger = new Logger();

interface OrderPlaced {
  readonly orderId: string;
  readonly lines: { readonly sku: string; readonly quantity: number }[];
}

/** Reserves stock for every line of an order; a malformed order fails and is dead-lettered. */
export const handler = fanOutConsumer<OrderPlaced>(async ({ message }) => {
  if (!Array.isArray(message.lines) || message.lines.some((l) => !(l.quantity > 0))) {
    throw new Error(`order ${message.orderId} has no valid lines`);
  }
  for (const line of message.lines) {
    logger.info('reserve stock', { orderId: message.orderId, sku: line.sku, quantity: line.quantity });
  }
});
