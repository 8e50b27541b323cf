/**
 * Runs the template's Node.js Lambda functions from their assets: one warm child process per
 * function (lambda-runner.cjs), the template's environment resolved to local values, the AWS SDK
 * pointed at the emulators, the handler's timeout enforced (the process is killed, the invocation
 * fails with Sandbox.Timedout and the next one starts a fresh process, as a cold start).
 */
import { ChildProcess, fork } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';
import type { CfnResource } from './assembly';
import type { LocalEndpoints, StackResolver } from './resolve';

/** What a function's invocation returned. */
export type InvokeResult =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: { readonly errorType: string; readonly errorMessage: string } };

/** A function of the template the local cloud can run. */
export interface FunctionDefinition {
  readonly stack: string;
  readonly logicalId: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly handler: string;
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** The folder with the function's code. */
  readonly codeDirectory: string;
  /** The template's Environment.Variables, resolved. */
  readonly environment: Record<string, string>;
  /** Whether the template attaches the Powertools layer (provided here from node_modules). */
  readonly usesPowertoolsLayer: boolean;
}

/** A function the local cloud cannot run, and why. */
export interface UnrunnableFunction {
  readonly stack: string;
  readonly logicalId: string;
  readonly reason: string;
}

/**
 * Reads a function definition from the template. Runs Node.js functions whose code is a local
 * asset folder (`Metadata["aws:asset:path"]`) or inline (`Code.ZipFile`).
 */
export function functionDefinition(
  resolver: StackResolver, assemblyDir: string, logicalId: string, resource: CfnResource,
): FunctionDefinition | UnrunnableFunction {
  const props = resource.Properties ?? {};
  const stack = resolver.stack.id;
  const runtime = String(props.Runtime ?? '');
  if (!runtime.startsWith('nodejs')) {
    return { stack, logicalId, reason: `runtime ${runtime || '(container image)'} is not run locally (Node.js only)` };
  }
  let codeDirectory: string;
  const code = props.Code as { ZipFile?: unknown; S3Key?: unknown } | undefined;
  const metadataPath = resource.Metadata?.['aws:asset:path'];
  const assetPath = typeof metadataPath === 'string' ? path.resolve(assemblyDir, metadataPath)
    : code?.S3Key !== undefined ? resolver.stack.assets[resolver.resolveString(code.S3Key)] : undefined;
  if (assetPath !== undefined) {
    codeDirectory = assetPath;
    if (!fs.existsSync(codeDirectory) || !fs.statSync(codeDirectory).isDirectory()) {
      return { stack, logicalId, reason: `its asset ${path.relative(assemblyDir, assetPath)} is not a folder in the assembly` };
    }
  } else if (code?.ZipFile !== undefined) {
    codeDirectory = fs.mkdtempSync(path.join(os.tmpdir(), `local-lambda-${logicalId}-`));
    fs.writeFileSync(path.join(codeDirectory, 'index.js'), resolver.resolveString(code.ZipFile));
  } else {
    return { stack, logicalId, reason: 'its code is not an asset of the assembly (an S3 location or a container image)' };
  }
  const variables = resolver.resolve((props.Environment as { Variables?: unknown } | undefined)?.Variables ?? {}) as Record<string, unknown>;
  const physical = resolver.physical(logicalId);
  const layers = (resolver.resolve(props.Layers ?? []) as unknown[]).map(String);
  return {
    stack,
    logicalId,
    functionName: physical.ref,
    functionArn: physical.attributes.Arn,
    handler: String(props.Handler ?? 'index.handler'),
    runtime,
    timeoutSeconds: Number(props.Timeout ?? 3),
    memoryMb: Number(props.MemorySize ?? 128),
    codeDirectory,
    environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])),
    usesPowertoolsLayer: layers.some((arn) => /:layer:AWSLambdaPowertoolsTypeScript/.test(arn)),
  };
}

/**
 * Folders on NODE_PATH for local functions: where this package resolves the AWS SDK v3 and
 * Powertools for AWS Lambda, which Lambda provides (the SDK in its Node.js runtime, Powertools in
 * its layer) and bundles leave external.
 */
export function providedModulePaths(): string[] {
  const roots = new Set<string>();
  for (const pkg of ['@aws-sdk/client-sqs', '@aws-lambda-powertools/logger']) {
    try {
      const resolved = require.resolve(pkg);
      const at = resolved.lastIndexOf(`${path.sep}node_modules${path.sep}`);
      if (at >= 0) roots.add(resolved.slice(0, at + '/node_modules'.length));
    } catch {
      // Not installed: a function that needs it fails with its own "Cannot find module".
    }
  }
  return [...roots];
}

const RUNNER = path.join(__dirname, 'lambda-runner.cjs');

/** The endpoints a function's AWS SDK clients are given (the emulators, or the IAM gates in front of them). */
export interface FunctionEndpoints {
  readonly sqs: string;
  readonly sns: string;
  readonly s3: string;
  readonly dynamodb: string;
  readonly events: string;
}

