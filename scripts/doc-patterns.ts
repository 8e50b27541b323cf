/**
 * The stack each pattern's docs page draws: the pattern with its minimal props, as the README's
 * first example writes it (inline code, so no bundling is needed to draw it).
 */
import * as path from 'path';
import { Stack, TimeZone } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ApiAuthorization, AsyncHttpApi, FanOut, FileProcessingPipeline, Handler, JobSchedule, SagaOrchestrator, ScheduledJob, ServerlessRestApi, StaticSite, TableChangeHandler } from '../src';

export interface DocPattern {
  /** File name under docs/patterns/ without `.md`. */
  readonly slug: string;
  /** Builds the pattern in an empty stack. */
  readonly build: (stack: Stack) => void;
}

const code = lambda.Code.fromInline('exports.handler = async () => ({})');

export const DOC_PATTERNS: DocPattern[] = [
  {
    slug: 'scheduled-job',
    build: (stack) => new ScheduledJob(stack, 'NightlyReport', {
      schedule: JobSchedule.cron({ minute: '0', hour: '2' }),
      timeZone: TimeZone.EUROPE_PARIS,
      handler: Handler.fromCode(code, { handler: 'index.handler' }),
    }),
  },
  {
    slug: 'saga-orchestrator',
    build: (stack) => {
      const fn = Handler.fromCode(code, { handler: 'index.handler' });
      new SagaOrchestrator(stack, 'BookTrip', {
        steps: [
          { name: 'ReserveHotel', action: fn, compensation: fn },
          { name: 'BookFlight', action: fn, compensation: fn },
          { name: 'ChargePayment', action: fn },
        ],
      });
    },
  },
  {
    slug: 'static-site',
    build: (stack) => new StaticSite(stack, 'Docs', { sourcePath: path.join(__dirname, '..', 'examples', 'static-site', 'site') }),
  },
  {
    slug: 'file-processing-pipeline',
    build: (stack) => new FileProcessingPipeline(stack, 'Thumbnails', {
      processor: Handler.fromCode(code, { handler: 'index.handler' }),
      inputPrefix: 'uploads/',
      inputSuffixes: ['.jpg', '.png'],
    }),
  },
  {
    slug: 'async-http-api',
    build: (stack) => new AsyncHttpApi(stack, 'Reports', { worker: Handler.fromCode(code, { handler: 'index.handler' }) }),
  },
  {
    slug: 'fan-out',
    build: (stack) => new FanOut(stack, 'OrderPlaced', {
      consumers: [
        { name: 'inventory', handler: Handler.fromCode(code, { handler: 'index.handler' }) },
        { name: 'email', handler: Handler.fromCode(code, { handler: 'index.handler' }), filterPolicy: { status: sns.SubscriptionFilter.stringFilter({ allowlist: ['created'] }) } },
      ],
    }),
  },
  {
    slug: 'serverless-rest-api',
    build: (stack) => new ServerlessRestApi(stack, 'Catalog', {
      resources: [{ name: 'items' }],
      authorization: ApiAuthorization.jwt({ issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123', audience: ['app-client-id'] }),
    }),
  },
  {
    slug: 'table-change-handler',
    build: (stack) => {
      // The table and the pattern in one scope, so the diagram (which drops the first path segment) shows the table.
      const app = new Construct(stack, 'Users');
      new TableChangeHandler(app, 'Welcome', {
        table: new dynamodb.Table(app, 'Table', { partitionKey: { name: 'userId', type: dynamodb.AttributeType.STRING }, timeToLiveAttribute: 'expiresAt' }),
        onInsert: Handler.fromCode(code, { handler: 'index.handler' }),
        onExpire: Handler.fromCode(code, { handler: 'index.handler' }),
      });
    },
  },
];
