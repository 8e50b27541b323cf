import * as fs from 'fs';
import { Duration, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { databaseFunctionProps } from './database';
import { DEFAULTS } from './defaults';
import { bundleEntry } from './entry';
import { EntryBundlingOptions } from './entry-options';
import { PatternValidationError } from './errors';
import { BoundHandler, HandlerBinding, PATTERN_FUNCTION_CONTEXT } from './function-internals';
import { FunctionOptions } from './function-options';
import { ServerlessFunction, ServerlessFunctionProps } from './serverless-function';

/** A function from code you built: the handler is required. */
export interface HandlerOptions extends FunctionOptions {
  /** The handler: `file.export` for Node.js and Python (e.g. `index.handler`, `app.handler`), as the runtime expects for others. */
  readonly handler: string;
}

/** A TypeScript or JavaScript entry the pattern bundles at synth (esbuild, no Docker). */
export interface EntryOptions extends FunctionOptions, EntryBundlingOptions {}

/** An existing function used for a pattern's role. */
export interface ExistingFunctionOptions {
  /**
   * The function's timeout, when the pattern cannot read it from the function (a token); a queue's
   * visibility timeout is sized from it. A value that contradicts the function's own timeout fails.
   *
   * @default - the function's own timeout
   */
  readonly timeout?: Duration;
}

type HandlerSource =
  | { readonly kind: 'code'; readonly code: lambda.Code; readonly options: HandlerOptions }
  | { readonly kind: 'entry'; readonly entry: string; readonly options: EntryOptions }
  | { readonly kind: 'function'; readonly fn: lambda.Function; readonly options: ExistingFunctionOptions };

/**
 * The code of a pattern's role (a worker, a consumer, a processor, a saga action...): every slot
 * that takes user code takes a `Handler`.
 *
 * - `Handler.fromAsset(path, { handler })` / `Handler.fromCode(code, { handler })`: code you
 *   built, in any runtime; the pattern builds a `ServerlessFunction` with the library's defaults.
 * - `Handler.fromEntry(entry, options)`: a TypeScript/JavaScript entry bundled at synth with
 *   aws-cdk-lib's esbuild bundling, `nodeModules` installed for the function's OS and CPU.
 * - `Handler.fromFunction(fn)`: a function you defined; the pattern adds the event source,
 *   permissions, environment and database access.
 */
export class Handler {
  /**
   * Code in a local directory or zip file (e.g. `dist/worker`).
   *
   * @param path the directory or .zip file
   * @param options the handler and function options
   */
  public static fromAsset(path: string, options: HandlerOptions): Handler {
    return new Handler({ kind: 'code', code: lambda.Code.fromAsset(path), options });
  }

  /**
   * Code as a `lambda.Code` (an asset with bundling options, an S3 object, inline code...).
   *
   * @param code the code
   * @param options the handler and function options
   */
  public static fromCode(code: lambda.Code, options: HandlerOptions): Handler {
    return new Handler({ kind: 'code', code, options });
  }

  /**
   * A TypeScript or JavaScript file bundled at synth with aws-cdk-lib's esbuild bundling (esbuild
   * must be installed in your project; no Docker). `@aws-sdk/*` (and, with the Powertools layer,
   * `@aws-lambda-powertools/*`) stay external; `nodeModules` are installed for Linux and the
   * function's architecture, so native modules such as `sharp` get the right binaries.
   *
   * @param entry path of the entry file
   * @param options bundling and function options
   */
  public static fromEntry(entry: string, options: EntryOptions = {}): Handler {
    return new Handler({ kind: 'entry', entry, options });
  }

  /**
   * A function defined in your app (a `lambda.Function` or subclass such as `NodejsFunction`,
   * `PythonFunction` or `ServerlessFunction`). The pattern adds its event source, permissions,
   * environment variables and database access; alarms on it are yours.
   *
   * @param fn the function
   * @param options what the pattern cannot read from the function
   */
  public static fromFunction(fn: lambda.Function, options: ExistingFunctionOptions = {}): Handler {
    return new Handler({ kind: 'function', fn, options });
  }

  private constructor(private readonly source: HandlerSource) {}

  /**
   * Builds (or adopts) the function for a pattern's role.
   *
   * @internal
   */
  public _bind(scope: Construct, binding: HandlerBinding): BoundHandler {
    const source = this.source;
    if (source.kind === 'function') return bindExisting(scope, source.fn, source.options, binding);

    const options: FunctionOptions = source.options;
    const runtime = options.runtime ?? DEFAULTS.runtime;
    const architecture = options.architecture ?? DEFAULTS.architecture;
    let code: lambda.Code;
    let handler: string;
    if (source.kind === 'entry') {
      if (!fs.existsSync(source.entry)) {
        throw new PatternValidationError(scope, `${binding.prop}: Handler.fromEntry: the entry ${source.entry} does not exist (paths are relative to the directory you run cdk in, ${process.cwd()})`);
      }
      if (runtime.family !== lambda.RuntimeFamily.NODEJS) {
        throw new PatternValidationError(scope, `${binding.prop}: Handler.fromEntry bundles TypeScript/JavaScript for Node.js, but runtime is ${runtime.name}: use Handler.fromAsset for other runtimes`);
      }
      const bundled = bundleEntry(scope, source.entry, {
        runtime,
        architecture,
        powertoolsLayer: options.powertools ?? true,
        bundling: source.options,
      });
      code = bundled.code;
      handler = bundled.handler;
    } else {
      code = source.code;
      handler = source.options.handler;
      if (!Token.isUnresolved(handler) && handler.trim() === '') {
        throw new PatternValidationError(scope, `${binding.prop}: handler must name the function to run (e.g. 'index.handler'), got an empty string`);
      }
    }
    const database = databaseFunctionProps(binding);
    if (binding.database && options.vpc && options.vpc !== binding.database.vpc) {
      throw new PatternValidationError(scope, `${binding.prop}: vpc must be the database's VPC (${binding.database.vpc.node.path}) or unset, because the function connects to the pattern's database through its RDS Proxy`);
    }
    const timeout = options.timeout ?? binding.defaultTimeout ?? DEFAULTS.timeout;
    const props: ServerlessFunctionProps = {
      ...options,
      code,
      handler,
      runtime,
      architecture,
      timeout,
      memorySize: options.memorySize ?? binding.defaultMemorySize,
      description: options.description ?? binding.description,
      environment: { ...options.environment, ...binding.environment },
      vpc: database.vpc ?? options.vpc,
      vpcSubnets: database.vpc ? (binding.databaseSubnets ?? options.vpcSubnets) : options.vpcSubnets,
      invocation: binding.invocation,
    };
    PATTERN_FUNCTION_CONTEXT.set(props, { prop: binding.prop, alarms: binding.alarms, alarmsOffByDefault: binding.alarmsOffByDefault });
    const built = new ServerlessFunction(scope, binding.id, props);
    binding.database?.grantConnect(built, binding.databaseUser);
    return { fn: built, built, timeout };
  }
}

function bindExisting(scope: Construct, fn: lambda.Function, options: ExistingFunctionOptions, binding: HandlerBinding): BoundHandler {
  const own = fn.timeout;
  let timeout: Duration;
  if (options.timeout && own && !own.isUnresolved() && !options.timeout.isUnresolved() && own.toSeconds() !== options.timeout.toSeconds()) {
    throw new PatternValidationError(scope, `${binding.prop}: Handler.fromFunction timeout is ${options.timeout.toHumanString()} but ${fn.node.path} has a ${own.toHumanString()} timeout: drop the option (it is read from the function) or make them agree`);
  }
  if (options.timeout) {
    timeout = options.timeout;
  } else if (own && !own.isUnresolved()) {
    timeout = own;
  } else if (!own) {
    timeout = Duration.seconds(3); // Lambda's own default when a function sets none
  } else {
    throw new PatternValidationError(scope, `${binding.prop}: the timeout of ${fn.node.path} is a token the pattern cannot read: give Handler.fromFunction(fn, { timeout })`);
  }
  for (const [key, value] of Object.entries(binding.environment ?? {})) fn.addEnvironment(key, value);
  if (binding.database) {
    binding.database.grantConnect(fn, binding.databaseUser);
  }
  return { fn, timeout };
}