/** The endpoints of the emulators themselves, for functions when no IAM gate stands in front. */
export function emulatorEndpoints(endpoints: LocalEndpoints): FunctionEndpoints {
  return { sqs: endpoints.fauxqs, sns: endpoints.fauxqs, s3: endpoints.s3, dynamodb: endpoints.dynamodb, events: endpoints.events };
}

export interface LocalFunctionOptions {
  readonly endpoints: FunctionEndpoints;
  /** The function's dummy access key id: how the IAM gates tell its requests from others'. @default 'local' */
  readonly accessKeyId?: string;
  readonly region: string;
  /** Receives each line the function writes (stdout and stderr). */
  readonly onLog?: (line: string) => void;
  /** Told about each settled invocation. */
  readonly onInvoked?: (fn: LocalFunction, result: InvokeResult) => void;
}

/** A function running locally in a warm child process; invocations run one at a time. */
export class LocalFunction {
  private worker?: ChildProcess;
  private ready?: Promise<void>;
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();
  private pending = 0;

  constructor(readonly definition: FunctionDefinition, private readonly options: LocalFunctionOptions) {}

  /** Invocations queued or running. */
  get inFlight(): number {
    return this.pending;
  }

  /** Invokes the function with `event` (synchronously, as RequestResponse). */
  invoke(event: unknown): Promise<InvokeResult> {
    this.pending++;
    const run = this.queue.then(() => this.run(event)).then((result) => {
      this.options.onInvoked?.(this, result);
      return result;
    }).finally(() => { this.pending--; });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Stops the worker process. */
  async stop(): Promise<void> {
    await this.kill();
  }

  private environment(): NodeJS.ProcessEnv {
    const d = this.definition;
    const { endpoints, region } = this.options;
    return {
      PATH: process.env.PATH,
      TZ: ':UTC',
      LANG: 'en_US.UTF-8',
      NODE_PATH: providedModulePaths().join(path.delimiter),
      // The template's variables first: the runtime's reserved ones win, as in Lambda.
      ...d.environment,
      LAMBDA_TASK_ROOT: d.codeDirectory,
      _HANDLER: d.handler,
      AWS_EXECUTION_ENV: `AWS_Lambda_${d.runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: d.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(d.memoryMb),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${d.functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: 'local',
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: this.options.accessKeyId ?? 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_SQS: endpoints.sqs,
      AWS_ENDPOINT_URL_SNS: endpoints.sns,
      AWS_ENDPOINT_URL_S3: endpoints.s3,
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.events,
      // No X-Ray daemon here.
      POWERTOOLS_TRACE_ENABLED: 'false',
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    };
  }

  private start(): Promise<void> {
    const worker = fork(RUNNER, [], {
      cwd: this.definition.codeDirectory,
      env: this.environment(),
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.worker = worker;
    for (const stream of [worker.stdout!, worker.stderr!]) {
      readline.createInterface({ input: stream }).on('line', (line) => this.options.onLog?.(line));
    }
    this.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: { ready?: boolean }) => {
        if (message.ready) { worker.off('exit', onExit); worker.off('message', onMessage); resolve(); }
      };
      const onExit = (code: number | null) => reject(new Error(`the runtime exited with code ${code} before it was ready`));
      worker.on('message', onMessage);
      worker.once('exit', onExit);
    });
    worker.once('exit', () => {
      if (this.worker === worker) { this.worker = undefined; this.ready = undefined; }
    });
    return this.ready;
  }

  private async run(event: unknown): Promise<InvokeResult> {
    const d = this.definition;
    try {
      await (this.ready ?? this.start());
    } catch (error) {
      return { ok: false, error: { errorType: 'Runtime.ExitError', errorMessage: (error as Error).message } };
    }
    const worker = this.worker!;
    const id = this.nextId++;
    const deadlineMs = Date.now() + d.timeoutSeconds * 1000;
    const context = {
      functionName: d.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: d.functionArn,
      memoryLimitInMB: String(d.memoryMb),
      awsRequestId: `${Date.now().toString(16)}-${id}-${Math.random().toString(16).slice(2, 10)}`,
      logGroupName: `/aws/lambda/${d.functionName}`,
      logStreamName: 'local',
      deadlineMs,
    };
    return new Promise<InvokeResult>((resolve) => {
      const done = (result: InvokeResult) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        resolve(result);
      };
      const onMessage = (message: { id?: number } & InvokeResult) => {
        if (message.id !== id) return;
        done(message.ok ? { ok: true, result: message.result } : { ok: false, error: message.error });
      };
      const onExit = (code: number | null) => done({ ok: false, error: { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${context.awsRequestId} Error: Runtime exited with error: exit status ${code}` } });
      const timer = setTimeout(() => {
        worker.off('exit', onExit);
        void this.kill();
        done({ ok: false, error: { errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${d.timeoutSeconds.toFixed(2)} seconds` } });
      }, d.timeoutSeconds * 1000);
      worker.on('message', onMessage);
      worker.once('exit', onExit);
      worker.send({ id, event, context });
    });
  }

  private kill(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    if (!worker || worker.exitCode !== null || worker.signalCode !== null) return Promise.resolve();
    return new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.kill('SIGKILL');
    });
  }
}
