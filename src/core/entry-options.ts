import * as lambda_nodejs from 'aws-cdk-lib/aws-lambda-nodejs';

/** Options of `Handler.fromEntry` beyond the function options: how the entry is bundled. */
export interface EntryBundlingOptions {
  /**
   * Modules installed with the package manager into the asset's `node_modules` instead of being
   * bundled: native modules (`sharp`) and modules that load files at run time. They are installed
   * for Lambda's OS and the function's CPU (`linux` + `arm64`, or `x64` for `X86_64`, glibc), so
   * prebuilt binaries are the ones Lambda needs without Docker; npm lock files only (with a yarn,
   * pnpm or bun lock file they are installed for the machine that synthesizes, with a warning).
   * Each must be a dependency in the `package.json` found upwards from the entry, at the version
   * the lock file records.
   *
   * @default - none: everything the entry imports is bundled, except `externalModules`
   */
  readonly nodeModules?: string[];

  /**
   * Modules left out of the bundle because the Lambda runtime or a layer provides them.
   * Replaces the default list.
   *
   * @default - `@aws-sdk/*` (the Node.js runtime's AWS SDK v3; also `@smithy/*` when the
   * `@aws-cdk/aws-lambda-nodejs:sdkV3ExcludeSmithyPackages` feature flag is on), plus the packages of the Powertools
   * for AWS Lambda (TypeScript) layer (`@aws-lambda-powertools/logger`, `metrics`, `tracer`,
   * `batch`, `idempotency`, `parameters`, `parser`, `event-handler`, `jmespath`, `commons`) when
   * the function has that layer
   */
  readonly externalModules?: string[];

  /**
   * Minify the bundle (identifiers, whitespace, syntax).
   *
   * @default true
   */
  readonly minify?: boolean;

  /**
   * Write a source map next to the bundle (`index.js.map`); functions run with
   * `NODE_OPTIONS=--enable-source-maps`, so stack traces name the TypeScript lines.
   *
   * @default true
   */
  readonly sourceMap?: boolean;

  /**
   * The module format of the bundle: `OutputFormat.CJS` writes `index.js`, `OutputFormat.ESM`
   * writes `index.mjs` (top-level await; add a `banner` defining `require` if bundled CommonJS
   * code calls it).
   *
   * @default OutputFormat.CJS
   */
  readonly format?: lambda_nodejs.OutputFormat;

  /**
   * Identifiers replaced by constant expressions at bundle time (esbuild `--define`), e.g.
   * `{ 'process.env.STAGE': JSON.stringify('prod') }`. Values are JavaScript expressions.
   *
   * @default - none
   */
  readonly define?: { [identifier: string]: string };

  /**
   * esbuild loaders by file extension, e.g. `{ '.sql': 'text' }` to import files as strings.
   *
   * @default - esbuild's loaders (`.js`, `.ts`, `.json`, ...)
   */
  readonly loader?: { [extension: string]: string };

  /**
   * Text put at the top of the bundle (esbuild `--banner:js`).
   *
   * @default - none
   */
  readonly banner?: string;

  /**
   * The lock file whose versions `nodeModules` are installed at (`package-lock.json`,
   * `yarn.lock`, `pnpm-lock.yaml`, `bun.lock` or `bun.lockb`).
   *
   * @default - the nearest lock file found upwards from the entry's folder
   */
  readonly depsLockFilePath?: string;

  /**
   * The folder the bundling runs in (esbuild's working directory); the entry and the lock file
   * must be inside it.
   *
   * @default - the folder of the lock file
   */
  readonly projectRoot?: string;

  /**
   * The name of the function the entry exports as its Lambda handler
   * (`export const handler = ...` is `handler`).
   *
   * @default 'handler'
   */
  readonly exportName?: string;
}
