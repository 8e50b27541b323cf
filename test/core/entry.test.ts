import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambda_nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as s3_assets from 'aws-cdk-lib/aws-s3-assets';
import { bundleEntry } from '../../src/core/entry';
import { EntryBundlingOptions } from '../../src/core/entry-options';

// Real bundling (aws-cdk-lib's local esbuild bundling, npm ci for nodeModules), no mocks. The
// sharp cases download sharp and its prebuilt libvips from the npm registry (empty cache in CI).
const FIXTURES = path.join(__dirname, 'fixtures');
const BASIC = path.join(FIXTURES, 'entry-basic', 'index.ts');
const THUMBNAILER = path.join(FIXTURES, 'thumbnailer', 'index.js');

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

interface Built {
  readonly handler: string;
  readonly assetDir: string;
  readonly app: App;
  readonly stack: Stack;
}

/** Bundles `entry` into a function of a new app, synthesizes it and returns the staged asset folder. */
function build(entry: string, options: {
  bundling?: EntryBundlingOptions;
  runtime?: lambda.Runtime;
  architecture?: lambda.Architecture;
  powertoolsLayer?: boolean;
} = {}): Built {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'entry-test-'));
  outdirs.push(outdir);
  const app = new App({ outdir });
  const stack = new Stack(app, 'Stack');
  const runtime = options.runtime ?? lambda.Runtime.NODEJS_24_X;
  const architecture = options.architecture ?? lambda.Architecture.ARM_64;
  const { code, handler } = bundleEntry(stack, entry, {
    runtime, architecture, powertoolsLayer: options.powertoolsLayer ?? true, bundling: options.bundling ?? {},
  });
  const fn = new lambda.Function(stack, 'Fn', { code, handler, runtime, architecture });
  const assembly = app.synth();
  const asset = fn.node.findChild('Code') as s3_assets.Asset;
  return { handler, assetDir: path.join(assembly.directory, asset.assetPath), app, stack };
}

/** Every package folder in an installed node_modules (scoped ones as `@scope/name`). */
function packagesIn(nodeModules: string): string[] {
  return fs.readdirSync(nodeModules).filter((name) => !name.startsWith('.')).flatMap((name) => name.startsWith('@')
    ? fs.readdirSync(path.join(nodeModules, name)).map((inner) => `${name}/${inner}`)
    : [name]).sort();
}

