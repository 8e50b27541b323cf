import * as fs from 'fs';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * The root of the bundled handlers. Both `src/core` (tests) and `lib/core` (the package) sit two
 * levels below the package root, where `assets/` is.
 */
const ASSETS_ROOT = path.join(__dirname, '..', '..', 'assets');

/**
 * Code of a handler this library ships, bundled at build time by projen from
 * `src/<pattern>/runtime/<name>.handler.ts` into `assets/<pattern>/runtime/<name>.handler/`.
 */
export function bundledHandlerCode(pattern: string, name: string): lambda.Code {
  const dir = path.join(ASSETS_ROOT, pattern, 'runtime', `${name}.handler`);
  if (!fs.existsSync(path.join(dir, 'index.js'))) {
    throw new Error(`cdk-serverless-patterns: the bundled handler ${pattern}/${name} is missing at ${dir}; run "npx projen bundle" (a packaging error if you installed from npm)`);
  }
  return lambda.Code.fromAsset(dir);
}
