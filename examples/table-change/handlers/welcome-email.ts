/**
 * TableChangeHandler example (onInsert of the users table): sends a welcome e-mail through SES
 * exactly once per user. Streams deliver at least once (a batch is retried after a failure or a
 * timeout, records after a failed one come again), so the send is made idempotent with Powertools
 * idempotency, keyed by the user id, in a DynamoDB table: a redelivered insert of the same user
 * finds the completed record and does not send again.
 *
 * Environment: IDEMPOTENCY_TABLE_NAME (partition key `id`, TTL attribute `expiration`),
 * WELCOME_FROM_ADDRESS.
 */
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { tableChangeHandler } from 'cdk-serverless-patterns-runtime/table-change';

export interface User {
  readonly userId: string;
  readonly email: string;
  readonly name: string;
}

const ses = new SESv2Client({});
const config = new IdempotencyConfig({ eventKeyJmesPath: 'userId', expiresAfterSeconds: 7 * 24 * 3600 });

const sendWelcome = makeIdempotent(async (user: User): Promise<{ messageId: string }> => {
  const out = await ses.send(new SendEmailCommand({
    FromEmailAddress: process.env.WELCOME_FROM_ADDRESS,
    Destination: { ToAddresses: [user.email] },
    Content: {
      Simple: {
        Subject: { Data: `Welcome, ${user.name}` },
        Body: { Text: { Data: `Hello ${user.name}, your account ${user.userId} is ready.` } },
      },
    },
  }));
  return { messageId: out.MessageId ?? '' };
}, {
  persistenceStore: new DynamoDBPersistenceLayer({ tableName: process.env.IDEMPOTENCY_TABLE_NAME! }),
  config,
});

export const handler = tableChangeHandler<User>(async (change, context) => {
  // The construct's filter delivers only INSERTs; anything else is not a new user.
  if (change.kind !== 'insert' || !change.newItem) return;
  config.registerLambdaContext(context);
  await sendWelcome(change.newItem);
});
