import * as path from 'path';
import { Stack, StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AsyncHttpApi } from '../../src';
import { exampleHandlerCode } from '../bundle';

/** Invoice reports as asynchronous jobs: POST /jobs, then poll GET /jobs/{jobId} or listen on the bus. */
export class AsyncHttpApiExampleStack extends Stack {
  public readonly api: AsyncHttpApi;

  constructor(scope: Construct, id: string, props: StackProps & { alarmTopic: sns.ITopic }) {
    super(scope, id, props);
    this.api = new AsyncHttpApi(this, 'Reports', {
      worker: { code: exampleHandlerCode(path.join(__dirname, 'handlers', 'report.ts')), handler: 'index.handler' },
      requestSchema: {
        type: 'object',
        required: ['customerId', 'lines'],
        properties: {
          customerId: { type: 'string', minLength: 1 },
          lines: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              required: ['sku', 'quantity', 'unitPrice'],
              properties: { sku: { type: 'string' }, quantity: { type: 'integer', minimum: 1 }, unitPrice: { type: 'number', minimum: 0 } },
            },
          },
        },
      },
      completionEventBus: new events.EventBus(this, 'JobEvents'),
      alarmTopic: props.alarmTopic,
    });
  }
}
