import * as path from 'path';
import { RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { Handler, TableChangeHandler } from '../../src';
import { exampleHandlerCode } from '../bundle';

/** The domain the welcome e-mails are sent from (an SES identity verified through DNS at deploy). */
export const WELCOME_DOMAIN = 'example.com';

/**
 * TableChangeHandler twice: a users table whose inserts send a welcome e-mail through SES exactly
 * once per user (Powertools idempotency keyed by the user id), and an orders table projected into
 * a read model (CQRS) by one handler of every change (`onChange`), in stream order.
 */
export class TableChangeHandlerExampleStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps & { alarmTopic: sns.ITopic }) {
    super(scope, id, props);
    const code = (name: string) => exampleHandlerCode(path.join(__dirname, 'handlers', `${name}.ts`));
    const table = (tableId: string, partitionKey: string, timeToLiveAttribute?: string) => new dynamodb.Table(this, tableId, {
      partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Welcome e-mail: inserts of the users table only (a profile change is not a new user).
    const users = table('Users', 'userId');
    const idempotency = table('WelcomeIdempotency', 'id', 'expiration');
    const identity = new ses.EmailIdentity(this, 'WelcomeIdentity', { identity: ses.Identity.domain(WELCOME_DOMAIN) });
    const welcome = new TableChangeHandler(this, 'Welcome', {
      table: users,
      onInsert: Handler.fromCode(code('welcome-email'), {
        handler: 'index.handler',
        environment: { IDEMPOTENCY_TABLE_NAME: idempotency.tableName, WELCOME_FROM_ADDRESS: `welcome@${WELCOME_DOMAIN}` },
      }),
      alarms: { topic: props.alarmTopic },
    });
    idempotency.grantReadWriteData(welcome.onInsertFunction!);
    identity.grantSendEmail(welcome.onInsertFunction!);

    // CQRS: every change of an order (insert, status change, delete) moves the customer's summary.
    const orders = table('Orders', 'orderId');
    const readModel = table('OrderSummaries', 'pk');
    const projection = new TableChangeHandler(this, 'OrderProjection', {
      table: orders,
      // One function for every change: the changes of an order are applied in stream order.
      onChange: Handler.fromCode(code('order-projection'), { handler: 'index.handler', environment: { READ_MODEL_TABLE_NAME: readModel.tableName } }),
      alarms: { topic: props.alarmTopic },
    });
    readModel.grantWriteData(projection.onChangeFunction!);
  }
}
