import { Annotations, Stack, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import { DEFAULTS } from './defaults';
import { PatternValidationError } from './errors';
import {
  POWERTOOLS_LAYER_ACCOUNTS, POWERTOOLS_LAYER_NEWEST_VERSION, POWERTOOLS_PYTHON_LAYER, POWERTOOLS_PYTHON_LAYER_NEWEST_VERSION,
  POWERTOOLS_PYTHON_LAYER_RUNTIMES, POWERTOOLS_TYPESCRIPT_LAYER_MIN_NODE, powertoolsPythonLayerName,
} from './powertools-layers';

/**
 * ARN of the public Powertools for AWS Lambda layer that fits a function's runtime family and
 * architecture, in the stack's partition and region:
 *
 * - Node.js (22 and later): the TypeScript layer `AWSLambdaPowertoolsTypeScriptV2` (one for both
 *   architectures);
 * - Python (3.9 to 3.14): the Python layer `AWSLambdaPowertoolsPythonV3-<python>-<arch>`;
 * - anything else (Java, .NET, Ruby, Go, custom runtimes, container images, Node.js before 22):
 *   `undefined`, there is no layer; those Powertools ship as libraries with the code.
 *
 * When the region is a token the ARN is built from the partition and region tokens with the
 * commercial publishing account (one template for every commercial region). When the region is
 * known, the publishing account of GovCloud and China is chosen and the pinned version is checked
 * against the versions published there: synth fails with the region, the runtime, the layer name
 * and the way out. An explicit version is trusted (it may be newer than the library's tables).
 * A Python runtime the layer is not built for fails at synth in every region.
 */
export function powertoolsLayerArn(
  scope: Construct, runtime: lambda.Runtime, architecture: lambda.Architecture, explicitVersion?: number,
): string | undefined {
  if (isPython(runtime)) return pythonLayerArn(scope, runtime, architecture, explicitVersion);
  if (runtime.family === lambda.RuntimeFamily.NODEJS) {
    const major = /^nodejs(\d+)\.x$/.exec(runtime.name);
    if (major && Number(major[1]) < POWERTOOLS_TYPESCRIPT_LAYER_MIN_NODE) return undefined;
    return typeScriptLayerArn(scope, explicitVersion);
  }
  return undefined;
}

function isPython(runtime: lambda.Runtime): boolean {
  return runtime.family === lambda.RuntimeFamily.PYTHON || /^python\d/.test(runtime.name);
}

/**
 * The Powertools for AWS Lambda (TypeScript) v2 layer. GovCloud and China publish from other
 * accounts, chosen when the region is known at synth, and then the version is checked against
 * the regions it is published in.
 */
function typeScriptLayerArn(scope: Construct, explicitVersion: number | undefined): string {
  const stack = Stack.of(scope);
  const version = explicitVersion ?? DEFAULTS.powertoolsLayerVersion;
  if (Token.isUnresolved(stack.region)) {
    return `arn:${stack.partition}:lambda:${stack.region}:${DEFAULTS.powertoolsLayerAccount}:layer:${DEFAULTS.powertoolsLayerName}:${version}`;
  }
  const region = stack.region;
  const newest = POWERTOOLS_LAYER_NEWEST_VERSION[region];
  const wayOut = 'set powertools: false and bundle the @aws-lambda-powertools/* packages your code uses, '
    + 'or add your own copy of the layer through layers';
  if (explicitVersion === undefined && newest === undefined) {
    throw new PatternValidationError(scope, `the Powertools for AWS Lambda (TypeScript) layer (${DEFAULTS.powertoolsLayerName}) is not published in ${region}, `
      + `so the function cannot be created there: ${wayOut}, or set powertoolsLayerVersion once a version is published in ${region}`);
  }
  if (explicitVersion === undefined && version > newest) {
    throw new PatternValidationError(scope, `version ${version} of the Powertools for AWS Lambda (TypeScript) layer is not published in ${region}, whose newest is ${newest}: `
      + `set powertoolsLayerVersion: ${newest} to use that one${newest <= DEFAULTS.powertoolsLastLayerVersionWithSdk ? ' (it bundles AWS SDK clients that shadow the runtime\'s SDK)' : ''}, or ${wayOut}`);
  }
  if (version <= DEFAULTS.powertoolsLastLayerVersionWithSdk) {
    Annotations.of(scope).addWarningV2('cdk-serverless-patterns:powertoolsLayerWithSdk',
      `Powertools layer version ${version} bundles AWS SDK v3 clients at /opt/nodejs/node_modules, which shadow the Lambda runtime's SDK `
      + `(two SDK versions in one function); versions after ${DEFAULTS.powertoolsLastLayerVersionWithSdk} do not`);
  }
  const partition = RegionInfo.get(region).partition ?? stack.partition;
  const account = POWERTOOLS_LAYER_ACCOUNTS[region] ?? DEFAULTS.powertoolsLayerAccount;
  return `arn:${partition}:lambda:${region}:${account}:layer:${DEFAULTS.powertoolsLayerName}:${version}`;
}

/** The Powertools for AWS Lambda (Python) v3 layer of the function's Python version and architecture. */
function pythonLayerArn(scope: Construct, runtime: lambda.Runtime, architecture: lambda.Architecture, explicitVersion: number | undefined): string {
  const stack = Stack.of(scope);
  const wayOut = 'set powertools: false (handler options or ServerlessFunction props) and package '
    + 'aws-lambda-powertools with your code, or add your own copy of the layer through layers';
  const published = POWERTOOLS_PYTHON_LAYER_RUNTIMES[runtime.name];
  if (!published) {
    throw new PatternValidationError(scope, `the Powertools for AWS Lambda (Python) layer is not published for the ${runtime.name} runtime `
      + `(it is for ${Object.keys(POWERTOOLS_PYTHON_LAYER_RUNTIMES).join(', ')}): use one of those runtimes, or ${wayOut}`);
  }
  if (architecture.name !== lambda.Architecture.ARM_64.name && architecture.name !== lambda.Architecture.X86_64.name) {
    throw new PatternValidationError(scope, `the Powertools for AWS Lambda (Python) layer is published for arm64 and x86_64, not ${architecture.name}: ${wayOut}`);
  }
  const name = powertoolsPythonLayerName(runtime.name, architecture.name);
  const what = `the Powertools for AWS Lambda (Python) layer ${name} (runtime ${runtime.name}, ${architecture.name})`;
  const version = explicitVersion ?? POWERTOOLS_PYTHON_LAYER.version;
  const notPublished = (newest: number) => (newest === published.last
    ? `version ${version} of ${what} is not published anywhere: Powertools no longer supports ${runtime.name}, whose layers stop at version ${newest}: `
      + `set powertoolsLayerVersion: ${newest} to use that one, move to a newer Python runtime, or ${wayOut}`
    : `version ${version} of ${what} is not published in ${stack.region}, whose newest is ${newest}: `
      + `set powertoolsLayerVersion: ${newest} to use that one, or ${wayOut}`);
  if (published.first !== undefined && version < published.first) {
    Annotations.of(scope).addWarningV2('cdk-serverless-patterns:powertoolsLayerNotPublic',
      `Versions of ${name} before ${published.first} are private placeholders (they only align version numbers), so version ${version} cannot be used; `
      + `set powertoolsLayerVersion to ${published.first} or later`);
  }
  if (Token.isUnresolved(stack.region)) {
    if (explicitVersion === undefined && published.last !== undefined && version > published.last) {
      throw new PatternValidationError(scope, notPublished(published.last));
    }
    return `arn:${stack.partition}:lambda:${stack.region}:${POWERTOOLS_PYTHON_LAYER.account}:layer:${name}:${version}`;
  }
  const region = stack.region;
  const newestInRegion = POWERTOOLS_PYTHON_LAYER_NEWEST_VERSION[region];
  if (explicitVersion === undefined && newestInRegion === undefined) {
    throw new PatternValidationError(scope, `${what} is not published in ${region}, so the function cannot be created there with it: `
      + `${wayOut}, or set powertoolsLayerVersion once a version is published in ${region}`);
  }
  const newest = Math.min(newestInRegion, published.last ?? Infinity);
  if (explicitVersion === undefined && version > newest) {
    throw new PatternValidationError(scope, notPublished(newest));
  }
  const partition = RegionInfo.get(region).partition ?? stack.partition;
  const account = POWERTOOLS_LAYER_ACCOUNTS[region] ?? POWERTOOLS_PYTHON_LAYER.account;
  return `arn:${partition}:lambda:${region}:${account}:layer:${name}:${version}`;
}
