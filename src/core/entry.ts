import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Annotations, DockerImage, FeatureFlags, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambda_nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { IConstruct } from 'constructs';
import { EntryBundlingOptions } from './entry-options';
import { PatternValidationError } from './errors';


/**
 * The packages of the Powertools for AWS Lambda (TypeScript) layer (`/opt/nodejs/node_modules`),
 * left out of the bundle when the function has the layer. Source: the layer's publisher,
 * aws-powertools/powertools-lambda-typescript layers/src/layer-publisher-stack.ts (`utilities`),
 * from the layer versions that no longer ship AWS SDK clients (after 49) on. Other Powertools
 * packages (validation, kafka) are not in the layer and are bundled.
 */
export const POWERTOOLS_LAYER_PACKAGES: readonly string[] = [
  'batch', 'commons', 'event-handler', 'idempotency', 'jmespath', 'logger', 'metrics', 'parameters', 'parser', 'tracer',
].map((name) => `@aws-lambda-powertools/${name}`);

/** What `bundleEntry` needs besides the entry. */
export interface BundleEntryOptions {
  readonly runtime: lambda.Runtime;
  readonly architecture: lambda.Architecture;
  /** Whether the function gets the Powertools layer (its packages are then external). */
  readonly powertoolsLayer: boolean;
  readonly bundling: EntryBundlingOptions;
}

const ENTRY_EXTENSION = /\.(jsx?|tsx?|cjs|cts|mjs|mts)$/;
const EXPORT_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** aws-cdk-lib's order (aws-lambda-nodejs/lib/function.js `findLockFile`). */
const LOCK_FILES = ['pnpm-lock.yaml', 'yarn.lock', 'bun.lock', 'bun.lockb', 'package-lock.json'];
/** Lambda runs Amazon Linux (glibc); `Architecture.name` → npm's `cpu`. */
const NPM_CPU: Readonly<Record<string, string>> = { arm64: 'arm64', x86_64: 'x64' };

/**
 * Internal (not exported from index): the code of `Handler.fromEntry`, bundled at synth by
 * aws-cdk-lib's `aws-lambda-nodejs` bundling (esbuild, local; `nodeModules` installed for the
 * function's OS and CPU), and its handler string (`index.<exportName>`).
 */
