import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { AlarmOptions } from './alarms';
import { databaseFunctionProps, DatabaseAccessOptions } from './database';
import { FunctionCodeOptions } from './function-code-options';
import { FunctionInvocation, ServerlessFunction } from './serverless-function';

/** How a pattern turns a "bring your code" slot (or an existing function) into its function. */
export interface UserFunctionSpec extends AlarmOptions, DatabaseAccessOptions {
  /** The construct id of the function the pattern builds. */
  readonly id: string;
  /** The user's code; exactly one of `code` and `existing` is set (the pattern validated it). */
  readonly code?: FunctionCodeOptions;
  /** An existing function instead. */
  readonly existing?: lambda.IFunction;
  /** The description when the user gives none. */
  readonly description: string;
  /** The timeout the pattern sized its queue for. */
  readonly timeout?: Duration;
  /** What the pattern's runtime helper reads; wins over the user's environment on a clash. */
  readonly environment?: Record<string, string>;
  /** How the pattern invokes it. */
  readonly invocation: FunctionInvocation;
}

/**
 * Builds the `ServerlessFunction` of a user-code slot (or adopts an existing function: then the
 * environment is added when it is a `lambda.Function`), and connects it to the database when one
 * is given. Returns the function and the alarms of a function the pattern built.
 */
export function userFunction(scope: Construct, spec: UserFunctionSpec): { fn: lambda.IFunction; alarms: cloudwatch.Alarm[] } {
  const environment = spec.environment ?? {};
  let fn: lambda.IFunction;
  let alarms: cloudwatch.Alarm[] = [];
  if (spec.code) {
    const built = new ServerlessFunction(scope, spec.id, {
      ...spec.code,
      timeout: spec.timeout ?? spec.code.timeout,
      description: spec.code.description ?? spec.description,
      environment: { ...spec.code.environment, ...environment },
      invocation: spec.invocation,
      alarms: { topic: spec.alarmTopic },
      ...databaseFunctionProps(spec),
    });
    alarms = built.alarms;
    fn = built;
  } else {
    fn = spec.existing!;
    if (fn instanceof lambda.Function) {
      for (const [key, value] of Object.entries(environment)) fn.addEnvironment(key, value);
    }
  }
  spec.database?.grantConnect(fn, spec.databaseUser);
  return { fn, alarms };
}
