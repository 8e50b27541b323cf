import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AlarmSink } from './alarm-factory';
import { DatabaseAccessOptions } from './database';
import type { FunctionInvocation, ServerlessFunction } from './serverless-function';

/**
 * What a pattern tells the `ServerlessFunction` it builds beyond the public props: the user's prop
 * (for messages) and where its alarms go. Keyed by the props object the pattern passes, so the
 * public props stay free of internals (this module is not exported).
 */
export interface PatternFunctionContext {
  /** The user's prop naming the function's code, e.g. `worker` or `consumers[1].handler`. */
  readonly prop: string;
  /** The pattern's alarms, narrowed to this function's part. */
  readonly alarms: AlarmSink;
  /** Alarms of this function that are off unless the user turns them on. */
  readonly alarmsOffByDefault?: string[];
}

export const PATTERN_FUNCTION_CONTEXT = new WeakMap<object, PatternFunctionContext>();

/** What a pattern tells the `DeadLetteredQueue` it builds: where its alarms go, and the prefix of the user's consumer props in messages (e.g. `consumers[1].`). */
export interface PatternQueueContext {
  readonly alarms: AlarmSink;
  readonly prop?: string;
}

export const QUEUE_INTERNALS = new WeakMap<object, PatternQueueContext>();

/** What a pattern asks of a handler when it binds it (internal). */
export interface HandlerBinding extends DatabaseAccessOptions {
  /** Construct id of the function the pattern builds. */
  readonly id: string;
  /** The user's prop, for messages (e.g. `worker`, `consumers[1].handler`). */
  readonly prop: string;
  /** Description when the user gives none. */
  readonly description: string;
  /** Timeout when the user gives none. */
  readonly defaultTimeout?: Duration;
  /** Memory when the user gives none. */
  readonly defaultMemorySize?: number;
  /** What the pattern's runtime helper reads; wins over the user's environment. */
  readonly environment?: Record<string, string>;
  /** How the pattern invokes the function. */
  readonly invocation: FunctionInvocation;
  /** Where the function's alarms go (named `<part>.<Alarm>`). */
  readonly alarms: AlarmSink;
  /** Alarms of this role that are off by default (e.g. when the pattern watches the role otherwise). */
  readonly alarmsOffByDefault?: string[];
}

/** A bound handler: the function and what the pattern needs to size around it (internal). */
export interface BoundHandler {
  /** The function (built by the pattern, or the user's). */
  readonly fn: lambda.Function;
  /** The function the pattern built, if it built one. */
  readonly built?: ServerlessFunction;
  /** Its timeout. */
  readonly timeout: Duration;
}

