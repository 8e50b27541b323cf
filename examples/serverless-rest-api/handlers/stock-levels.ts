/**
 * A user handler for one resource of a ServerlessRestApi (`stock-levels`): read-only, computed
 * from the `products` records in the same table. It keeps the API's conventions: the routes of a
 * resource, JSON error bodies `{ error: { code, message } }`, never a stack trace.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const TABLE = process.env.REST_API_TABLE_NAME!;

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const id = event.pathParameters?.id;
  if (event.requestContext.http.method !== 'GET' || id === undefined) {
    return reply(405, { error: { code: 'MethodNotAllowed', message: 'stock levels are read one product at a time: GET /stock-levels/{id}' } });
  }
  try {
    // The built-in handler of `products` keeps each product at pk = 'products', sk = its id.
    const found = await client.send(new GetCommand({ TableName: TABLE, Key: { pk: 'products', sk: id } }));
    if (!found.Item) return reply(404, { error: { code: 'NotFound', message: `products/${id} does not exist` } });
    const stock = Number(found.Item.data?.stock ?? 0);
    return reply(200, { id, stock, status: stock === 0 ? 'out-of-stock' : stock < 10 ? 'low' : 'in-stock' });
  } catch (error) {
    console.error(JSON.stringify({ message: 'stock level failed', error: String(error) }));
    return reply(500, { error: { code: 'InternalError', message: 'the request could not be completed; try again' } });
  }
};

function reply(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