/** The ELF machine of the native addon (`lib/*.node`) in a package: 0xb7 is AArch64, 0x3e is x86-64. */
function addonMachine(pkgDir: string): number {
  const addons = fs.readdirSync(path.join(pkgDir, 'lib')).filter((name) => name.endsWith('.node'));
  expect(addons).toHaveLength(1);
  const header = fs.readFileSync(path.join(pkgDir, 'lib', addons[0])).subarray(0, 20);
  expect(header.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  return header.readUInt16LE(18);
}

describe('bundleEntry: a TypeScript entry', () => {
  test('bundles the entry and its local module into index.js; @aws-sdk/* and the layer\'s Powertools stay external', () => {
    const { handler, assetDir } = build(BASIC);

    expect(handler).toBe('index.handler');
    expect(fs.readdirSync(assetDir).sort()).toEqual(['index.js', 'index.js.map']);
    const bundle = fs.readFileSync(path.join(assetDir, 'index.js'), 'utf-8');
    expect(bundle).toContain('the entry-basic fixture greets'); // the local module, inlined
    expect(bundle).toMatch(/require\("@aws-sdk\/client-s3"\)/);
    expect(bundle).toMatch(/require\("@aws-lambda-powertools\/logger"\)/);
    expect(bundle).not.toContain('class S3Client');
    // minified by default: the bundle is a few lines, not the formatted source
    expect(bundle.split('\n').length).toBeLessThan(10);
  });

  test('without the Powertools layer, Powertools is bundled; @aws-sdk/* stays external', () => {
    const { assetDir } = build(BASIC, { powertoolsLayer: false, bundling: { minify: false, sourceMap: false } });

    expect(fs.readdirSync(assetDir)).toEqual(['index.js']);
    const bundle = fs.readFileSync(path.join(assetDir, 'index.js'), 'utf-8');
    expect(bundle).not.toMatch(/require\("@aws-lambda-powertools\/logger"\)/);
    expect(bundle).toContain('POWERTOOLS_SERVICE_NAME'); // Logger's own code
    expect(bundle).toMatch(/require\("@aws-sdk\/client-s3"\)/);
  });

  test('exportName, ESM format, define and externalModules', () => {
    const { handler, assetDir } = build(BASIC, {
      bundling: {
        exportName: 'main',
        format: lambda_nodejs.OutputFormat.ESM,
        define: { 'process.env.STAGE': JSON.stringify('prod') },
        externalModules: ['@aws-sdk/*', '@aws-lambda-powertools/*', './greeting'],
        sourceMap: false,
      },
    });

    expect(handler).toBe('index.main');
    expect(fs.readdirSync(assetDir)).toEqual(['index.mjs']);
    const bundle = fs.readFileSync(path.join(assetDir, 'index.mjs'), 'utf-8');
    expect(bundle).toMatch(/from\s*"\.\/greeting"/);
    expect(bundle).toMatch(/export\s*\{[^}]*\bmain\b/);
  });
});

describe('bundleEntry: nodeModules are installed for Lambda\'s OS and the function\'s CPU', () => {
  // npm ci of sharp (a registry download with an empty cache) inside aws-cdk-lib's bundling.
  const NPM_INSTALL_TIMEOUT = 240_000;

  test('ARM_64: sharp gets @img/sharp-linux-arm64 and the arm64 libvips, no x64 or other-OS binaries', () => {
    const started = Date.now();
    const { handler, assetDir } = build(THUMBNAILER, { architecture: lambda.Architecture.ARM_64, bundling: { nodeModules: ['sharp'] } });
    process.stderr.write(`entry.test: sharp bundled for arm64 in ${Date.now() - started} ms\n`);

    expect(handler).toBe('index.handler');
    const bundle = fs.readFileSync(path.join(assetDir, 'index.js'), 'utf-8');
    expect(bundle).toMatch(/require\("sharp"\)/);
    const installed = packagesIn(path.join(assetDir, 'node_modules'));
    expect(installed).toEqual(expect.arrayContaining(['sharp', '@img/sharp-linux-arm64', '@img/sharp-libvips-linux-arm64']));
    expect(installed.filter((name) => /x64|darwin|win32|musl|wasm|freebsd|-arm$|ppc64|s390x|riscv64/.test(name))).toEqual([]);
    expect(addonMachine(path.join(assetDir, 'node_modules', '@img', 'sharp-linux-arm64'))).toBe(0xb7);
  }, NPM_INSTALL_TIMEOUT);

  test('X86_64: sharp gets @img/sharp-linux-x64 and the x64 libvips, no arm64 binaries', () => {
    const started = Date.now();
    const { assetDir } = build(THUMBNAILER, { architecture: lambda.Architecture.X86_64, bundling: { nodeModules: ['sharp'] } });
    process.stderr.write(`entry.test: sharp bundled for x64 in ${Date.now() - started} ms\n`);

    const installed = packagesIn(path.join(assetDir, 'node_modules'));
    expect(installed).toEqual(expect.arrayContaining(['sharp', '@img/sharp-linux-x64', '@img/sharp-libvips-linux-x64']));
    expect(installed.filter((name) => /arm64|darwin|win32|musl|wasm|freebsd|-arm$|ppc64|s390x|riscv64/.test(name))).toEqual([]);
    expect(addonMachine(path.join(assetDir, 'node_modules', '@img', 'sharp-linux-x64'))).toBe(0x3e);
  }, NPM_INSTALL_TIMEOUT);
});

describe('bundleEntry: validation at synth', () => {
  function attempt(entry: string, options: { bundling?: EntryBundlingOptions; runtime?: lambda.Runtime } = {}): () => void {
    return () => bundleEntry(new Stack(new App(), 'Stack'), entry, {
      runtime: options.runtime ?? lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      powertoolsLayer: true,
      bundling: options.bundling ?? {},
    });
  }

  test('an entry that does not exist names entry', () => {
    expect(attempt(path.join(FIXTURES, 'entry-basic', 'missing.ts'))).toThrow(/Handler\.fromEntry: entry .*missing\.ts does not exist/);
  });

  test('a file that is not JavaScript or TypeScript names entry', () => {
    expect(attempt(path.join(FIXTURES, 'thumbnailer', 'package.json'))).toThrow(/Handler\.fromEntry: entry .*package\.json is not a JavaScript or TypeScript file/);
  });

  test('a runtime that is not Node.js names runtime', () => {
    expect(attempt(BASIC, { runtime: lambda.Runtime.PYTHON_3_13 })).toThrow(/Handler\.fromEntry: runtime python3\.13 is not a Node\.js runtime/);
  });

  test('an exportName that is not an identifier names exportName', () => {
    expect(attempt(BASIC, { bundling: { exportName: 'index.handler' } })).toThrow(/Handler\.fromEntry: exportName 'index\.handler' is not a JavaScript identifier/);
  });

  test('a depsLockFilePath that is not a lock file names depsLockFilePath', () => {
    expect(attempt(BASIC, { bundling: { depsLockFilePath: path.join(FIXTURES, 'entry-basic', 'missing-lock.json') } }))
      .toThrow(/Handler\.fromEntry: depsLockFilePath .*missing-lock\.json is not a file/);
    expect(attempt(BASIC, { bundling: { depsLockFilePath: path.join(FIXTURES, 'thumbnailer', 'package.json') } }))
      .toThrow(/Handler\.fromEntry: depsLockFilePath .*package\.json is not a lock file/);
  });

  test('an entry outside projectRoot names projectRoot', () => {
    expect(attempt(BASIC, { bundling: { projectRoot: path.join(FIXTURES, 'thumbnailer') } }))
      .toThrow(/Handler\.fromEntry: entry .*index\.ts is not inside projectRoot .*thumbnailer/);
  });

  test('nodeModules that the package.json does not name name nodeModules', () => {
    // the package.json upwards from the basic entry is the repository's, which has no sharp
    expect(attempt(BASIC, { bundling: { nodeModules: ['sharp', 'aws-cdk-lib'] } }))
      .toThrow(/Handler\.fromEntry: nodeModules sharp is not a dependency in .*package\.json: add it \(npm install sharp\)/);
  });
});

describe('bundleEntry: lock files', () => {
  test('nodeModules with a non-npm lock file warn that the host platform is installed', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'entry-yarn-'));
    outdirs.push(dir);
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'yarn-fixture', dependencies: { sharp: '0.35.5' } }));
    fs.writeFileSync(path.join(dir, 'yarn.lock'), '');
    fs.writeFileSync(path.join(dir, 'index.js'), 'exports.handler = async () => require("sharp").versions;\n');
    // An app that bundles no stack: the warning comes at construction, no yarn install runs.
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Stack');
    const { code, handler } = bundleEntry(stack, path.join(dir, 'index.js'), {
      runtime: lambda.Runtime.NODEJS_24_X, architecture: lambda.Architecture.ARM_64, powertoolsLayer: true, bundling: { nodeModules: ['sharp'] },
    });
    new lambda.Function(stack, 'Fn', { code, handler, runtime: lambda.Runtime.NODEJS_24_X, architecture: lambda.Architecture.ARM_64 });
    Annotations.fromStack(stack).hasWarning('/Stack', Match.stringLikeRegexp('nodeModules \\(sharp\\) are installed with the package manager of yarn\\.lock'));
  });

  test('several lock files next to each other name depsLockFilePath', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'entry-locks-'));
    outdirs.push(dir);
    fs.writeFileSync(path.join(dir, 'yarn.lock'), '');
    fs.writeFileSync(path.join(dir, 'package-lock.json'), '{}');
    fs.writeFileSync(path.join(dir, 'index.js'), 'exports.handler = async () => 1;\n');
    expect(() => bundleEntry(new Stack(new App(), 'Stack'), path.join(dir, 'index.js'), {
      runtime: lambda.Runtime.NODEJS_24_X, architecture: lambda.Architecture.ARM_64, powertoolsLayer: true, bundling: {},
    })).toThrow(/Handler\.fromEntry: several lock files next to each other .*set depsLockFilePath/);
  });
});
