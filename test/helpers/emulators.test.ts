import { CreateTableCommand, DynamoDBClient, PutItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { RunningEmulator, startDynalite, startFauxqs, uniqueName } from './emulators';

let sqsEmulator: RunningEmulator;
let dynamoEmulator: RunningEmulator;

beforeAll(async () => {
  sqsEmulator = await startFauxqs();
  dynamoEmulator = await startDynalite();
});
afterAll(async () => {
  await sqsEmulator.stop();
  await dynamoEmulator.stop();
});

test('a default-configured SQS client reaches fauxqs through AWS_ENDPOINT_URL_SQS', async () => {
  const sqs = new SQSClient({});
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('q') }));
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'hello' }));
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
  expect(Messages?.map((m) => m.Body)).toEqual(['hello']);
});

test('a default-configured DynamoDB client reaches dynalite through AWS_ENDPOINT_URL_DYNAMODB', async () => {
  const ddb = new DynamoDBClient({});
  const TableName = uniqueName('t');
  await ddb.send(new CreateTableCommand({
    TableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
  }));
  await ddb.send(new PutItemCommand({ TableName, Item: { id: { S: 'a' }, v: { N: '1' } } }));
  const { Item } = await ddb.send(new GetItemCommand({ TableName, Key: { id: { S: 'a' } }, ConsistentRead: true }));
  expect(Item?.v).toEqual({ N: '1' });
});
