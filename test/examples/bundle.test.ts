/**
 * What the example handlers require at run time: only what the Lambda Node.js runtime or the
 * Powertools layer provides. The database worker signs its IAM tokens with @aws-sdk/rds-signer,
 * which the runtime is not documented to provide, so it must be inside the bundle.
 */
import * as fs from 'fs';
import { builtinModules } from 'module';
import * as path from 'path';
import { bundleExampleHandler } from '../../examples/bundle';

const orderReport = path.join(__dirname, '..', '..', 'examples', 'database', 'handlers', 'order-report.ts');

/** Optional modules the bundled libraries require only on paths the worker does not take. */
const OPTIONAL = {
  'pg-native': 'pg loads it only when pg.native is read (libpq bindings)',
  '@aws-sdk/signature-v4-crt': 'loaded only for SigV4a (multi-region) signing; RDS tokens use SigV4',
};

function requiredModules(code: string): string[] {
  return [...new Set([...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]))].sort();
}

describe('example handler bundles', () => {
  let code: string;
  beforeAll(() => {
    code = fs.readFileSync(path.join(bundleExampleHandler(orderReport), 'index.js'), 'utf8');
  }, 60_000);

  test('the database worker bundle contains the rds-signer code instead of requiring @aws-sdk/rds-signer', () => {
    expect(code).not.toMatch(/require\("@aws-sdk\/rds-signer"\)/);
    // The signer's own code: its service name and the token's Action=connect query.
    expect(code).toContain('"rds-db"');
    expect(code).toMatch(/Action:"connect"/);
  });

  test('the database worker requires only Node built-ins, AWS SDK service clients and Powertools at run time', () => {
    const builtin = (m: string) => builtinModules.includes(m.replace(/^node:/, ''));
    const outside = requiredModules(code).filter((m) => !builtin(m) && !/^@aws-sdk\/client-/.test(m) && !/^@aws-lambda-powertools\//.test(m));
    expect(outside).toEqual(Object.keys(OPTIONAL).sort());
  });
});
