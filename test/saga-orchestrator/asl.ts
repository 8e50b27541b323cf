/**
 * Runs the state machine definition a SagaOrchestrator *synthesizes* (taken from the CloudFormation
 * template, with the Fn::Join / Fn::GetAtt / Ref tokens replaced by ARNs) in aws-local-stepfunctions,
 * a real Amazon States Language interpreter. Each Task state is served by a local handler chosen
 * by the ARN in its `Resource`, so the test also proves which function each state invokes.
 *
 * aws-local-stepfunctions is `"type": "module"` but ships a CommonJS build (`exports.require` ->
 * build/main.node.cjs) whose dependencies all load under require(), so jest's CommonJS runtime
 * loads it in-process: no child process is needed (unlike fauxqs, which is ESM-only). TypeScript
 * (node16 resolution) sees only its ESM declarations, so the types are imported type-only with
 * `resolution-mode: import` and the module itself with require().
 * It needs Node >= 22 (Promise.withResolvers); the project runs on Node 24.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as LocalStepFunctions from 'aws-local-stepfunctions' with { 'resolution-mode': 'import' };
import { SagaOrchestrator } from '../../src';

// The package's CommonJS build, loaded with require() (its types are declared as ESM, hence the type-only import).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { StateMachine } = require('aws-local-stepfunctions') as typeof LocalStepFunctions;

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

/** A Task handler: receives the state's effective input, returns its result or throws. */
export type LocalHandler = (input: any) => Promise<any>;

/** An ASL definition (the parts the tests read). */
export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, { Type: string; Resource?: string; Next?: string; [key: string]: unknown }>;
  readonly [key: string]: unknown;
}

/** The ARN a function's `Fn::GetAtt [LogicalId, Arn]` stands for in the substituted definition. */
export function localFunctionArn(fn: lambda.IFunction): string {
  const resolved = Stack.of(fn).resolve(fn.functionArn) as { 'Fn::GetAtt'?: [string, string] } | string;
  if (typeof resolved === 'string') return resolved;
  const getAtt = resolved['Fn::GetAtt'];
  if (!getAtt || getAtt[1] !== 'Arn') throw new Error(`unexpected function ARN ${JSON.stringify(resolved)}`);
  return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${getAtt[0]}`;
}

/** Replaces the CloudFormation intrinsics a definition string may contain. */
function substitute(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (v['Fn::Join']) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(substitute).join(sep);
  }
  if (v['Fn::GetAtt']) {
    const [id, attr] = v['Fn::GetAtt'] as [string, string];
    if (attr !== 'Arn') throw new Error(`unexpected attribute ${id}.${attr} in the definition`);
    return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`;
  }
  const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::URLSuffix': 'amazonaws.com' };
  if (typeof v.Ref === 'string' && pseudo[v.Ref]) return pseudo[v.Ref];
  throw new Error(`unexpected token in the definition: ${JSON.stringify(value)}`);
}

/** The definition of the saga's state machine, as synthesized into the template, with ARNs substituted. */
export function synthesizedDefinition(saga: SagaOrchestrator): AslDefinition {
  const stack = Stack.of(saga);
  const logicalId = (stack.resolve(saga.stateMachine.stateMachineArn) as { Ref: string }).Ref;
  const resource = Template.fromStack(stack).toJSON().Resources[logicalId];
  if (resource?.Type !== 'AWS::StepFunctions::StateMachine') throw new Error(`no state machine ${logicalId} in the template`);
  return JSON.parse(substitute(resource.Properties.DefinitionString)) as AslDefinition;
}

/** Options of one local execution. */
export interface RunOptions {
  /** Handlers by the ARN of the Task's resource (a function ARN from `localFunctionArn`, or a service integration ARN). */
  readonly handlers: Record<string, LocalHandler>;
  /** The context object's StateMachine.Name. */
  readonly stateMachineName?: string;
}

/** What a local execution ended with. */
export interface LocalExecution {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: any;
  /** The execution's error and cause (for a Fail state: its Error and Cause). */
  readonly error?: string;
  readonly cause?: string;
}

/**
 * Executes `definition` locally with every Task served by `handlers` (a Task without a handler is
 * an error: nothing may reach AWS) and retry waits set to 0.
 */
export async function runLocally(definition: AslDefinition, input: unknown, options: RunOptions): Promise<LocalExecution> {
  const taskResourceLocalHandlers: Record<string, LocalHandler> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    const handler = options.handlers[state.Resource!];
    if (!handler) throw new Error(`no local handler for the Task state ${name} (resource ${state.Resource})`);
    taskResourceLocalHandlers[name] = handler;
    retryIntervalOverrides[name] = 0;
  }
  const machine = new StateMachine(definition as any, { validationOptions: { checkArn: true, checkPaths: true } });
  const execution = machine.run(input as any, {
    overrides: { taskResourceLocalHandlers, retryIntervalOverrides },
    context: { StateMachine: { Id: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${options.stateMachineName ?? 'Saga'}`, Name: options.stateMachineName ?? 'Saga' } },
  });
  try {
    return { status: 'SUCCEEDED', output: await execution.result };
  } catch (e) {
    const cause = (e as { cause?: Error }).cause;
    if (!cause) throw e;
    return { status: 'FAILED', error: cause.name, cause: cause.message };
  }
}

/** An error with a name, as a Lambda function throws it (Step Functions matches on the name). */
export function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
