/**
 * Proves the packed `cdk-serverless-patterns-runtime` tarball works the way a user consumes it:
 * installed under node_modules, imported by name from a worker, bundled with esbuild (Powertools
 * and the AWS SDK external, as with the Powertools layer), and its declarations present.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildSync } from 'esbuild';

const root = path.join(__dirname, '..');
const tarball = fs.readdirSync(path.join(root, 'dist', 'js')).find((f) => f.startsWith('cdk-serverless-patterns-runtime-') && f.endsWith('.tgz'));
if (!tarball) throw new Error('dist/js has no cdk-serverless-patterns-runtime tarball; run npx projen package:runtime');

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'runtime-package-'));
const installed = path.join(work, 'node_modules', 'cdk-serverless-patterns-runtime');
fs.mkdirSync(installed, { recursive: true });
execFileSync('tar', ['-xzf', path.join(root, 'dist', 'js', tarball), '-C', installed, '--strip-components=1']);

const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
// Lockstep releases: the runtime package carries the construct package's version.
const rootVersion = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
if (manifest.version !== rootVersion) throw new Error(`the runtime package is ${manifest.version}, the construct package ${rootVersion}: they are released in lockstep`);
// Powertools (the layer) and the AWS SDK (the Lambda runtime) are optional peers, never bundled dependencies.
const hardDeps = Object.keys(manifest.dependencies ?? {}).filter((d) => d.startsWith('@aws-sdk/') || d.startsWith('@aws-lambda-powertools/') || d === 'pg');
if (hardDeps.length > 0) throw new Error(`the runtime package lists ${hardDeps.join(', ')} as dependencies; they must be optional peer dependencies`);
for (const peer of Object.keys(manifest.peerDependencies ?? {})) {
  if (!manifest.peerDependenciesMeta?.[peer]?.optional) throw new Error(`peer dependency ${peer} is not optional`);
}
if (!fs.existsSync(path.join(installed, 'README.md'))) throw new Error('the runtime package has no README.md');
for (const file of [manifest.main, manifest.types]) {
  if (!fs.existsSync(path.join(installed, file))) throw new Error(`the package lacks ${file}`);
}
const types = fs.readFileSync(path.join(installed, manifest.types), 'utf8');
if (!/jobWorker/.test(types)) throw new Error(`${manifest.types} does not declare jobWorker`);

function bundleWorker(importPath: string, name: string): string {
  const entry = path.join(work, `${name}.ts`);
  fs.writeFileSync(entry, [
    `import { jobWorker } from '${importPath}';`,
    'export const handler = jobWorker(async (job) => ({ echoed: job.payload }));',
  ].join('\n'));
  const outfile = path.join(work, 'out', name, 'index.js');
  buildSync({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    minify: true,
    external: ['@aws-sdk/*', '@aws-lambda-powertools/*'],
    // The user's node_modules: the installed package first, then its dependencies.
    nodePaths: [path.join(work, 'node_modules'), path.join(root, 'node_modules')],
    logLevel: 'error',
  });
  const code = fs.readFileSync(outfile, 'utf8');
  if (!code.includes('ApproximateReceiveCount')) throw new Error(`the worker bundled from ${importPath} does not contain jobWorker`);
  return outfile;
}
for (const file of manifest.exports ? Object.values<{ default: string; types: string }>(manifest.exports).flatMap((e) => [e.default, e.types]) : []) {
  if (!fs.existsSync(path.join(installed, file))) throw new Error(`the package lacks ${file}, named in its exports`);
}
const rootBundle = fs.readFileSync(bundleWorker('cdk-serverless-patterns-runtime', 'root'), 'utf8');
const outfile = bundleWorker('cdk-serverless-patterns-runtime/job-worker', 'subpath');
const bundle = fs.readFileSync(outfile, 'utf8');
if (bundle.length > 20 * 1024) throw new Error(`a worker importing only cdk-serverless-patterns-runtime/job-worker bundles to ${bundle.length} bytes; expected < 20 KiB`);

// The worker loads and exports a handler with its dependencies resolved from node_modules.
const loaded = execFileSync(process.execPath, ['-e', `process.env.NODE_PATH=${JSON.stringify(path.join(root, 'node_modules'))};require('module').Module._initPaths();console.log(typeof require(${JSON.stringify(outfile)}).handler)`]).toString().trim();
if (loaded !== 'function') throw new Error(`the bundled worker's handler is ${loaded}`);

console.log(`runtime package OK: ${tarball} (version ${manifest.version}), ${Object.keys(manifest.peerDependencies ?? {}).length} optional peers; a user's jobWorker bundle is `
  + `${(bundle.length / 1024).toFixed(1)} KiB from the subpath 'cdk-serverless-patterns-runtime/job-worker', ${(rootBundle.length / 1024).toFixed(1)} KiB `
  + 'from the package root (Powertools and AWS SDK external)');
fs.rmSync(work, { recursive: true, force: true });
