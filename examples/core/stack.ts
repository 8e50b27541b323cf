import * as path from 'path';
import { Stack, StackProps } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DeadLetteredQueue, FunctionInvocation, ServerlessFunction } from '../../src';
import { exampleHandlerCode } from '../bundle';

/** The shared building blocks on their own: a queue with its DLQ consumed by a ServerlessFunction. */
export class CoreExampleStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps & { alarmTopic: sns.ITopic }) {
    super(scope, id, props);
    const audit = new DeadLetteredQueue(this, 'AuditQueue', { alarms: { topic: props.alarmTopic } });
    const consumer = new ServerlessFunction(this, 'AuditConsumer', {
      code: exampleHandlerCode(path.join(__dirname, 'handlers', 'audit.ts')),
      handler: 'index.handler',
      invocation: FunctionInvocation.QUEUE,
      alarms: { topic: props.alarmTopic },
    });
    audit.addConsumer(consumer);
  }
}
