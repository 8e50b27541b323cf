/**
 * preventOverlap without reserved concurrency: the lock state machine a ScheduledJob synthesizes
 * (taken from the template) runs in aws-local-stepfunctions, with its DynamoDB tasks served by
 * dynalite through the real SDK client (the parameters Step Functions would send, errors renamed
 * `DynamoDB.<name>` as Step Functions does) and the job function by a local handler. Not
 * emulated: Scheduler itself, Step Functions' own execution bookkeeping (DescribeExecution is
 * answered from the executions this test started).
 */
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as LocalStepFunctions from 'aws-local-stepfunctions' with { 'resolution-mode': 'import' };
import { Handler, JobSchedule, ScheduledJob } from '../../src';
import { RunningEmulator, startDynalite, uniqueName } from '../helpers/emulators';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { StateMachine } = require('aws-local-stepfunctions') as typeof LocalStepFunctions;

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const code = lambda.Code.fromInline('exports.handler = async () => {}');

function overlapJob() {
  const stack = new Stack(undefined, 'Jobs', { env: { account: '123456789012', region: 'eu-west-1' } });
  const job = new ScheduledJob(stack, 'Nightly', {
    schedule: JobSchedule.rate(Duration.hours(1)),
    handler: Handler.fromCode(code, { handler: 'index.handler', timeout: Duration.minutes(10) }),
    payload: { report: 'daily' },
    preventOverlap: true,
  });
  return { stack, job, template: Template.fromStack(stack) };
}

describe('preventOverlap: synthesized', () => {
  test('reserves no concurrency; Scheduler starts the lock state machine, which invokes the function', () => {
    const { stack, job, template } = overlapJob();
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: Match.absent() });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: Match.objectLike({ Arn: stack.resolve(job.lockStateMachine!.stateMachineArn), RoleArn: stack.resolve(job.schedulerRole.roleArn) }),
    });
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
  });

  test('the lock state machine may write the lock table, describe its own executions and invoke the job function', () => {
    const { stack, job, template } = overlapJob();
    const machine = job.lockStateMachine as sfn.StateMachine;
    const statements = Object.values<Json>(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [stack.resolve(machine.role.roleName)] } }))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((st: Json) => [st.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem', 'states:DescribeExecution', 'lambda:InvokeFunction']));
    const describe = statements.find((st: Json) => st.Action === 'states:DescribeExecution');
    const machineId = (stack.resolve(machine.stateMachineArn) as { Ref: string }).Ref;
    const name = template.toJSON().Resources[machineId].Properties.StateMachineName;
    expect(JSON.stringify(describe.Resource)).toContain(`:execution:${name}:*`);
    template.hasResourceProperties('AWS::DynamoDB::Table', { KeySchema: [{ AttributeName: 'lockId', KeyType: 'HASH' }] });
  });

  test('the execution timeout covers the wait budget and the longest run, so no execution is stopped under a running function', () => {
    // GIVEN a 10-minute function: 6 h of polls + 1 min, 3 attempts x 10 min, 4 min of backoff and writes
    const { stack, job, template } = overlapJob();
    const id = (stack.resolve(job.lockStateMachine!.stateMachineArn) as { Ref: string }).Ref;
    const text = JSON.stringify(template.toJSON().Resources[id].Properties.DefinitionString);
    expect(Number(/TimeoutSeconds\\":(\d+)/.exec(text)?.[1])).toBe(6 * 3600 + 60 + 3 * 600 + 240);
  });

  test('works with an existing function too, and fails with a state machine target', () => {
    const stack = new Stack();
    const fn = new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code });
    const job = new ScheduledJob(stack, 'A', { schedule: JobSchedule.rate(Duration.hours(1)), handler: Handler.fromFunction(fn), preventOverlap: true });
    expect(job.lockStateMachine).toBeDefined();
    const machine = new sfn.StateMachine(stack, 'Sm', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'P')) });
    expect(() => new ScheduledJob(stack, 'B', { schedule: JobSchedule.rate(Duration.hours(1)), stateMachine: machine, preventOverlap: true }))
      .toThrow(/preventOverlap runs the handler function under a lock; with a stateMachine, check for running executions in the workflow/);
  });
});

