import * as path from 'path';
import { Stack, StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AsyncHttpApi, Handler, Notifications } from '../../src';
import { exampleHandlerCode } from '../bundle';

/** The reference Python worker (boto3 only, docs/protocols.md): examples/python-worker. */
export const PYTHON_WORKER_DIR = path.join(__dirname, '..', 'python-worker');

/**
 * Invoice reports as asynchronous jobs: POST /jobs, then poll GET /jobs/{jobId} or listen on the
 * bus. A second API runs its jobs with the Python reference worker (word counts).
 */
export class AsyncHttpApiExampleStack extends Stack {
  public readonly api: AsyncHttpApi;
  public readonly pythonApi: AsyncHttpApi;

  constructor(scope: Construct, id: string, props: StackProps & { alarmTopic: sns.ITopic }) {
    super(scope, id, props);
    this.api = new AsyncHttpApi(this, 'Reports', {
      worker: Handler.fromCode(exampleHandlerCode(path.join(__dirname, 'handlers', 'report.ts')), { handler: 'index.handler' }),
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
      notifications: Notifications.eventBridge(new events.EventBus(this, 'JobEvents')),
      alarms: { topic: props.alarmTopic },
    });

    this.pythonApi = new AsyncHttpApi(this, 'WordCounts', {
      worker: Handler.fromAsset(PYTHON_WORKER_DIR, { runtime: lambda.Runtime.PYTHON_3_14, handler: 'app.handler' }),
      requestSchema: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } },
      alarms: { topic: props.alarmTopic },
    });
  }
}
