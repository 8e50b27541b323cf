import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { powertoolsLayerArn } from '../../src/core/powertools-layer';
import { POWERTOOLS_PYTHON_LAYER, POWERTOOLS_PYTHON_LAYER_NEWEST_VERSION } from '../../src/core/powertools-layers';

const { ARM_64, X86_64 } = lambda.Architecture;
const V = POWERTOOLS_PYTHON_LAYER.version;

function stackIn(region?: string, id = 'S'): Stack {
  return new Stack(new App(), id, region ? { env: { region, account: '111111111111' } } : {});
}

/** A function with the layer the module chooses, so the ARN is checked in a synthesized template. */
function functionWithLayer(stack: Stack, runtime: lambda.Runtime, architecture: lambda.Architecture, version?: number): Template {
  const code = lambda.Code.fromBucket(s3.Bucket.fromBucketName(stack, 'Code', 'code-bucket'), 'code.zip', 'v1');
  const fn = new lambda.Function(stack, 'Fn', { runtime, architecture, handler: 'index.handler', code });
  const arn = powertoolsLayerArn(fn, runtime, architecture, version);
  if (arn) fn.addLayers(lambda.LayerVersion.fromLayerVersionArn(fn, 'Powertools', arn));
  return Template.fromStack(stack);
}

