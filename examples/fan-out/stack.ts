import * as path from 'path';
import { Stack, StackProps } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { FanOut, Handler } from '../../src';
import { exampleHandlerCode } from '../bundle';

/** OrderPlaced fanned out to inventory, email (created orders only) and analytics. */
export class FanOutExampleStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps & { alarmTopic: sns.ITopic }) {
    super(scope, id, props);
    const handler = (name: string) => Handler.fromCode(exampleHandlerCode(path.join(__dirname, 'handlers', `${name}.ts`)), { handler: 'index.handler' });
    const orders = new FanOut(this, 'OrderPlaced', {
      alarms: { topic: props.alarmTopic },
      consumers: [
        { name: 'inventory', handler: handler('inventory') },
        {
          name: 'email',
          handler: handler('email'),
          filterPolicy: { status: sns.SubscriptionFilter.stringFilter({ allowlist: ['created'] }) },
        },
      ],
    });
    // A consumer added later is as independent as the others: its own queue, DLQ and alarms.
    orders.addConsumer({ name: 'analytics', handler: handler('analytics'), maxConcurrency: 2 });
  }
}