export function bundleEntry(scope: IConstruct, entry: string, opts: BundleEntryOptions): { code: lambda.Code; handler: string } {
  const { runtime, architecture, bundling } = opts;
  const fail = (message: string): never => {
    throw new PatternValidationError(scope, `Handler.fromEntry: ${message}`);
  };

  if (runtime.family !== lambda.RuntimeFamily.NODEJS) {
    fail(`runtime ${runtime.name} is not a Node.js runtime; an entry is bundled with esbuild for Node.js (use Handler.fromAsset or Handler.fromCode for other runtimes)`);
  }
  const cpu = NPM_CPU[architecture.name] ?? fail(`architecture ${architecture.name} is not supported; use lambda.Architecture.ARM_64 or lambda.Architecture.X86_64`);

  const entryPath = path.resolve(entry);
  if (!fs.existsSync(entryPath)) fail(`entry ${entry} does not exist (resolved to ${entryPath})`);
  if (!fs.statSync(entryPath).isFile()) fail(`entry ${entry} is not a file`);
  if (!ENTRY_EXTENSION.test(entryPath)) fail(`entry ${entry} is not a JavaScript or TypeScript file (.js, .mjs, .cjs, .jsx, .ts, .mts, .cts, .tsx)`);

  const exportName = bundling.exportName ?? 'handler';
  if (!EXPORT_NAME.test(exportName)) fail(`exportName '${exportName}' is not a JavaScript identifier: give the name of the exported function (the file is the bundle's index)`);

  const depsLockFilePath = findLockFile(entryPath, bundling.depsLockFilePath, fail);
  const projectRoot = path.resolve(bundling.projectRoot ?? path.dirname(depsLockFilePath));
  if (bundling.projectRoot !== undefined && !(fs.existsSync(projectRoot) && fs.statSync(projectRoot).isDirectory())) {
    fail(`projectRoot ${bundling.projectRoot} is not a folder`);
  }
  for (const [prop, file] of [['entry', entryPath], ['depsLockFilePath', depsLockFilePath]]) {
    if (!isInside(projectRoot, file)) fail(`${prop} ${file} is not inside projectRoot ${projectRoot}`);
  }

  const nodeModules = bundling.nodeModules ?? [];
  if (nodeModules.length > 0) {
    checkNodeModules(entryPath, nodeModules, fail);
    if (path.basename(depsLockFilePath) !== 'package-lock.json') {
      Annotations.of(scope).addWarningV2('cdk-serverless-patterns:entryNodeModulesHostPlatform',
        `Handler.fromEntry: nodeModules (${nodeModules.join(', ')}) are installed with the package manager of ${path.basename(depsLockFilePath)}, `
        + `which is not told Lambda's OS and CPU (linux, ${cpu}): native modules get the binaries of the machine that synthesizes. Use a package-lock.json to install them for Lambda.`);
    }
  }

  const format = bundling.format ?? lambda_nodejs.OutputFormat.CJS;
  const { Bundling, esbuildFound } = nodejsBundling(scope);
  if (!esbuildFound && Stack.of(scope).bundlingRequired) {
    fail('esbuild is needed to bundle an entry at synth and was not found: add it to your project (npm install --save-dev esbuild@0) or install it on PATH (npm install --global esbuild@0); Docker is not used');
  }

  const code = Bundling.bundle(scope, {
    entry: entryPath,
    runtime,
    architecture,
    depsLockFilePath,
    projectRoot,
    format,
    minify: bundling.minify ?? true,
    sourceMap: bundling.sourceMap ?? true,
    externalModules: bundling.externalModules ?? defaultExternalModules(scope, opts.powertoolsLayer),
    nodeModules: nodeModules.length > 0 ? nodeModules : undefined,
    define: bundling.define,
    loader: bundling.loader,
    banner: bundling.banner,
    // aws-cdk-lib passes `environment` to every local bundling step (bundling.js
    // `executeBundlingSteps`: `{ ...process.env, ...environment }`), so the `npm ci` that installs
    // `nodeModules` in the asset selects the optional platform packages (sharp's
    // `@img/sharp-linux-arm64`, ...) for Lambda, not for the machine that synthesizes. npm reads
    // them as its `os`, `cpu` and `libc` config (npm >= 10; Node.js 22 ships npm 10.9).
    environment: { npm_config_os: 'linux', npm_config_cpu: cpu, npm_config_libc: 'glibc' },
    // Without esbuild aws-cdk-lib builds a Docker image in its constructor even when the stack is
    // not bundled (`cdk deploy OtherStack`); a named image skips that build. It is never run: a
    // stack that is bundled has esbuild (checked above), and local bundling runs first.
    dockerImage: esbuildFound ? undefined : DockerImage.fromRegistry('cdk-serverless-patterns-entry-needs-esbuild'),
  });
  return { code, handler: `index.${exportName}` };
}

/**
 * The default externals: the runtime's SDK (as aws-cdk-lib's default, whose feature flag adds
 * `@smithy/*`) and, with the layer, the Powertools packages it provides. Giving
 * `externalModules` to aws-cdk-lib replaces its default, hence computed here.
 */
function defaultExternalModules(scope: IConstruct, powertoolsLayer: boolean): string[] {
  const sdk = FeatureFlags.of(scope).isEnabled(cxapi.LAMBDA_NODEJS_SDK_V3_EXCLUDE_SMITHY_PACKAGES) ? ['@aws-sdk/*', '@smithy/*'] : ['@aws-sdk/*'];
  return [...sdk, ...(powertoolsLayer ? POWERTOOLS_LAYER_PACKAGES : [])];
}

function findLockFile(entryPath: string, given: string | undefined, fail: (message: string) => never): string {
  if (given !== undefined) {
    const resolved = path.resolve(given);
    if (!fs.existsSync(resolved) || !fs.statSync(resolved).isFile()) fail(`depsLockFilePath ${given} is not a file`);
    if (!LOCK_FILES.includes(path.basename(resolved))) fail(`depsLockFilePath ${given} is not a lock file (${LOCK_FILES.join(', ')})`);
    return resolved;
  }
  // Upwards from the entry (aws-cdk-lib's NodejsFunction searches upwards from the working
  // directory), so an entry in its own package finds that package's lock file.
  for (let dir = path.dirname(entryPath); ; dir = path.dirname(dir)) {
    const found = LOCK_FILES.map((name) => path.join(dir, name)).filter((file) => fs.existsSync(file));
    if (found.length > 1) fail(`several lock files next to each other (${found.join(', ')}): set depsLockFilePath to the one to use`);
    if (found.length === 1) return found[0];
    if (path.dirname(dir) === dir) break;
  }
  return fail(`no lock file (${LOCK_FILES.join(', ')}) found upwards from the entry ${entryPath}: set depsLockFilePath`);
}

