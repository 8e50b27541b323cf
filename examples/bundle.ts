import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { buildSync } from 'esbuild';

const OUT = path.join(__dirname, '..', 'cdk.out', '.example-handlers');

/**
 * Modules left out of the bundle: the Lambda Node.js runtime provides the AWS SDK v3 service
 * clients (`@aws-sdk/client-*`) and the Powertools layer (which ServerlessFunction adds) provides
 * Powertools. Every other `@aws-sdk/*` library is bundled: the runtime is not documented to ship
 * them (`@aws-sdk/rds-signer`, which the database helper needs, is one), and a bundled copy fixes
 * their version.
 */
export const EXAMPLE_EXTERNALS = ['@aws-sdk/client-*', '@aws-lambda-powertools/*'];

/** Bundles an example handler (TypeScript) with esbuild, the way a user's build would, and returns its code. */
export function exampleHandlerCode(entry: string): lambda.Code {
  return lambda.Code.fromAsset(bundleExampleHandler(entry));
}

/** Bundles an example handler into cdk.out/.example-handlers and returns the folder holding its index.js. */
export function bundleExampleHandler(entry: string): string {
  const name = path.relative(__dirname, entry).replace(/\.ts$/, '').replace(/[\\/]/g, '-');
  const outdir = path.join(OUT, name);
  buildSync({
    entryPoints: [entry],
    outfile: path.join(outdir, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    external: EXAMPLE_EXTERNALS,
    // Examples import the runtime helpers by their published package name, as users do.
    alias: { 'cdk-serverless-patterns-runtime': path.join(__dirname, '..', 'src', 'runtime') },
    logLevel: 'error',
  });
  return outdir;
}
