import * as path from 'path';
import { Stack, StackProps } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { FanOut } from '../../src';
import { exampleHandlerCode } from '../bundle';

/** OrderPlaced fanned out to inventory, email (created orders only) and analytics. */
export class FanOutExampleStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps & { alarmTopic: sns.ITopic }) {
    super(scope, id, props);
    const code = (name: string) => exampleHandlerCode(path.join(__dirname, 'handlers', `${name}.ts`));
    const orders = new FanOut(this, 'OrderPlaced', {
      alarmTopic: props.alarmTopic,
      consumers: [
        { name: 'inventory', handler: { code: code('inventory'), handler: 'index.handler' } },
        {
          name: 'email',
          handler: { code: code('email'), handler: 'index.handler' },
          filterPolicy: { status: sns.SubscriptionFilter.stringFilter({ allowlist: ['created'] }) },
        },
      ],
    });
    // A consumer added later is as independent as the others: its own queue, DLQ and alarms.
    orders.addConsumer({ name: 'analytics', handler: { code: code('analytics'), handler: 'index.handler' }, maxConcurrency: 2 });
  }
}
