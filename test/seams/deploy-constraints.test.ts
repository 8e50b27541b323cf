/**
 * Deploy-time constraints over every template of the example app (deploy-constraints.ts): what
 * synthesizes and passes cdk-nag, yet fails at deploy or at run time.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import {
  checkAssembly, lengths, missingContext, physicalNames, placeholders, powertoolsLayers, requiredModules, runtimeModules,
} from './deploy-constraints';
import { EXAMPLE_STACKS, synthExampleApp } from './helpers';
import { SeamModel, SeamStack } from './model';
import { powertoolsLayerArn } from '../../src/core/powertools-layer';

let assembly: CloudAssembly;
let violations: string[] = [];
let cleanup = () => {};

beforeAll(() => {
  const synth = synthExampleApp();
  assembly = synth.assembly;
  cleanup = synth.cleanup;
  violations = checkAssembly(assembly);
  console.log(`Deploy constraints of the example app: ${violations.length} violations\n${violations.map((v) => `  ${v}`).join('\n')}`);
}, 300_000);

afterAll(() => cleanup());

/** A model of one hand-written template. */
function model(resources: Record<string, any>, extra: Partial<SeamStack> = {}): SeamModel {
  return new SeamModel([{ name: 'S', account: '123456789012', region: 'eu-west-1', template: { Resources: resources }, ...extra }]);
}

describe('the example app', () => {
  test('the assembly lists no missing context', () => {
    expect(assembly.manifest.missing ?? []).toEqual([]);
  });

  test.each(EXAMPLE_STACKS)('%s holds no placeholder value, no colliding or fixed physical name, no name over its limit', (stack) => {
    expect(violations.filter((v) => /^(placeholder|name collision|account-wide name|fixed name|too long)/.test(v) && v.includes(` ${stack}/`))).toEqual([]);
  });

  test.each(EXAMPLE_STACKS)('%s: every Powertools layer exists in its region and ships no SDK clients', (stack) => {
    expect(violations.filter((v) => v.startsWith('layer:') && v.includes(` ${stack}/`))).toEqual([]);
  });

  test.each(EXAMPLE_STACKS)('%s: every module a bundled handler requires is bundled or provided by the Node.js 24 runtime', (stack) => {
    expect(violations.filter((v) => v.startsWith('runtime module:') && v.includes(` ${stack}/`))).toEqual([]);
  });
});

