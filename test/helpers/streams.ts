/** Stream-table helpers for the DynamoDB Streams tests (on DynamoDB Local, test/helpers/dynamodb-local.ts). */
import { CreateTableCommand, DeleteItemCommand, DynamoDBClient, KeySchemaElement, AttributeDefinition, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import type { InvokeResult } from '../../src/local/lambda';

/** Creates a PAY_PER_REQUEST table with a NEW_AND_OLD_IMAGES stream; answers the stream ARN. */
export async function createStreamTable(ddb: DynamoDBClient, tableName: string, key = 'id'): Promise<string> {
  const keySchema: KeySchemaElement[] = [{ AttributeName: key, KeyType: 'HASH' }];
  const attributes: AttributeDefinition[] = [{ AttributeName: key, AttributeType: 'S' }];
  const out = await ddb.send(new CreateTableCommand({
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: keySchema,
    AttributeDefinitions: attributes,
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  }));
  return out.TableDescription!.LatestStreamArn!;
}

/** A Lambda context for handlers run in this process. */
export function lambdaContext(functionName = 'stream-handler', timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: `req-${Math.random().toString(16).slice(2)}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Runs a handler in this process as the poller's invoker (an exception is a function error). */
export function inProcess<E, R>(handler: (event: E, context: Context) => Promise<R>): (event: E) => Promise<InvokeResult> {
  return async (event) => {
    try {
      return { ok: true, result: await handler(event, lambdaContext()) };
    } catch (error) {
      return { ok: false, error: { errorType: (error as Error).name, errorMessage: (error as Error).message } };
    }
  };
}

/**
 * The order history both CQRS tests replay: three orders, the second shipped, the third deleted,
 * so the read model must end with orders o-1 (OPEN, 30) and o-2 (SHIPPED, 12).
 */
export async function writeOrderHistory(ddb: DynamoDBClient, orders: string): Promise<void> {
  const order = (orderId: string, total: number, status = 'OPEN') => ({ orderId: { S: orderId }, customerId: { S: 'c-1' }, total: { N: String(total) }, status: { S: status } });
  await ddb.send(new PutItemCommand({ TableName: orders, Item: order('o-1', 30) }));
  await ddb.send(new PutItemCommand({ TableName: orders, Item: order('o-2', 12) }));
  await ddb.send(new PutItemCommand({ TableName: orders, Item: order('o-3', 5) }));
  await ddb.send(new PutItemCommand({ TableName: orders, Item: order('o-2', 12, 'SHIPPED') }));
  await ddb.send(new DeleteItemCommand({ TableName: orders, Key: { orderId: { S: 'o-3' } } }));
}
