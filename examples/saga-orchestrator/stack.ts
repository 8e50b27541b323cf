import * as path from 'path';
import { Stack, StackProps } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { Handler, SagaOrchestrator } from '../../src';
import { exampleHandlerCode } from '../bundle';

const handler = (name: string): Handler =>
  Handler.fromCode(exampleHandlerCode(path.join(__dirname, 'handlers', `${name}.ts`)), { handler: 'index.handler' });

/** Book a trip: hotel, flight, payment; a failure undoes what was done, in reverse order. */
export class SagaOrchestratorExampleStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps & { alarmTopic: sns.ITopic }) {
    super(scope, id, props);
    new SagaOrchestrator(this, 'BookTrip', {
      steps: [
        { name: 'ReserveHotel', action: handler('reserve-hotel'), compensation: handler('cancel-hotel') },
        { name: 'BookFlight', action: handler('book-flight'), compensation: handler('cancel-flight') },
        { name: 'ChargePayment', action: handler('charge-payment') },
      ],
      alarms: { topic: props.alarmTopic },
    });
  }
}