/**
 * aws-cdk-lib reads each module's version from the `package.json` found upwards from the entry
 * and installs it with the lock file; fail here, naming the prop, rather than in the install.
 */
function checkNodeModules(entryPath: string, nodeModules: string[], fail: (message: string) => never): void {
  let pkgPath: string | undefined;
  for (let dir = path.dirname(entryPath); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) {
      pkgPath = path.join(dir, 'package.json');
      break;
    }
    if (path.dirname(dir) === dir) break;
  }
  if (!pkgPath) return fail(`nodeModules needs a package.json upwards from the entry ${entryPath} that names them as dependencies`);
  const pkg = JSON.parse(fs.readFileSync(pkgPath, 'utf-8'));
  const declared = { ...pkg.devDependencies, ...pkg.peerDependencies, ...pkg.dependencies };
  const missing = nodeModules.filter((name) => typeof declared[name] !== 'string');
  if (missing.length > 0) fail(`nodeModules ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not a dependency in ${pkgPath}: add ${missing.length === 1 ? 'it' : 'them'} (npm install ${missing.join(' ')})`);
}

function isInside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** The props of aws-cdk-lib's `Bundling.bundle` (aws-lambda-nodejs/lib/bundling.d.ts `BundlingProps`). */
interface NodejsBundlingProps extends lambda_nodejs.BundlingOptions {
  readonly entry: string;
  readonly runtime: lambda.Runtime;
  readonly architecture: lambda.Architecture;
  readonly depsLockFilePath: string;
  readonly projectRoot: string;
}

interface NodejsBundlingClass {
  bundle(scope: IConstruct, props: NodejsBundlingProps): lambda.AssetCode;
}

let loaded: { Bundling: NodejsBundlingClass; esbuildFound: boolean } | undefined;

/**
 * aws-cdk-lib's esbuild bundling without a `NodejsFunction`. The `Bundling` class that
 * `NodejsFunction` calls (`Bundling.bundle(scope, { ...bundling, entry, runtime, architecture,
 * depsLockFilePath, projectRoot })`, aws-lambda-nodejs/lib/function.js) is not exported from
 * `aws-cdk-lib/aws-lambda-nodejs` (aws/aws-cdk#19632, closed as won't fix) and the package's
 * `exports` map blocks the deep import, so it is loaded by file path from the aws-cdk-lib that
 * this library imports. The alternative, re-implementing its esbuild arguments, externals and
 * `nodeModules` install, would drift from what NodejsFunction users get. A release that moves it
 * fails here with the version named; the newest-aws-cdk-lib CI job runs the bundling tests.
 *
 * esbuild is found the way aws-cdk-lib finds it (package-installation.js `detect`: the `esbuild`
 * package resolvable from aws-cdk-lib, else an `esbuild` on PATH). It is not a dependency of this
 * library: jsii accepts only jsii packages as (peer) dependencies, and a regular dependency would
 * install esbuild for every user, not only those who bundle an entry.
 */
function nodejsBundling(scope: IConstruct): { Bundling: NodejsBundlingClass; esbuildFound: boolean } {
  if (loaded) return loaded;
  const nodejsDir = path.dirname(require.resolve('aws-cdk-lib/aws-lambda-nodejs'));
  const file = path.join(nodejsDir, 'lib', 'bundling.js');
  let Bundling: NodejsBundlingClass | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    Bundling = require(file).Bundling;
  } catch {
    Bundling = undefined;
  }
  if (typeof Bundling?.bundle !== 'function') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const version: string = require(path.join(nodejsDir, '..', 'package.json')).version;
    throw new PatternValidationError(scope, `Handler.fromEntry: aws-cdk-lib ${version} has no Bundling.bundle at ${file}, which this library uses to bundle an entry; please report it (meanwhile bundle it yourself and use Handler.fromAsset)`);
  }
  loaded = { Bundling, esbuildFound: esbuildIsInstalled(nodejsDir) };
  return loaded;
}

function esbuildIsInstalled(fromDir: string): boolean {
  try {
    require.resolve('esbuild/package.json', { paths: [fromDir] });
    return true;
  } catch {
    const proc = spawnSync('esbuild', ['--version']);
    return proc.status === 0 && !proc.error;
  }
}
