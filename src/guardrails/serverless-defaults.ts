import { IAspect, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';
import { DEFAULTS } from '../core/defaults';
import { ServerlessFunction } from '../core/serverless-function';

/** Props of `ServerlessDefaults`. */
export interface ServerlessDefaultsProps {
  /**
   * Runtime families whose functions are moved to ARM64 when they set no architecture. Opt-in per
   * family, because code with native binaries built for x86_64 (a bundled `sharp`, a Python wheel
   * with C extensions) breaks on ARM64: list only families whose code you know is portable.
   *
   * @default - no function's architecture is changed
   */
  readonly arm64RuntimeFamilies?: lambda.RuntimeFamily[];
  /**
   * Retention of the log group given to functions that have none.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Turn on active X-Ray tracing for functions that do not set tracing.
   *
   * @default true
   */
  readonly enableTracing?: boolean;
  /**
   * Set `POWERTOOLS_SERVICE_NAME` (from the construct path) and `POWERTOOLS_METRICS_NAMESPACE` on
   * functions that do not set them.
   *
   * @default true
   */
  readonly enablePowertoolsEnvironment?: boolean;
  /**
   * `POWERTOOLS_METRICS_NAMESPACE` for functions that do not set it.
   *
   * @default 'cdk-serverless-patterns'
   */
  readonly metricsNamespace?: string;
}

/**
 * An Aspect that applies this library's defaults to every `lambda.Function` in its scope that was
 * not built by the library: a log group with a retention, active tracing, the Powertools
 * environment, and ARM64 for the runtime families you opt in. It never overrides a value set
 * explicitly: a function with a log group, a tracing mode, an architecture or a Powertools
 * variable keeps it.
 *
 * @example
 * declare const app: App;
 * Aspects.of(app).add(new ServerlessDefaults({ arm64RuntimeFamilies: [lambda.RuntimeFamily.NODEJS] }));
 */
export class ServerlessDefaults implements IAspect {
  private readonly props: ServerlessDefaultsProps;

  constructor(props: ServerlessDefaultsProps = {}) {
    this.props = props;
  }

  public visit(node: IConstruct): void {
    if (!(node instanceof lambda.Function) || node instanceof ServerlessFunction) return;
    const cfn = node.node.defaultChild as lambda.CfnFunction;
    const stack = Stack.of(node);

    const families = this.props.arm64RuntimeFamilies ?? [];
    if (cfn.architectures === undefined && families.includes(node.runtime.family!)) {
      cfn.architectures = [lambda.Architecture.ARM_64.name];
    }

    const loggingConfig = stack.resolve(cfn.loggingConfig) as { logGroup?: string } | undefined;
    const hasLogRetentionResource = node.node.tryFindChild('LogRetention') !== undefined;
    if (!loggingConfig?.logGroup && !hasLogRetentionResource) {
      const logGroup = new logs.LogGroup(node, 'DefaultsLogGroup', {
        retention: this.props.logRetention ?? DEFAULTS.logRetention,
        removalPolicy: DEFAULTS.logRemovalPolicy,
      });
      cfn.loggingConfig = { ...(loggingConfig ?? {}), logGroup: logGroup.logGroupName };
      node.addToRolePolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    }

    if ((this.props.enableTracing ?? true) && cfn.tracingConfig === undefined) {
      cfn.tracingConfig = { mode: lambda.Tracing.ACTIVE };
      node.addToRolePolicy(new iam.PolicyStatement({ actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] }));
    }

    if (this.props.enablePowertoolsEnvironment ?? true) {
      const variables = (stack.resolve(cfn.environment) as { variables?: Record<string, string> } | undefined)?.variables ?? {};
      if (variables.POWERTOOLS_SERVICE_NAME === undefined) {
        node.addEnvironment('POWERTOOLS_SERVICE_NAME', node.node.path.replace(/[^A-Za-z0-9-_]/g, '-').slice(0, 128));
      }
      if (variables.POWERTOOLS_METRICS_NAMESPACE === undefined) {
        node.addEnvironment('POWERTOOLS_METRICS_NAMESPACE', this.props.metricsNamespace ?? 'cdk-serverless-patterns');
      }
    }
  }
}
