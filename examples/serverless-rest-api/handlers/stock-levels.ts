/**
 * A user handler for one resource of a ServerlessRestApi (`stock-levels`): read-only, computed
 * from the `products` records the built-in handler keeps in the same table. The runtime helper
 * keeps the API's conventions: the route of the request, `{ error: { code, message } }` bodies,
 * never a stack trace.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { REST_API_ENV, REST_API_RECORD, restError, restJson, restRouteOf } from 'cdk-serverless-patterns-runtime/rest-api';

const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const target = restRouteOf(event);
  if (target?.route !== 'get') {
    return restError(405, 'MethodNotAllowed', 'stock levels are read one product at a time: GET /stock-levels/{id}');
  }
  try {
    // The built-in handler of `products` keeps each product at pk = 'products', sk = its id, body in `data`.
    const found = await client.send(new GetCommand({
      TableName: process.env[REST_API_ENV.TABLE_NAME],
      Key: { [REST_API_RECORD.PK]: 'products', [REST_API_RECORD.SK]: target.id },
    }));
    if (!found.Item) return restError(404, 'NotFound', `products/${target.id} does not exist`);
    const stock = Number(found.Item[REST_API_RECORD.DATA]?.stock ?? 0);
    return restJson(200, { id: target.id, stock, status: stock === 0 ? 'out-of-stock' : stock < 10 ? 'low' : 'in-stock' });
  } catch (error) {
    console.error(JSON.stringify({ message: 'stock level failed', error: String(error) }));
    return restError(500, 'InternalError', 'the request could not be completed; try again');
  }
};
