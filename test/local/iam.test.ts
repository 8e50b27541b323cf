/**
 * IAM enforcement in the local cloud: each SDK call a local function makes is checked against its
 * role and the target's resource policy (the seams simulator), through the per-service gates.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, PutObjectCommand as PutS3ObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { IAM_STACK, synthIamTestApp } from './fixtures/iam-test-app';
import { LocalCloud, runLocalCloud } from '../../src/local';

const REGION = 'eu-west-1';

function logicalId(cloud: LocalCloud, type: string, prefix: string): string {
  const stack = cloud.stacks.find((s) => s.id === IAM_STACK)!;
  return Object.entries(stack.template.Resources ?? {}).find(([id, r]) => r.Type === type && id.startsWith(prefix))![0];
}

async function queueDepth(cloud: LocalCloud, queue: string): Promise<number> {
  const { Attributes = {} } = await cloud.clientsFor(REGION).sqs.send(new GetQueueAttributesCommand({
    QueueUrl: cloud.physical(IAM_STACK, queue).ref, AttributeNames: ['ApproximateNumberOfMessages'],
  }));
  return Number(Attributes.ApproximateNumberOfMessages ?? 0);
}

describe('IAM enforcement in the local cloud', () => {
  let outdir: string;
  let cloud: LocalCloud;
  let table: string;
  const lines: string[] = [];

  beforeAll(async () => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-iam-'));
    synthIamTestApp(outdir);
    cloud = await runLocalCloud({ assemblyDir: outdir, print: (line) => lines.push(line) });
    table = cloud.physical(IAM_STACK, logicalId(cloud, 'AWS::DynamoDB::Table', 'Records')).ref;
    await cloud.clientsFor(REGION).dynamodb.send(new PutItemCommand({ TableName: table, Item: { id: { S: 'r-1' }, v: { S: 'kept' } } }));
  }, 120_000);

  afterAll(async () => {
    await cloud?.stop();
    fs.rmSync(outdir, { recursive: true, force: true });
  });

  test('says at start that IAM is enforced, with the simulator installed', () => {
    expect(cloud.iam.detail).toMatch(/^IAM: enforced/);
    expect(cloud.iam.enforced).toBe(true);
    expect(lines[0]).toMatch(/^IAM: enforced with @cloud-copilot\/iam-simulate/);
  });

  test('a call the role allows goes through; a DeleteItem on a table the role may only read fails with AccessDenied in the function, and the item stays', async () => {
    // WHEN
    const result = await cloud.invokeFunction(logicalId(cloud, 'AWS::Lambda::Function', 'Reader'), { id: 'r-1' });
    // THEN
    expect(result.ok).toBe(true);
    const out = (result as { result: Record<string, { ok: boolean; name?: string; message?: string; status?: number }> }).result;
    expect(out.get).toEqual({ ok: true });
    expect(out.delete).toMatchObject({ ok: false, name: 'AccessDeniedException', status: 400 });
    expect(out.delete.message).toMatch(new RegExp(`^User: arn:aws:sts::123456789012:assumed-role/[^/]+/${IAM_STACK}-Reader[^ ]* is not authorized to perform: dynamodb:DeleteItem on resource: arn:aws:dynamodb:eu-west-1:123456789012:table/${table} because no identity-based policy allows the dynamodb:DeleteItem action$`));
    const { Item } = await cloud.clientsFor(REGION).dynamodb.send(new GetItemCommand({ TableName: table, Key: { id: { S: 'r-1' } } }));
    expect(Item).toEqual({ id: { S: 'r-1' }, v: { S: 'kept' } });
    expect(cloud.iamDenials).toEqual(expect.arrayContaining([expect.objectContaining({ service: 'dynamodb', action: 'dynamodb:DeleteItem' })]));
    expect(cloud.deliveries).toEqual(expect.arrayContaining([expect.objectContaining({ service: 'iam', outcome: 'denied' })]));
  });

  test('an sqs:SendMessage to a queue the role has no grant for fails with AccessDenied naming the action and queue; the queue stays empty', async () => {
    // WHEN
    const result = await cloud.invokeFunction(logicalId(cloud, 'AWS::Lambda::Function', 'Reader'), { id: 'r-1' });
    // THEN
    const send = (result as { result: { send: { ok: boolean; name?: string; message?: string } } }).result.send;
    const queueArn = cloud.physical(IAM_STACK, logicalId(cloud, 'AWS::SQS::Queue', 'Private')).attributes.Arn;
    expect(send).toMatchObject({ ok: false, name: 'AccessDenied' });
    expect(send.message).toContain(`is not authorized to perform: sqs:SendMessage on resource: ${queueArn} because no identity-based policy allows the sqs:SendMessage action`);
    expect(await queueDepth(cloud, logicalId(cloud, 'AWS::SQS::Queue', 'Private'))).toBe(0);
  });

  test('sns:Publish without a grant and s3:PutObject on a bucket the role may only read fail with the services\' errors; s3:GetObject passes the TLS-only bucket policy', async () => {
    // GIVEN
    const bucket = cloud.physical(IAM_STACK, logicalId(cloud, 'AWS::S3::Bucket', 'Inbox')).ref;
    await cloud.clientsFor(REGION).s3.send(new PutS3ObjectCommand({ Bucket: bucket, Key: 'in/a.txt', Body: 'a' }));
    // WHEN
    const result = await cloud.invokeFunction(logicalId(cloud, 'AWS::Lambda::Function', 'Reader'), { id: 'r-1' });
    // THEN
    const out = (result as { result: Record<string, { ok: boolean; name?: string; message?: string }> }).result;
    const topicArn = cloud.physical(IAM_STACK, logicalId(cloud, 'AWS::SNS::Topic', 'Announcements')).ref;
    expect(out.publish).toMatchObject({ ok: false, name: 'AuthorizationErrorException' });
    expect(out.publish.message).toContain(`is not authorized to perform: sns:Publish on resource: ${topicArn} because no identity-based policy allows the sns:Publish action`);
    expect(out.getObject).toEqual({ ok: true });
    expect(out.putObject).toMatchObject({ ok: false, name: 'AccessDenied' });
    expect(out.putObject.message)
      .toContain(`is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::${bucket}/in/b.txt because no identity-based policy allows the s3:PutObject action`);
    const { Contents = [] } = await cloud.clientsFor(REGION).s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(Contents.map((c) => c.Key)).toEqual(['in/a.txt']);
  });

  test('the TLS-only queue policy lets the granted function in over the (HTTPS-standing) endpoint, and denies it over the plain-HTTP one', async () => {
    // GIVEN
    const sender = logicalId(cloud, 'AWS::Lambda::Function', 'Sender');
    const queue = logicalId(cloud, 'AWS::SQS::Queue', 'TlsOnly');
    // WHEN: the function itself, then the same identity over the plain-HTTP endpoint
    const result = await cloud.invokeFunction(sender, {});
    const plain = new SQSClient({ region: REGION, endpoint: cloud.iamEndpoints!.sqs!.plain, credentials: cloud.credentialsOf(sender) });
    const error = await plain.send(new SendMessageCommand({ QueueUrl: cloud.physical(IAM_STACK, queue).ref, MessageBody: 'plain' })).then(() => undefined, (e: Error) => e);
    plain.destroy();
    // THEN
    expect((result as { result: { send: unknown } }).result.send).toEqual({ ok: true });
    expect(error?.name).toBe('AccessDenied');
    expect(error?.message).toMatch(/is not authorized to perform: sqs:SendMessage on resource: \S+ with an explicit deny in a resource-based policy \(statement 1\)$/);
    expect(await queueDepth(cloud, queue)).toBe(1);
  });

  test('with iam off every call goes through (the DeleteItem deletes)', async () => {
    // GIVEN
    const off = await runLocalCloud({ assemblyDir: outdir, iam: 'off', print: false });
    try {
      const offTable = off.physical(IAM_STACK, logicalId(off, 'AWS::DynamoDB::Table', 'Records')).ref;
      await off.clientsFor(REGION).dynamodb.send(new PutItemCommand({ TableName: offTable, Item: { id: { S: 'r-2' } } }));
      // WHEN
      const result = await off.invokeFunction(logicalId(off, 'AWS::Lambda::Function', 'Reader'), { id: 'r-2' });
      // THEN
      expect(off.iam).toEqual({ enforced: false, detail: expect.stringMatching(/^IAM: not enforced \(iam: off\)/) });
      expect((result as { result: Record<string, unknown> }).result)
        .toMatchObject({ get: { ok: true }, delete: { ok: true }, publish: { ok: true }, putObject: { ok: true }, send: { ok: true } });
      const { Item } = await off.clientsFor(REGION).dynamodb.send(new GetItemCommand({ TableName: offTable, Key: { id: { S: 'r-2' } } }));
      expect(Item).toBeUndefined();
    } finally {
      await off.stop();
    }
  }, 60_000);
});

describe('the IAM simulator as an optional capability', () => {
  test('without it installed, loading answers that it is not installed (the reason the start line gives)', () => {
    let load: (() => Promise<unknown>) | undefined;
    jest.isolateModules(() => {
      jest.doMock('@cloud-copilot/iam-simulate', () => {
        throw Object.assign(new Error('Cannot find module \'@cloud-copilot/iam-simulate\''), { code: 'MODULE_NOT_FOUND' });
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      load = (require('../../src/local/iam') as typeof import('../../src/local/iam')).loadIamSimulator;
    });
    return expect(load!()).resolves.toEqual({ missing: '@cloud-copilot/iam-simulate is not installed' });
  });
});
