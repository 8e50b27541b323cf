import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';

/**
 * How the pattern builds a function from your code: every member is optional and has the
 * library's default.
 */
export interface FunctionOptions {
  /**
   * The Lambda runtime. Any runtime works; the Powertools layer is added for Node.js (the
   * TypeScript layer) and Python (the Python layer of the function's architecture), not for
   * others (their Powertools ship as libraries).
   *
   * @default lambda.Runtime.NODEJS_24_X
   */
  readonly runtime?: lambda.Runtime;
  /**
   * The instruction set.
   *
   * @default lambda.Architecture.ARM_64
   */
  readonly architecture?: lambda.Architecture;
  /**
   * Memory in MB, 128 to 10240.
   *
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * Timeout, 1 second to 15 minutes, in whole seconds.
   *
   * @default - the pattern's default for the role (30 seconds for most, 5 minutes for an AsyncHttpApi worker)
   */
  readonly timeout?: Duration;
  /**
   * Extra environment variables; the pattern's own variables win on a clash.
   *
   * @default - none
   */
  readonly environment?: { [key: string]: string };
  /**
   * A description of the function. Lambda allows 256 characters: a longer one keeps its last 256
   * characters, `…` first, with a warning.
   *
   * @default - a description naming the pattern and the function's role in it
   */
  readonly description?: string;
  /**
   * Layers, after the Powertools layer.
   *
   * @default - none besides Powertools
   */
  readonly layers?: lambda.ILayerVersion[];
  /**
   * How long the function's log group keeps logs.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The application log level (also `POWERTOOLS_LOG_LEVEL`).
   *
   * @default lambda.ApplicationLogLevel.INFO
   */
  readonly applicationLogLevel?: lambda.ApplicationLogLevel;
  /**
   * Reserved concurrency.
   *
   * @default - unreserved, the account's pool
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * VPC to place the function in. With the pattern's `database`, the function goes into the
   * database's VPC and this must be unset or that VPC.
   *
   * @default - not in a VPC (or the database's VPC)
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets in `vpc`.
   *
   * @default - private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security groups in `vpc`.
   *
   * @default - a new security group allowing all outbound traffic
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * Add the public Powertools for AWS Lambda layer of the runtime family and architecture (and
   * the `POWERTOOLS_*` environment), so your code can use Powertools without bundling it.
   *
   * @default true
   */
  readonly powertools?: boolean;
  /**
   * Version of the Powertools layer; synth checks the default is published in the stack's region.
   * A version given here is trusted.
   *
   * @default - the library's pinned version for the runtime family
   */
  readonly powertoolsLayerVersion?: number;
}

