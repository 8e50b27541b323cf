/**
 * Step Functions state machines on aws-local-stepfunctions, with their Lambda tasks bound to the
 * local functions (a Task whose Resource is a function ARN, or `arn:aws:states:::lambda:invoke`
 * with Parameters.FunctionName), DynamoDB's optimized integrations (getItem, putItem, updateItem,
 * deleteItem) served by the local DynamoDB, `sfn:describeExecution` answered from this process's
 * executions, retry intervals compressed to 0, and a real `$$` context object.
 */
import { randomUUID } from 'crypto';
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
// aws-local-stepfunctions is `"type": "module"` but ships a CommonJS build (exports.require).
import type * as LocalStepFunctions from 'aws-local-stepfunctions' with { 'resolution-mode': 'import' };
import type { DeliverySink } from './deliveries';
import type { LocalFunction } from './lambda';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ExecutionError, StateMachine } = require('aws-local-stepfunctions') as typeof LocalStepFunctions;

/** How an execution ended. */
export interface ExecutionResult {
  readonly executionArn: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';
  readonly output?: unknown;
  /** The error name (a Fail state's Error, or the task's), on FAILED. */
  readonly error?: string;
  readonly cause?: string;
}

export interface StateMachineDefinition {
  readonly stack: string;
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly definition: Record<string, unknown>;
}

type States = Record<string, {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Branches?: { States: States }[];
  Iterator?: { States: States };
  ItemProcessor?: { States: States };
}>;

const LAMBDA_INVOKE = /^arn:aws[^:]*:states:::lambda:invoke$/;
const DYNAMODB_TASK = /^arn:aws[^:]*:states:::dynamodb:(getItem|putItem|updateItem|deleteItem)$/;
const DESCRIBE_EXECUTION = /^arn:aws[^:]*:states:::aws-sdk:sfn:describeExecution$/;
/** Every execution this process started, by ARN: what `sfn:describeExecution` answers. */
const executionStatuses = new Map<string, string>();
/** SDK integrations whose effect has no local meaning: answered as AWS would, and logged as dropped. */
const ACCEPTED_INTEGRATIONS = /^arn:aws[^:]*:states:::aws-sdk:cloudwatch:putMetricData$/;

/** A state machine of the template, run locally. */
export class LocalStateMachine {
  /** Task states whose resource is not a local function (they would call AWS). */
  readonly unboundTasks: string[] = [];
  private readonly handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  private readonly retryStates: Record<string, number> = {};
  private readonly machine: LocalStepFunctions.StateMachine;

  constructor(
    readonly definition: StateMachineDefinition,
    functionFor: (arn: string) => LocalFunction | undefined,
    private readonly sink: DeliverySink,
    private readonly dynamodb?: DynamoDBClient,
  ) {
    this.bind(definition.definition.States as States, functionFor);
    this.machine = new StateMachine(definition.definition as never, { validationOptions: { checkArn: false } });
  }

  /** Runs an execution to its end. */
  async start(input: unknown, name = randomUUID()): Promise<ExecutionResult> {
    const executionArn = this.definition.arn.replace(':stateMachine:', ':execution:') + `:${name}`;
    const context = {
      Execution: { Id: executionArn, Input: input, Name: name, RoleArn: `${this.definition.arn}-role`, StartTime: new Date().toISOString() },
      StateMachine: { Id: this.definition.arn, Name: this.definition.name },
    };
    const resource = `${this.definition.logicalId} ${name}`;
    executionStatuses.set(executionArn, 'RUNNING');
    try {
      const output = await this.machine.run(input as never, {
        overrides: { taskResourceLocalHandlers: this.handlers as never, retryIntervalOverrides: this.retryStates },
        context: context as never,
      }).result;
      executionStatuses.set(executionArn, 'SUCCEEDED');
      this.sink({ service: 'states', resource, outcome: 'ok', detail: 'SUCCEEDED' });
      return { executionArn, status: 'SUCCEEDED', output };
    } catch (error) {
      const timedOut = (error as Error).name === 'ExecutionTimeoutError';
      const caught = error instanceof ExecutionError ? (error.cause as Error) : (error as Error);
      const result: ExecutionResult = { executionArn, status: timedOut ? 'TIMED_OUT' : 'FAILED', error: caught.name, cause: caught.message };
      executionStatuses.set(executionArn, result.status);
      this.sink({ service: 'states', resource, outcome: 'failed', detail: `${result.status} ${result.error}: ${result.cause}` });
      return result;
    }
  }

  private bind(states: States, functionFor: (arn: string) => LocalFunction | undefined): void {
    for (const [name, state] of Object.entries(states ?? {})) {
      this.retryStates[name] = 0;
      for (const branch of state.Branches ?? []) this.bind(branch.States, functionFor);
      if (state.Iterator) this.bind(state.Iterator.States, functionFor);
      if (state.ItemProcessor) this.bind(state.ItemProcessor.States, functionFor);
      if (state.Type !== 'Task' || !state.Resource) continue;
      if (ACCEPTED_INTEGRATIONS.test(state.Resource)) {
        const resource = state.Resource;
        this.handlers[name] = async () => {
          this.sink({ service: 'states', resource: `${this.definition.logicalId} ${name}`, outcome: 'dropped', detail: `${resource}: CloudWatch is not emulated` });
          return {};
        };
        continue;
      }
      const dynamoAction = DYNAMODB_TASK.exec(state.Resource)?.[1];
      if (dynamoAction && this.dynamodb) {
        const client = this.dynamodb;
        const command = (input: never) => {
          switch (dynamoAction) {
            case 'getItem': return client.send(new GetItemCommand(input));
            case 'putItem': return client.send(new PutItemCommand(input));
            case 'updateItem': return client.send(new UpdateItemCommand(input));
            default: return client.send(new DeleteItemCommand(input));
          }
        };
        this.handlers[name] = async (input) => {
          try {
            return await command(input as never);
          } catch (error) {
            // Step Functions names a service error `DynamoDB.<name>` for Retry and Catch.
            throw Object.assign(new Error((error as Error).message), { name: `DynamoDB.${(error as Error).name}` });
          }
        };
        continue;
      }
      if (DESCRIBE_EXECUTION.test(state.Resource)) {
        this.handlers[name] = async (input) => {
          const arn = String((input as { ExecutionArn?: unknown }).ExecutionArn);
          const status = executionStatuses.get(arn);
          if (!status) throw Object.assign(new Error(`Execution Does Not Exist: '${arn}'`), { name: 'Sfn.ExecutionDoesNotExistException' });
          return { ExecutionArn: arn, Status: status };
        };
        continue;
      }
      const viaInvoke = LAMBDA_INVOKE.test(state.Resource);
      const fnRef = viaInvoke ? String(state.Parameters?.FunctionName ?? '') : state.Resource;
      const fn = fnRef ? functionFor(fnRef) : undefined;
      if (!fn) {
        this.unboundTasks.push(`${name} (${state.Resource})`);
        continue;
      }
      this.handlers[name] = async (input) => {
        const payload = viaInvoke ? (input as { Payload?: unknown }).Payload : input;
        const result = await fn.invoke(payload);
        if (!result.ok) {
          const error = new Error(JSON.stringify({ errorType: result.error.errorType, errorMessage: result.error.errorMessage }));
          error.name = result.error.errorType;
          throw error;
        }
        return viaInvoke ? { ExecutedVersion: '$LATEST', Payload: result.result, StatusCode: 200 } : result.result;
      };
    }
  }
}
