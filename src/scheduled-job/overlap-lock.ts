import { ArnFormat, Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { DEFAULTS } from '../core/defaults';
import { acknowledgeNagFindings, wildcardFindingsOf } from '../core/nag';
import { vendedLogGroupName } from '../core/names';
import { trustOwnStateMachinesOnly } from '../core/state-machine-trust';

/** Defaults of the overlap lock, with their reasons. */
export const OVERLAP_LOCK_DEFAULTS = {
  /** How often a waiting run checks whether the previous one has finished. */
  pollInterval: Duration.minutes(1),
  /**
   * How long a run waits for the previous one before it fails (`WaitedTooLong`, ExecutionsFailed
   * alarm): the 6 hours an asynchronous Lambda event was kept by the reserved-concurrency design
   * this replaces. Counted in polls, apart from the run itself.
   */
  maxWait: Duration.hours(6),
  /** The longest a function run takes when its timeout is unknown (an imported function): Lambda's maximum. */
  unknownFunctionTimeout: Duration.minutes(15),
  /** Lambda's own retries of an asynchronous invocation (2), kept for the synchronous one. */
  retryAttempts: 2,
} as const;

/** The lock item's key: one item per job table. */
const LOCK_ID = 'run';

/**
 * Runs a function under a DynamoDB lock held by the Step Functions execution, so two runs of a
 * job never overlap and no reserved concurrency is needed:
 *
 * Acquire (conditional put: no lock) → Run (synchronous invoke, retried like an async event) →
 * Release (conditional delete: still ours). When the lock is held, the owner execution is looked
 * up: still RUNNING → wait `pollInterval` and try again (runs are serialised, not dropped); ended
 * in any other way (failed, timed out, aborted: its Release never ran) → the lock is taken over
 * with a conditional put on the stale owner, so exactly one waiting run wins.
 */
export class OverlapLock extends Construct {
  public readonly table: dynamodb.Table;
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;

  /**
   * @param timeout the function's timeout, when known: the execution's own timeout is the wait
   * budget plus the longest run (every attempt and its backoff), so an execution is never stopped
   * while its function runs, and a lock whose owner ended is never taken over under a running
   * function.
   */
  constructor(scope: Construct, id: string, fn: lambda.IFunction, timeout?: Duration) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'lockId', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledgeNagFindings(this.table, [
      { id: 'AwsSolutions-DDB3', reason: 'The table holds one transient lock item; a point-in-time restore of a lock would only resurrect a stale lock' },
      { id: 'Serverless-DynamoDBPointInTimeRecovery', reason: 'The table holds one transient lock item; a point-in-time restore of a lock would only resurrect a stale lock' },
    ]);
    // A known name, so the role may describe this state machine's executions only (its ARN would be circular).
    const stateMachineName = Names.uniqueResourceName(this, { maxLength: 80, separator: '-' });
    const executions = Stack.of(this).formatArn({ service: 'states', resource: 'execution', resourceName: `${stateMachineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const key = { lockId: tasks.DynamoAttributeValue.fromString(LOCK_ID) };
    const self = tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$$.Execution.Id'));

    const keepInput = new sfn.Pass(this, 'KeepInput', { parameters: { 'payload.$': '$', 'waits': 0 } });
    const maxPolls = Math.ceil(OVERLAP_LOCK_DEFAULTS.maxWait.toSeconds() / OVERLAP_LOCK_DEFAULTS.pollInterval.toSeconds());
    const countWait = new sfn.Pass(this, 'CountWait', {
      parameters: { 'payload.$': '$.payload', 'waits.$': 'States.MathAdd($.waits, 1)' },
    });
    const waitedTooLong = new sfn.Fail(this, 'WaitedTooLong', {
      error: 'WaitedTooLong',
      cause: `the previous run held the lock for longer than ${OVERLAP_LOCK_DEFAULTS.maxWait.toHumanString()}; this run was not started`,
    });
    const acquire = new tasks.DynamoPutItem(this, 'Acquire', {
      table: this.table,
      item: { ...key, owner: self },
      conditionExpression: 'attribute_not_exists(lockId)',
      resultPath: sfn.JsonPath.DISCARD,
    });
    const readLock = new tasks.DynamoGetItem(this, 'ReadLock', {
      table: this.table,
      key,
      consistentRead: true,
      // The raw answer: `Item` is absent when the owner released the lock meanwhile (a path into
      // it would fail the execution with States.Runtime, which no Catch can handle).
      resultPath: '$.lock',
    });
    const describeOwner = new tasks.CallAwsService(this, 'DescribeOwner', {
      service: 'sfn',
      action: 'describeExecution',
      iamAction: 'states:DescribeExecution',
      parameters: { 'ExecutionArn.$': '$.lock.Item.owner.S' },
      iamResources: [executions],
      resultSelector: { 'status.$': '$.Status' },
      resultPath: '$.lockOwner',
    });
    const takeOver = new tasks.DynamoPutItem(this, 'TakeOver', {
      table: this.table,
      item: { ...key, owner: self },
      conditionExpression: '#owner = :stale',
      expressionAttributeNames: { '#owner': 'owner' },
      expressionAttributeValues: { ':stale': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$.lock.Item.owner.S')) },
      resultPath: sfn.JsonPath.DISCARD,
    });
    const waitForRun = new sfn.Wait(this, 'WaitForPreviousRun', { time: sfn.WaitTime.duration(OVERLAP_LOCK_DEFAULTS.pollInterval) });
    const run = new tasks.LambdaInvoke(this, 'Run', {
      lambdaFunction: fn,
      // The function's event is the schedule's payload, as with a direct invocation.
      inputPath: '$.payload',
      payloadResponseOnly: true,
      resultPath: sfn.JsonPath.DISCARD,
      retryOnServiceExceptions: true,
    });
    run.addRetry({ errors: ['States.TaskFailed'], maxAttempts: OVERLAP_LOCK_DEFAULTS.retryAttempts, interval: Duration.minutes(1), backoffRate: 2 });
    const releaseDelete = (name: string) => new tasks.DynamoDeleteItem(this, name, {
      table: this.table,
      key,
      conditionExpression: '#owner = :self',
      expressionAttributeNames: { '#owner': 'owner' },
      expressionAttributeValues: { ':self': self },
      resultPath: sfn.JsonPath.DISCARD,
    });
    const release = releaseDelete('Release');
    const releaseAfterFailure = releaseDelete('ReleaseAfterFailure');
    const failed = new sfn.Fail(this, 'RunFailed', { error: 'JobFailed', cause: 'the job function failed after its retries; see its logs' });
    const held = new sfn.Choice(this, 'PreviousRunStillRunning')
      .when(sfn.Condition.stringEquals('$.lockOwner.status', 'RUNNING'), new sfn.Choice(this, 'WaitBudgetLeft')
        .when(sfn.Condition.numberGreaterThanEquals('$.waits', maxPolls), waitedTooLong)
        .otherwise(countWait))
      .otherwise(takeOver);

    acquire.addCatch(readLock, { errors: ['DynamoDB.ConditionalCheckFailedException'], resultPath: sfn.JsonPath.DISCARD });
    describeOwner.addCatch(takeOver, { errors: ['Sfn.ExecutionDoesNotExistException'], resultPath: '$.lockOwnerError' });
    takeOver.addCatch(readLock, { errors: ['DynamoDB.ConditionalCheckFailedException'], resultPath: sfn.JsonPath.DISCARD });
    run.addCatch(releaseAfterFailure, { errors: ['States.ALL'], resultPath: '$.error' });
    countWait.next(waitForRun);
    waitForRun.next(acquire);
    // The lock vanished between Acquire and ReadLock (the owner released it): try again.
    readLock.next(new sfn.Choice(this, 'LockStillHeld')
      .when(sfn.Condition.isPresent('$.lock.Item.owner.S'), describeOwner)
      .otherwise(acquire));
    describeOwner.next(held);
    takeOver.next(run);
    releaseAfterFailure.next(failed);
    const definition = keepInput.next(acquire.next(run.next(release)));

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: vendedLogGroupName(this, 'states'), retention: DEFAULTS.logRetention, removalPolicy: DEFAULTS.logRemovalPolicy,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      stateMachineType: sfn.StateMachineType.STANDARD,
      // The wait budget, then the longest run: 1 + retryAttempts attempts with 1 and 2 minutes of
      // backoff, plus a minute for the lock's own writes.
      timeout: Duration.seconds(OVERLAP_LOCK_DEFAULTS.maxWait.toSeconds() + OVERLAP_LOCK_DEFAULTS.pollInterval.toSeconds()
        + (OVERLAP_LOCK_DEFAULTS.retryAttempts + 1) * (timeout ?? OVERLAP_LOCK_DEFAULTS.unknownFunctionTimeout).toSeconds()
        + Duration.minutes(1 + 2 + 1).toSeconds()),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      comment: 'Runs the scheduled job under a lock: never two runs at once',
    });
    trustOwnStateMachinesOnly(this.stateMachine);
    const policy = this.stateMachine.role.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined;
    if (policy) {
      acknowledgeNagFindings(policy, [{
        id: 'AwsSolutions-IAM5',
        reason: 'The lock state machine may describe its own executions (to detect a stale lock owner) and invoke the job\'s one function, including its versions (:*); '
          + 'X-Ray and log delivery have no resource-level scope',
        appliesTo: wildcardFindingsOf(policy, policy.document),
      }]);
    }
  }
}