describe('powertoolsLayerArn: the layer follows the runtime family and architecture', () => {
  test('Node.js 24 on arm64 in eu-west-1: the TypeScript layer of the region', () => {
    const stack = stackIn('eu-west-1');
    expect(powertoolsLayerArn(stack, lambda.Runtime.NODEJS_24_X, ARM_64)).toBe('arn:aws:lambda:eu-west-1:094274105915:layer:AWSLambdaPowertoolsTypeScriptV2:50');
    // the TypeScript layer is one for both architectures
    expect(powertoolsLayerArn(stack, lambda.Runtime.NODEJS_22_X, X86_64)).toBe('arn:aws:lambda:eu-west-1:094274105915:layer:AWSLambdaPowertoolsTypeScriptV2:50');
  });

  test('Node.js before 22, which the TypeScript layer is no longer built for: no layer', () => {
    expect(powertoolsLayerArn(stackIn('eu-west-1'), lambda.Runtime.NODEJS_20_X, ARM_64)).toBeUndefined();
    expect(powertoolsLayerArn(stackIn('eu-west-1'), lambda.Runtime.NODEJS_18_X, ARM_64)).toBeUndefined();
  });

  test('Python 3.13 on arm64 and on x86_64: two layers, named for the Python version and the architecture', () => {
    const stack = stackIn('eu-west-1');
    expect(powertoolsLayerArn(stack, lambda.Runtime.PYTHON_3_13, ARM_64))
      .toBe(`arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:${V}`);
    expect(powertoolsLayerArn(stack, lambda.Runtime.PYTHON_3_13, X86_64))
      .toBe(`arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:${V}`);
    expect(powertoolsLayerArn(stack, lambda.Runtime.PYTHON_3_10, ARM_64))
      .toBe(`arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python310-arm64:${V}`);
    expect(V).toBe(37);
  });

  test('GovCloud and China: the accounts that publish there, in their partitions', () => {
    expect(powertoolsLayerArn(stackIn('cn-north-1'), lambda.Runtime.PYTHON_3_12, ARM_64))
      .toBe(`arn:aws-cn:lambda:cn-north-1:498634801083:layer:AWSLambdaPowertoolsPythonV3-python312-arm64:${V}`);
    expect(powertoolsLayerArn(stackIn('cn-north-1'), lambda.Runtime.NODEJS_24_X, ARM_64))
      .toBe('arn:aws-cn:lambda:cn-north-1:498634801083:layer:AWSLambdaPowertoolsTypeScriptV2:50');
    expect(powertoolsLayerArn(stackIn('us-gov-west-1'), lambda.Runtime.NODEJS_24_X, ARM_64))
      .toBe('arn:aws-us-gov:lambda:us-gov-west-1:165093116878:layer:AWSLambdaPowertoolsTypeScriptV2:50');
    // GovCloud's Python layers are versioned on their own: the docs show 27 there
    expect(powertoolsLayerArn(stackIn('us-gov-east-1'), lambda.Runtime.PYTHON_3_13, X86_64, 27))
      .toBe('arn:aws-us-gov:lambda:us-gov-east-1:165087284144:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:27');
    expect(powertoolsLayerArn(stackIn('us-gov-west-1'), lambda.Runtime.PYTHON_3_13, ARM_64, 27))
      .toBe('arn:aws-us-gov:lambda:us-gov-west-1:165093116878:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:27');
  });

  test('GovCloud with the pinned Python version, newer than what is documented there: fails naming the version to use', () => {
    expect(() => powertoolsLayerArn(stackIn('us-gov-west-1', 'Gov'), lambda.Runtime.PYTHON_3_13, ARM_64)).toThrow(
      `Gov: version ${V} of the Powertools for AWS Lambda (Python) layer AWSLambdaPowertoolsPythonV3-python313-arm64 (runtime python3.13, arm64) `
      + 'is not published in us-gov-west-1, whose newest is 27: set powertoolsLayerVersion: 27 to use that one, or set powertools: false (handler options or ServerlessFunction props)');
  });

  test.each(['ap-east-2', 'ap-southeast-6', 'cn-northwest-1'])('a region without the Python layer (%s): fails at synth naming the region, runtime, layer and the way out', (region) => {
    expect(() => powertoolsLayerArn(stackIn(region, 'Far'), lambda.Runtime.PYTHON_3_13, ARM_64)).toThrow(
      `Far: the Powertools for AWS Lambda (Python) layer AWSLambdaPowertoolsPythonV3-python313-arm64 (runtime python3.13, arm64) is not published in ${region}, `
      + 'so the function cannot be created there with it: set powertools: false (handler options or ServerlessFunction props) '
      + 'and package aws-lambda-powertools with your code, or add your own copy of the layer through layers, '
      + `or set powertoolsLayerVersion once a version is published in ${region}`);
    expect(POWERTOOLS_PYTHON_LAYER_NEWEST_VERSION[region]).toBeUndefined();
  });

  test('a region without the TypeScript layer keeps its error', () => {
    expect(() => powertoolsLayerArn(stackIn('ap-east-2', 'Far'), lambda.Runtime.NODEJS_24_X, ARM_64))
      .toThrow(/^Far: the Powertools for AWS Lambda \(TypeScript\) layer \(AWSLambdaPowertoolsTypeScriptV2\) is not published in ap-east-2, /);
  });

  test('Python runtimes the layer is not built for fail in every region, naming those it is built for', () => {
    const message = /the Powertools for AWS Lambda \(Python\) layer is not published for the python3\.8 runtime \(it is for python3\.9, python3\.10, python3\.11, python3\.12, python3\.13, python3\.14\): use one of those runtimes, or set powertools: false \(handler options or ServerlessFunction props\)/;
    expect(() => powertoolsLayerArn(stackIn('eu-west-1'), lambda.Runtime.PYTHON_3_8, ARM_64)).toThrow(message);
    expect(() => powertoolsLayerArn(stackIn(), lambda.Runtime.PYTHON_3_8, ARM_64)).toThrow(message);
    expect(() => powertoolsLayerArn(stackIn(), new lambda.Runtime('python3.15', lambda.RuntimeFamily.PYTHON), ARM_64)).toThrow(/not published for the python3\.15 runtime/);
  });

  test('Python 3.9, whose layers stop at version 27: the pinned version fails offering 27, which works', () => {
    expect(() => powertoolsLayerArn(stackIn('eu-west-1', 'Old'), lambda.Runtime.PYTHON_3_9, X86_64)).toThrow(
      `Old: version ${V} of the Powertools for AWS Lambda (Python) layer AWSLambdaPowertoolsPythonV3-python39-x86_64 (runtime python3.9, x86_64) is not published anywhere: `
      + 'Powertools no longer supports python3.9, whose layers stop at version 27: set powertoolsLayerVersion: 27 to use that one, move to a newer Python runtime');
    expect(() => powertoolsLayerArn(stackIn(undefined, 'Old'), lambda.Runtime.PYTHON_3_9, X86_64)).toThrow(/is not published anywhere: Powertools no longer supports python3\.9/);
    expect(powertoolsLayerArn(stackIn('eu-west-1'), lambda.Runtime.PYTHON_3_9, X86_64, 27))
      .toBe('arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python39-x86_64:27');
  });

  test('Java, .NET, Ruby and custom runtimes: no layer (their Powertools ship as libraries)', () => {
    const stack = stackIn('eu-west-1');
    const { JAVA_21, DOTNET_8, RUBY_3_4, PROVIDED_AL2023, FROM_IMAGE } = lambda.Runtime;
    for (const runtime of [JAVA_21, DOTNET_8, RUBY_3_4, PROVIDED_AL2023, FROM_IMAGE]) {
      expect(powertoolsLayerArn(stack, runtime, ARM_64)).toBeUndefined();
    }
    // no region check either: nothing to look up
    expect(powertoolsLayerArn(stackIn('ap-east-2'), lambda.Runtime.JAVA_21, ARM_64)).toBeUndefined();
  });

  test('an env-agnostic stack: the ARN is built from the partition and region tokens and resolves in the template', () => {
    const stack = stackIn();
    const template = functionWithLayer(stack, lambda.Runtime.PYTHON_3_13, ARM_64);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'python3.13',
      Architectures: ['arm64'],
      Layers: [{
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':lambda:', { Ref: 'AWS::Region' }, `:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:${V}`]],
      }],
    });
    const ts = functionWithLayer(stackIn(), lambda.Runtime.NODEJS_24_X, X86_64);
    ts.hasResourceProperties('AWS::Lambda::Function', {
      Layers: [{
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':lambda:', { Ref: 'AWS::Region' }, ':094274105915:layer:AWSLambdaPowertoolsTypeScriptV2:50']],
      }],
    });
  });

  test('a runtime without a layer adds none to the function', () => {
    functionWithLayer(stackIn('eu-west-1'), lambda.Runtime.JAVA_21, ARM_64).hasResourceProperties('AWS::Lambda::Function', { Layers: Match.absent() });
  });

  test('an explicit version is trusted: no region or version check, in the synthesized template too', () => {
    // newer than the table knows, in a region the table has no version for
    expect(powertoolsLayerArn(stackIn('ap-east-2'), lambda.Runtime.PYTHON_3_13, ARM_64, 41))
      .toBe('arn:aws:lambda:ap-east-2:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:41');
    const stack = stackIn('me-south-1');
    functionWithLayer(stack, lambda.Runtime.PYTHON_3_12, X86_64, 40).hasResourceProperties('AWS::Lambda::Function', {
      Layers: ['arn:aws:lambda:me-south-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:40'],
    });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('Python 3.14 below version 27 (private placeholders) warns', () => {
    const stack = stackIn('eu-west-1');
    functionWithLayer(stack, lambda.Runtime.PYTHON_3_14, ARM_64, 20);
    Annotations.fromStack(stack).hasWarning('/S/Fn', Match.stringLikeRegexp('Versions of AWSLambdaPowertoolsPythonV3-python314-arm64 before 27 are private placeholders'));
  });
});
