import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * The code a user brings to a pattern: the pattern builds a `ServerlessFunction` from it, so the
 * library's defaults (ARM64, Node.js 24, Powertools, tracing, log retention, alarms) hold.
 */
export interface FunctionCodeOptions {
  /** The function's code, e.g. `lambda.Code.fromAsset('dist/worker')`. */
  readonly code: lambda.Code;
  /** The handler, `file.export`, e.g. `index.handler`. */
  readonly handler: string;
  /**
   * Memory in MB, 128 to 10240.
   *
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * Timeout, at most 15 minutes.
   *
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Extra environment variables; the pattern's own variables win on a clash.
   *
   * @default - none
   */
  readonly environment?: { [key: string]: string };
  /**
   * A description of the function. Lambda allows 256 characters: a longer one (a generated one
   * of a deeply nested construct, say) keeps its last 256 characters, `…` first, with a warning.
   *
   * @default - a description naming the pattern and the function's role in it
   */
  readonly description?: string;
}