describe('the checks', () => {
  test('report missing context', () => {
    expect(missingContext([{ key: 'availability-zones:account=1:region=eu-west-1', provider: 'availability-zones' }]))
      .toEqual([expect.stringMatching(/^missing context: availability-zones lookup availability-zones:account=1:region=eu-west-1 never ran/)]);
  });

  test('report the placeholder zones of an availability-zone lookup that never ran', () => {
    // GIVEN: a VPC in a stack with an account and region but no looked-up zones (the state of
    // DatabaseExample before it stated its zones)
    const stack = new Stack(new App(), 'Db', { env: { account: '123456789012', region: 'eu-west-1' } });
    new ec2.Vpc(stack, 'Vpc', { natGateways: 0, maxAzs: 2 });
    // THEN
    expect(placeholders(SeamModel.fromStacks(stack))).toEqual(expect.arrayContaining([expect.stringMatching(/^placeholder: Db\/VpcPublicSubnet1Subnet\w+\.Properties\.AvailabilityZone is 'dummy1a'/)]));
  });

  test('report a fixed per-region name, an account-wide name without the region, a collision and a name over its limit', () => {
    const found = [...physicalNames(model({
      Proxy: { Type: 'AWS::RDS::DBProxy', Properties: { DBProxyName: 'Proxy' } },
      Policy: { Type: 'AWS::CloudFront::ResponseHeadersPolicy', Properties: { ResponseHeadersPolicyConfig: { Name: 'SSecurityHeadersABCDEF12' } } },
      Q1: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'S-jobs' } },
      Q2: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'S-jobs' } },
    })), ...lengths(model({ Fn: { Type: 'AWS::Lambda::Function', Properties: { Description: 'x'.repeat(257) } } }))];
    expect(found).toEqual([
      expect.stringMatching(/^fixed name: S\/Proxy DBProxyName 'Proxy'/),
      expect.stringMatching(/^account-wide name without region: S\/Policy ResponseHeadersPolicyConfig.Name/),
      expect.stringMatching(/^name collision: S\/Q2 and S\/Q1 both name their AWS::SQS::Queue 'S-jobs'/),
      expect.stringMatching(/^too long: S\/Fn Description has 257 characters, the limit is 256/),
    ]);
  });

  test('report a Powertools layer version that is not published in the region, or that bundles SDK clients', () => {
    const fn = (region: string, version: number) => ({
      Type: 'AWS::Lambda::Function', Properties: { Layers: [`arn:aws:lambda:${region}:094274105915:layer:AWSLambdaPowertoolsTypeScriptV2:${version}`] },
    });
    expect(powertoolsLayers(new SeamModel([
      { name: 'Hk', account: '123456789012', region: 'ap-east-2', template: { Resources: { Fn: fn('ap-east-2', 50) } } },
      { name: 'Bh', account: '123456789012', region: 'me-south-1', template: { Resources: { Fn: fn('me-south-1', 50) } } },
      { name: 'Ie', account: '123456789012', region: 'eu-west-1', template: { Resources: { Fn: fn('eu-west-1', 44) } } },
    ]))).toEqual([
      expect.stringMatching(/^layer: Hk\/Fn: the Powertools layer is not published in ap-east-2/),
      expect.stringMatching(/^layer: Bh\/Fn: Powertools layer version 50 does not exist in me-south-1, whose newest is 46/),
      expect.stringMatching(/^layer: Ie\/Fn: Powertools layer version 44 bundles AWS SDK clients/),
    ]);
  });

  test('report a Python Powertools layer of another region, account, Python version or architecture, or a version not published there', () => {
    const fn = (region: string, layer: string, runtime = 'python3.13', architecture = 'arm64') => ({
      Type: 'AWS::Lambda::Function',
      Properties: { Runtime: runtime, Architectures: [architecture], Layers: [`arn:aws:lambda:${region}:${layer}`] },
    });
    const stack = (name: string, region: string, layer: string, runtime?: string, architecture?: string) =>
      ({ name, account: '123456789012', region, template: { Resources: { Fn: fn(region, layer, runtime, architecture) } } });
    expect(powertoolsLayers(new SeamModel([
      stack('Ok', 'eu-west-1', '017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:37'),
      stack('Hk', 'ap-east-2', '017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:37'),
      stack('Bh', 'me-south-1', '017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:37'),
      stack('Acct', 'eu-west-1', '094274105915:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:37'),
      stack('Arch', 'eu-west-1', '017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:37', 'python3.13', 'x86_64'),
      stack('Py', 'eu-west-1', '017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-arm64:37'),
      stack('Py39', 'eu-west-1', '017000801446:layer:AWSLambdaPowertoolsPythonV3-python39-arm64:30', 'python3.9'),
      stack('Py38', 'eu-west-1', '017000801446:layer:AWSLambdaPowertoolsPythonV3-python38-arm64:3', 'python3.8'),
      stack('Py314', 'eu-west-1', '017000801446:layer:AWSLambdaPowertoolsPythonV3-python314-arm64:20', 'python3.14'),
    ]))).toEqual([
      expect.stringMatching(/^layer: Hk\/Fn: the Powertools layer AWSLambdaPowertoolsPythonV3-python313-arm64 is not published in ap-east-2/),
      expect.stringMatching(/^layer: Bh\/Fn: Powertools layer AWSLambdaPowertoolsPythonV3-python313-arm64 version 37 does not exist in me-south-1, whose newest is 27/),
      expect.stringMatching(/^layer: Acct\/Fn uses the Powertools layer AWSLambdaPowertoolsPythonV3-python313-arm64 from account 094274105915; eu-west-1 publishes it from 017000801446/),
      expect.stringMatching(/^layer: Arch\/Fn runs on x86_64 with the Powertools layer AWSLambdaPowertoolsPythonV3-python313-arm64, built for arm64/),
      expect.stringMatching(/^layer: Py\/Fn runs python3.13 with the Powertools layer AWSLambdaPowertoolsPythonV3-python312-arm64, built for python3.12/),
      expect.stringMatching(/^layer: Py39\/Fn: Powertools layer AWSLambdaPowertoolsPythonV3-python39-arm64 version 30 does not exist in eu-west-1, whose newest is 27/),
      expect.stringMatching(/^layer: Py38\/Fn: the Powertools layer AWSLambdaPowertoolsPythonV3-python38-arm64 is not published \(the layer exists for python3.9, /),
      expect.stringMatching(/^layer: Py314\/Fn: Powertools layer AWSLambdaPowertoolsPythonV3-python314-arm64 versions before 27 are private placeholders, not 20/),
    ]);
  });

  test('the layers the library chooses pass the layer check, in an env-agnostic stack and in China', () => {
    const app = new App();
    const stacks = [new Stack(app, 'Any'), new Stack(app, 'Cn', { env: { region: 'cn-north-1', account: '123456789012' } })];
    for (const s of stacks) {
      for (const [id, runtime, architecture] of [
        ['Py', lambda.Runtime.PYTHON_3_13, lambda.Architecture.ARM_64], ['PyX', lambda.Runtime.PYTHON_3_12, lambda.Architecture.X86_64],
        ['Node', lambda.Runtime.NODEJS_24_X, lambda.Architecture.ARM_64],
      ] as const) {
        const f = new lambda.Function(s, id, { runtime, architecture, handler: 'index.handler', code: lambda.Code.fromInline('x') });
        f.addLayers(lambda.LayerVersion.fromLayerVersionArn(f, 'Powertools', powertoolsLayerArn(f, runtime, architecture)!));
      }
    }
    const seams = SeamModel.fromStacks(...stacks);
    expect(seams.resources('AWS::Lambda::Function').flatMap((f) => seams.prop(f, 'Layers'))).toEqual(expect.arrayContaining([
      expect.stringMatching(/^arn:aws:lambda:[a-z0-9-]+:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:37$/),
      'arn:aws-cn:lambda:cn-north-1:498634801083:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:37',
    ]));
    expect(powertoolsLayers(seams)).toEqual([]);
  });

  test('report a bundle that requires @aws-sdk/rds-signer, which the Node.js runtime does not provide', () => {
    // GIVEN a function whose bundled code requires the signer, a client, a built-in and the layer's Logger
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seams-bundle-'));
    fs.writeFileSync(path.join(dir, 'index.js'), 'const a=require("@aws-sdk/rds-signer"),b=require("@aws-sdk/client-sqs"),c=require("node:crypto"),d=require("@aws-lambda-powertools/logger");');
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'seams-app-')) });
    const stack = new Stack(app, 'S', { env: { account: '123456789012', region: 'eu-west-1' } });
    new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromAsset(dir) });
    // THEN
    expect(runtimeModules(SeamModel.fromStacks(stack))).toEqual([
      expect.stringMatching(/requires '@aws-sdk\/rds-signer' at run time, which the Lambda Node.js runtime does not provide/),
      expect.stringMatching(/requires '@aws-lambda-powertools\/logger' at run time, but the function has no Powertools layer/),
    ]);
  });

  test('read require(), import() and import ... from in a bundle, not a module named in a string', () => {
    expect(requiredModules('const a=require("x");import("y");import {b} from "z";export * from \'w\';').sort()).toEqual(['w', 'x', 'y', 'z']);
    // the AWS SDK's own error message, as bundled with @aws-sdk/rds-signer
    expect(requiredModules('throw new Error(`register the package by calling [require("@aws-sdk/signature-v4-crt");] first`);')).toEqual([]);
  });
});
