import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { PatternValidationError } from './errors';

/** How `Handler.fromEntry` bundles the entry. */
export interface EntryBundlingOptions {
  /**
   * Modules installed (not bundled) for Linux and the function's architecture, e.g. `['sharp']`.
   *
   * @default - none
   */
  readonly nodeModules?: string[];
}

/** Bundles an entry (placeholder until the esbuild bundling lands). */
export function bundleEntry(scope: Construct, entry: string, _opts: { runtime: lambda.Runtime; architecture: lambda.Architecture; powertoolsLayer: boolean; bundling: EntryBundlingOptions; exportName?: string }): { code: lambda.Code; handler: string } {
  throw new PatternValidationError(scope, `Handler.fromEntry(${entry}) is not available in this build`);
}
