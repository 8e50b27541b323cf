import * as fs from 'fs';
import * as path from 'path';
import { templateToMermaid, referencedIds } from '../../scripts/diagram';
import { renderDiagrams, stalePages } from '../../scripts/docs';

describe('pattern diagrams', () => {
  test('every committed pattern page holds the diagram its code produces now (run npx projen docs:diagrams when this fails)', () => {
    expect(stalePages()).toEqual([]);
  });

  test('the AsyncHttpApi diagram shows both routes, the queue feeding the worker and the redrive to the DLQ', () => {
    const block = renderDiagrams().get('async-http-api')!;
    expect(block).toContain('HttpApi -- "POST /jobs" --> SubmitFunction');
    expect(block).toContain('HttpApi -- "GET /jobs/{jobId}" --> StatusFunction');
    expect(block).toContain('Jobs_Queue -- "batches, partial failures" --> Worker');
    expect(block).toContain('Jobs_Queue -. "after 5 receives" .-> Jobs_DeadLetterQueue');
  });

  test('the ScheduledJob diagram shows the schedule running the function, its DLQ and the function\'s failure queue', () => {
    const block = renderDiagrams().get('scheduled-job')!;
    expect(block).toContain('Schedule -- "cron(0 2 * * ? *)" --> Handler');
    expect(block).toContain('Schedule -. "failed after retries" .-> DeadLetterQueue');
    expect(block).toContain('Handler -. "on failure" .-> Handler_FailureQueue');
  });

  test('the StaticSite diagram shows the OAC origin, the viewer-request function and the logs', () => {
    const block = renderDiagrams().get('static-site')!;
    expect(block).toContain('Distribution -- "origin" --> Bucket');
    expect(block).toContain('Distribution -- "viewer-request" --> DirectoryIndex');
    expect(block).toContain('Distribution -. "standard logs" .-> LogBucket');
  });

  test('the ServerlessRestApi diagram shows the six routes of a resource on its function, and the function using the table', () => {
    const block = renderDiagrams().get('serverless-rest-api')!;
    for (const route of ['GET /items', 'POST /items', 'GET /items/{id}', 'PUT /items/{id}', 'PATCH /items/{id}', 'DELETE /items/{id}']) {
      expect(block).toContain(`HttpApi -- "${route}" --> ItemsFunction`);
    }
    expect(block).toContain('ItemsFunction -. "uses" .-> Table');
  });

  test('every pattern has a page', () => {
    expect([...renderDiagrams().keys()].sort()).toEqual([
      'async-http-api', 'fan-out', 'file-processing-pipeline', 'saga-orchestrator', 'scheduled-job', 'serverless-rest-api', 'static-site',
      'table-change-handler',
    ]);
    for (const slug of renderDiagrams().keys()) {
      expect(fs.existsSync(path.join(__dirname, '..', '..', 'docs', 'patterns', `${slug}.md`))).toBe(true);
    }
  });
});

describe('templateToMermaid', () => {
  test('finds references in Ref, Fn::GetAtt and Fn::Sub', () => {
    expect([...referencedIds({ a: { Ref: 'A' }, b: { 'Fn::GetAtt': ['B', 'Arn'] }, c: { 'Fn::Sub': 'arn:${C}:${D.Arn}' } })].sort()).toEqual(['A', 'B', 'C', 'D']);
  });

  test('draws an SNS subscription with a filter, a schedule with its DLQ and an S3 notification', () => {
    const meta = (p: string) => ({ 'aws:cdk:path': `S/P/${p}/Resource` });
    const template = {
      Resources: {
        T: { Type: 'AWS::SNS::Topic', Metadata: meta('Topic') },
        Q: { Type: 'AWS::SQS::Queue', Metadata: meta('Queue') },
        D: { Type: 'AWS::SQS::Queue', Metadata: meta('Dlq') },
        F: { Type: 'AWS::Lambda::Function', Metadata: meta('Fn') },
        B: { Type: 'AWS::S3::Bucket', Metadata: meta('Bucket') },
        S: { Type: 'AWS::Scheduler::Schedule', Metadata: meta('Schedule'), Properties: { ScheduleExpression: 'rate(1 hour)', Target: { Arn: { 'Fn::GetAtt': ['F', 'Arn'] }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['D', 'Arn'] } } } } },
        Sub: { Type: 'AWS::SNS::Subscription', Properties: { TopicArn: { Ref: 'T' }, Endpoint: { 'Fn::GetAtt': ['Q', 'Arn'] }, FilterPolicy: { a: ['b'] } } },
        N: { Type: 'Custom::S3BucketNotifications', Properties: { BucketName: { Ref: 'B' }, NotificationConfiguration: { QueueConfigurations: [{ QueueArn: { 'Fn::GetAtt': ['Q', 'Arn'] } }] } } },
      },
    };
    const mermaid = templateToMermaid(template);
    expect(mermaid).toContain('Topic -- "filtered subscription" --> Queue');
    expect(mermaid).toContain('Schedule -- "rate(1 hour)" --> Fn');
    expect(mermaid).toContain('Schedule -. "failed after retries" .-> Dlq');
    expect(mermaid).toContain('Bucket -- "object created" --> Queue');
    expect(mermaid).toContain('Bucket[("Bucket<br/><small>S3 bucket</small>")]');
  });
});
