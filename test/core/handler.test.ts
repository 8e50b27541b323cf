import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { FunctionInvocation, Handler } from '../../src';
import { PatternAlarms } from '../../src/core/alarm-factory';

/** A stand-in pattern with one user-code role, bound the way every pattern binds its handlers. */
class OneRole extends Construct {
  public readonly bound;
  constructor(scope: Construct, id: string, handler: Handler, environment: Record<string, string> = { ROLE_TABLE: 'jobs' }) {
    super(scope, id);
    const alarms = new PatternAlarms(this, {});
    this.bound = handler._bind(this, {
      id: 'Worker',
      prop: 'worker',
      description: 'the worker',
      defaultTimeout: Duration.minutes(5),
      environment,
      invocation: FunctionInvocation.QUEUE,
      alarms: alarms.forPart('Worker'),
    });
  }
}

const stack = () => new Stack(new App(), 'S', { env: { account: '123456789012', region: 'eu-west-1' } });
const inline = lambda.Code.fromInline('exports.handler = async () => {}');

describe('Handler', () => {
  test('fromCode: any runtime; a Python function gets the Python layer of its architecture and the pattern\'s environment', () => {
    const s = stack();
    const role = new OneRole(s, 'P', Handler.fromCode(lambda.Code.fromInline('def handler(e, c): pass'), { handler: 'app.handler', runtime: lambda.Runtime.PYTHON_3_13, environment: { ROLE_TABLE: 'mine', OWN: '1' } }));
    expect(role.bound.built).toBe(role.bound.fn);
    expect(role.bound.timeout.toSeconds()).toBe(300);
    Template.fromStack(s).hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'python3.13',
      Handler: 'app.handler',
      Timeout: 300,
      Layers: [Match.stringLikeRegexp('^arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:\\d+$')],
      // the pattern's variable wins over the user's on a clash
      Environment: { Variables: Match.objectLike({ ROLE_TABLE: 'jobs', OWN: '1' }) },
    });
  });

  test('fromAsset with an empty handler fails naming the prop', () => {
    expect(() => new OneRole(stack(), 'E', Handler.fromCode(inline, { handler: ' ' }))).toThrow(/S\/E: worker: handler must name the function to run/);
  });

  test('fromFunction: the pattern reads the function\'s timeout and adds its environment', () => {
    const s = stack();
    const fn = new lambda.Function(s, 'Mine', { code: inline, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_24_X, timeout: Duration.seconds(45) });
    const role = new OneRole(s, 'F', Handler.fromFunction(fn));
    expect(role.bound.fn).toBe(fn);
    expect(role.bound.built).toBeUndefined();
    expect(role.bound.timeout.toSeconds()).toBe(45);
    Template.fromStack(s).hasResourceProperties('AWS::Lambda::Function', { Timeout: 45, Environment: { Variables: { ROLE_TABLE: 'jobs' } } });
  });

  test('fromFunction: a timeout option that contradicts the function fails; a function without one has Lambda\'s 3 seconds', () => {
    const s = stack();
    const fn = new lambda.Function(s, 'Mine', { code: inline, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_24_X, timeout: Duration.seconds(45) });
    expect(() => new OneRole(s, 'F', Handler.fromFunction(fn, { timeout: Duration.seconds(60) }))).toThrow(/worker: Handler.fromFunction timeout is 1 minute but S\/Mine has a 45 seconds timeout/);
    const bare = new lambda.Function(s, 'Bare', { code: inline, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_24_X });
    expect(new OneRole(s, 'B', Handler.fromFunction(bare)).bound.timeout.toSeconds()).toBe(3);
  });

  test('fromEntry: bundles a TypeScript entry at synth (esbuild, no Docker) into index.handler', () => {
    const s = stack();
    new OneRole(s, 'B', Handler.fromEntry(path.join(__dirname, 'fixtures', 'entry-basic', 'index.ts')));
    Template.fromStack(s).hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.handler', Runtime: 'nodejs24.x', Architectures: ['arm64'] });
  });

  test('fromEntry: a missing entry or a non-Node.js runtime fails naming the prop', () => {
    expect(() => new OneRole(stack(), 'M', Handler.fromEntry('does/not/exist.ts'))).toThrow(/worker: Handler.fromEntry: the entry does\/not\/exist.ts does not exist/);
    expect(() => new OneRole(stack(), 'R', Handler.fromEntry(path.join(__dirname, 'fixtures', 'entry-basic', 'index.ts'), { runtime: lambda.Runtime.PYTHON_3_13 })))
      .toThrow(/worker: Handler.fromEntry bundles TypeScript\/JavaScript for Node.js, but runtime is python3.13/);
  });
});
