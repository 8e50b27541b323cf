/**
 * Step Functions state machines on aws-local-stepfunctions, with their Lambda tasks bound to the
 * local functions (a Task whose Resource is a function ARN, or `arn:aws:states:::lambda:invoke`
 * with Parameters.FunctionName), retry intervals compressed to 0, and a real `$$` context object.
 */
import { randomUUID } from 'crypto';
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
    try {
      const output = await this.machine.run(input as never, {
        overrides: { taskResourceLocalHandlers: this.handlers as never, retryIntervalOverrides: this.retryStates },
        context: context as never,
      }).result;
      this.sink({ service: 'states', resource, outcome: 'ok', detail: 'SUCCEEDED' });
      return { executionArn, status: 'SUCCEEDED', output };
    } catch (error) {
      const timedOut = (error as Error).name === 'ExecutionTimeoutError';
      const caught = error instanceof ExecutionError ? (error.cause as Error) : (error as Error);
      const result: ExecutionResult = { executionArn, status: timedOut ? 'TIMED_OUT' : 'FAILED', error: caught.name, cause: caught.message };
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