describe('preventOverlap: the synthesized lock state machine, executed', () => {
  let dynamo: RunningEmulator;
  let ddb: DynamoDBClient;
  beforeAll(async () => {
    dynamo = await startDynalite();
    ddb = new DynamoDBClient({});
  });
  afterAll(async () => dynamo.stop());

  const { stack, job, template } = overlapJob();
  const tableId = (stack.resolve((job.lockTable as Json).tableName) as { Ref: string }).Ref;
  const fnId = (stack.resolve(job.handlerFunction!.functionArn) as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
  const machineId = (stack.resolve(job.lockStateMachine!.stateMachineArn) as { Ref: string }).Ref;

  /** The synthesized definition with the table name and function ARN of this run substituted. */
  function definition(tableName: string): Json {
    const sub = (v: Json): string => {
      if (typeof v === 'string') return v;
      if (v['Fn::Join']) return v['Fn::Join'][1].map(sub).join(v['Fn::Join'][0]);
      if (v.Ref === tableId) return tableName;
      if (v['Fn::GetAtt']?.[0] === fnId) return 'arn:aws:lambda:eu-west-1:123456789012:function:job';
      if (v.Ref === 'AWS::Partition') return 'aws';
      throw new Error(`unexpected token ${JSON.stringify(v)}`);
    };
    return JSON.parse(sub(template.toJSON().Resources[machineId].Properties.DefinitionString));
  }

  /** What Step Functions' DynamoDB integration does with a task's parameters; errors named as Step Functions names them. */
  const dynamoTask = (command: (input: Json) => Json) => async (input: Json): Promise<Json> => {
    try {
      return await ddb.send(command(input)) as Json;
    } catch (e) {
      throw Object.assign(new Error((e as Error).message), { name: `DynamoDB.${(e as Error).name}` });
    }
  };

  async function setUp(hooks: { beforeReadLock?: () => Promise<void> } = {}) {
    const tableName = uniqueName('lock');
    await ddb.send(new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'lockId', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'lockId', KeyType: 'HASH' }],
    }));
    const machine = new StateMachine(definition(tableName), { validationOptions: { checkArn: true, checkPaths: true } });
    const statuses = new Map<string, string>();
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const start = (id: string, work: (input: Json) => Promise<void>) => {
      const executionArn = `arn:aws:states:eu-west-1:123456789012:execution:lock:${id}`;
      statuses.set(executionArn, 'RUNNING');
      const execution = machine.run({ report: 'daily' }, {
        overrides: {
          taskResourceLocalHandlers: {
            Acquire: dynamoTask((i) => new PutItemCommand(i)),
            TakeOver: dynamoTask((i) => new PutItemCommand(i)),
            ReadLock: async (i: Json) => {
              await hooks.beforeReadLock?.();
              return dynamoTask((input) => new GetItemCommand(input))(i);
            },
            Release: dynamoTask((i) => new DeleteItemCommand(i)),
            ReleaseAfterFailure: dynamoTask((i) => new DeleteItemCommand(i)),
            DescribeOwner: async (i: Json) => ({ Status: statuses.get(i.ExecutionArn) ?? 'RUNNING' }),
            Run: async (input: Json) => {
              running++;
              maxRunning = Math.max(maxRunning, running);
              log.push(`${id} start`);
              try {
                await work(input);
              } finally {
                running--;
                log.push(`${id} end`);
              }
              return {};
            },
          },
          waitTimeOverrides: { WaitForPreviousRun: 20 },
          retryIntervalOverrides: { Run: 0 },
        },
        context: { Execution: { Id: executionArn, Name: id } },
      });
      const done = execution.result.then(() => statuses.set(executionArn, 'SUCCEEDED'), (e: Error) => {
        statuses.set(executionArn, 'FAILED');
        throw e;
      });
      return { executionArn, done };
    };
    const lock = async () => (await ddb.send(new GetItemCommand({ TableName: tableName, Key: { lockId: { S: 'run' } }, ConsistentRead: true }))).Item;
    return { tableName, start, lock, log, maxRunning: () => maxRunning, statuses };
  }

  test('a run that starts while the previous one runs waits for it, then runs: never two at once, none dropped', async () => {
    // GIVEN
    const t = await setUp();
    let finishFirst!: () => void;
    const firstPayloads: Json[] = [];
    // WHEN
    const first = t.start('first', async (input) => {
      firstPayloads.push(input);
      await new Promise<void>((resolve) => { finishFirst = resolve; });
    });
    while (!t.log.includes('first start')) await new Promise((r) => setTimeout(r, 5));
    const second = t.start('second', async () => undefined);
    await new Promise((r) => setTimeout(r, 150)); // the second polls the held lock meanwhile
    expect(t.log).toEqual(['first start']);
    finishFirst();
    await Promise.all([first.done, second.done]);
    // THEN
    expect(t.log).toEqual(['first start', 'first end', 'second start', 'second end']);
    expect(t.maxRunning()).toBe(1);
    expect(firstPayloads).toEqual([{ report: 'daily' }]);
    expect(await t.lock()).toBeUndefined();
  });

  test('a lock released between a failed acquire and the read of its owner is acquired again (no States.Runtime failure)', async () => {
    // GIVEN a lock held by a running execution, released just before the waiting run reads it
    let tableName = '';
    const holder = 'arn:aws:states:eu-west-1:123456789012:execution:lock:holder';
    let released = 0;
    const t = await setUp({
      beforeReadLock: async () => {
        released++;
        await ddb.send(new DeleteItemCommand({ TableName: tableName, Key: { lockId: { S: 'run' } } }));
      },
    });
    tableName = t.tableName;
    t.statuses.set(holder, 'RUNNING');
    await ddb.send(new PutItemCommand({ TableName: t.tableName, Item: { lockId: { S: 'run' }, owner: { S: holder } } }));
    // WHEN
    const run = t.start('racer', async () => undefined);
    await run.done;
    // THEN it went back to Acquire, took the lock, ran once and released it
    expect(released).toBe(1);
    expect(t.log).toEqual(['racer start', 'racer end']);
    expect(await t.lock()).toBeUndefined();
  });

  test('a run that has waited its whole budget (6 hours of polls) fails with WaitedTooLong instead of running late', async () => {
    // GIVEN a lock held by an execution that stays RUNNING
    const t = await setUp();
    const holder = 'arn:aws:states:eu-west-1:123456789012:execution:lock:forever';
    t.statuses.set(holder, 'RUNNING');
    await ddb.send(new PutItemCommand({ TableName: t.tableName, Item: { lockId: { S: 'run' }, owner: { S: holder } } }));
    // WHEN a run waits (each poll is instant here)
    const waiting = t.start('late', async () => undefined);
    // THEN it gives up after 360 polls, never runs, and leaves the holder's lock alone
    await expect(waiting.done).rejects.toThrow(/held the lock for longer than 6 hours; this run was not started/);
    expect(t.log).toEqual([]);
    expect((await t.lock())?.owner.S).toBe(holder);
  }, 120_000);

  test('a failed run releases the lock (after its retries), so the next run is not blocked', async () => {
    const t = await setUp();
    const failing = t.start('failing', async () => {
      throw Object.assign(new Error('boom'), { name: 'Error' });
    });
    await expect(failing.done).rejects.toThrow();
    expect(t.log.filter((l) => l === 'failing start')).toHaveLength(3); // 1 + 2 retries
    expect(await t.lock()).toBeUndefined();
    const next = t.start('next', async () => undefined);
    await next.done;
    expect(t.log).toContain('next end');
  });

  test('a lock left by an execution that ended without releasing it (timed out, aborted) is taken over', async () => {
    const t = await setUp();
    const stale = 'arn:aws:states:eu-west-1:123456789012:execution:lock:aborted';
    t.statuses.set(stale, 'ABORTED');
    await ddb.send(new PutItemCommand({ TableName: t.tableName, Item: { lockId: { S: 'run' }, owner: { S: stale } } }));
    const run = t.start('after-abort', async () => undefined);
    await run.done;
    expect(t.log).toEqual(['after-abort start', 'after-abort end']);
    expect(await t.lock()).toBeUndefined();
  });
});
