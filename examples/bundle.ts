import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { buildSync } from 'esbuild';

const OUT = path.join(__dirname, '..', 'cdk.out', '.example-handlers');

/**
 * Bundles an example handler (TypeScript) with esbuild, the way a user's build would, and returns
 * its code. The AWS SDK v3 is provided by the Lambda runtime and Powertools by its layer (which
 * ServerlessFunction adds), so both stay external.
 */
export function exampleHandlerCode(entry: string): lambda.Code {
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
    external: ['@aws-sdk/*', '@aws-lambda-powertools/*'],
    // Examples import the runtime helpers by their published package name, as users do.
    alias: { 'cdk-serverless-patterns-runtime': path.join(__dirname, '..', 'src', 'runtime') },
    logLevel: 'error',
  });
  return lambda.Code.fromAsset(outdir);
}
