/**
 * TableChangeHandler example (CQRS): projects the orders table into a read model, one item per
 * customer with their open order count and total. Each change applies the difference between the
 * old and the new image, in stream order (tableChangeHandler stops a batch at its first failure,
 * so a later change of an order is never applied before an earlier one). A projection that is
 * applied twice would count twice: the read model keeps, per order, the sequence number of the
 * last change applied, and a change at or before it is skipped (a conditional write).
 *
 * Environment: READ_MODEL_TABLE_NAME (partition key `pk`).
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { tableChangeHandler } from 'cdk-serverless-patterns-runtime/table-change';

export interface Order {
  readonly orderId: string;
  readonly customerId: string;
  readonly total: number;
  readonly status: 'OPEN' | 'SHIPPED' | 'CANCELLED';
}

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

/** What an order contributes to its customer's summary. */
function contribution(order: Order | undefined): { count: number; total: number } {
  return order && order.status === 'OPEN' ? { count: 1, total: order.total } : { count: 0, total: 0 };
}

export const handler = tableChangeHandler<Order>(async (change) => {
  const tableName = process.env.READ_MODEL_TABLE_NAME!;
  const order = change.newItem ?? change.oldItem;
  if (!order) return;
  const before = contribution(change.oldItem);
  const after = contribution(change.newItem);
  // Stream sequence numbers are decimal strings that grow within a shard: compare them as numbers.
  const sequence = BigInt(change.sequenceNumber).toString().padStart(40, '0');
  try {
    await documents.send(new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: tableName,
            Item: { pk: `ORDER#${order.orderId}`, appliedSequence: sequence },
            ConditionExpression: 'attribute_not_exists(pk) OR appliedSequence < :seq',
            ExpressionAttributeValues: { ':seq': sequence },
          },
        },
        {
          Update: {
            TableName: tableName,
            Key: { pk: `CUSTOMER#${order.customerId}` },
            UpdateExpression: 'ADD openOrders :count, openTotal :total',
            ExpressionAttributeValues: { ':count': after.count - before.count, ':total': after.total - before.total },
          },
        },
      ],
    }));
  } catch (error) {
    // Already applied (a redelivered batch): nothing to do.
    if ((error as Error).name === 'TransactionCanceledException'
      && String((error as Error).message).includes('ConditionalCheckFailed')) return;
    if (error instanceof ConditionalCheckFailedException) return;
    throw error;
  }
});
