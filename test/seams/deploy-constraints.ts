/**
 * Deploy-time constraints that a template can break while it synthesizes and passes cdk-nag:
 * missing context, placeholder values, physical names that collide (per account and region, or
 * account-wide for the global ones), names and descriptions over CloudFormation/service limits,
 * a Powertools layer version that does not exist in the stack's region, and modules a bundled
 * handler requires at run time that neither the bundle nor the Lambda runtime provides.
 *
 * Each check returns violations as sentences that name the stack, the resource and the fix.
 */
import * as fs from 'fs';
import { builtinModules } from 'module';
import * as path from 'path';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { buildSync } from 'esbuild';
import { labelOf, ModelResource, SeamModel } from './model';
import { DEFAULTS } from '../../src/core/defaults';
import {
  POWERTOOLS_LAYER_ACCOUNTS, POWERTOOLS_LAYER_NEWEST_VERSION,
  POWERTOOLS_PYTHON_LAYER, POWERTOOLS_PYTHON_LAYER_NEWEST_VERSION, POWERTOOLS_PYTHON_LAYER_RUNTIMES,
} from '../../src/core/powertools-layers';

/** Where a physical name must be unique. */
type NameScope = 'region' | 'account' | 'global';

interface NameRule {
  /** Path of the name in the properties (`DistributionConfig.Name`). */
  readonly prop: string;
  readonly scope?: NameScope;
  /** CloudFormation / service maximum length. */
  readonly max: number;
  /** A property of the same resource that qualifies the name (a rule's bus, a schedule's group). */
  readonly within?: string;
}

/**
 * Names and descriptions with their limits (CloudFormation resource specification and the
 * services' API references). `scope` marks physical names and where they must be unique: IAM and
 * CloudFront names are account-wide (one account, every region), S3 bucket names are global.
 */
export const NAME_RULES: Record<string, NameRule[]> = {
  'AWS::Lambda::Function': [{ prop: 'FunctionName', scope: 'region', max: 64 }, { prop: 'Description', max: 256 }],
  'AWS::Lambda::LayerVersion': [{ prop: 'LayerName', max: 140 }, { prop: 'Description', max: 256 }],
  'AWS::IAM::Role': [{ prop: 'RoleName', scope: 'account', max: 64 }, { prop: 'Description', max: 1000 }, { prop: 'Path', max: 512 }],
  'AWS::IAM::ManagedPolicy': [{ prop: 'ManagedPolicyName', scope: 'account', max: 128 }, { prop: 'Description', max: 1000 }],
  'AWS::IAM::Policy': [{ prop: 'PolicyName', max: 128 }],
  'AWS::SQS::Queue': [{ prop: 'QueueName', scope: 'region', max: 80 }],
  'AWS::SNS::Topic': [{ prop: 'TopicName', scope: 'region', max: 256 }, { prop: 'DisplayName', max: 100 }],
  'AWS::CloudWatch::Alarm': [{ prop: 'AlarmName', scope: 'region', max: 255 }, { prop: 'AlarmDescription', max: 1024 }],
  'AWS::Logs::LogGroup': [{ prop: 'LogGroupName', scope: 'region', max: 512 }],
  'AWS::DynamoDB::Table': [{ prop: 'TableName', scope: 'region', max: 255 }],
  'AWS::StepFunctions::StateMachine': [{ prop: 'StateMachineName', scope: 'region', max: 80 }],
  'AWS::Events::EventBus': [{ prop: 'Name', scope: 'region', max: 256 }, { prop: 'Description', max: 512 }],
  'AWS::Events::Rule': [{ prop: 'Name', scope: 'region', max: 64, within: 'EventBusName' }, { prop: 'Description', max: 512 }],
  'AWS::Scheduler::ScheduleGroup': [{ prop: 'Name', scope: 'region', max: 64 }],
  'AWS::Scheduler::Schedule': [{ prop: 'Name', scope: 'region', max: 64, within: 'GroupName' }, { prop: 'Description', max: 512 }],
  'AWS::RDS::DBProxy': [{ prop: 'DBProxyName', scope: 'region', max: 60 }],
  'AWS::RDS::DBCluster': [{ prop: 'DBClusterIdentifier', scope: 'region', max: 63 }],
  'AWS::SecretsManager::Secret': [{ prop: 'Name', scope: 'region', max: 512 }, { prop: 'Description', max: 2048 }],
  'AWS::KMS::Alias': [{ prop: 'AliasName', scope: 'region', max: 256 }],
  'AWS::KMS::Key': [{ prop: 'Description', max: 8192 }],
  'AWS::ApiGatewayV2::Api': [{ prop: 'Name', max: 128 }, { prop: 'Description', max: 1024 }],
  'AWS::EC2::SecurityGroup': [{ prop: 'GroupDescription', max: 255 }],
  'AWS::CloudFront::Distribution': [{ prop: 'DistributionConfig.Comment', max: 128 }],
  'AWS::CloudFront::ResponseHeadersPolicy': [{ prop: 'ResponseHeadersPolicyConfig.Name', scope: 'account', max: 128 }],
  'AWS::CloudFront::CachePolicy': [{ prop: 'CachePolicyConfig.Name', scope: 'account', max: 128 }],
  'AWS::CloudFront::OriginRequestPolicy': [{ prop: 'OriginRequestPolicyConfig.Name', scope: 'account', max: 128 }],
  'AWS::CloudFront::OriginAccessControl': [{ prop: 'OriginAccessControlConfig.Name', scope: 'account', max: 64 }],
  'AWS::CloudFront::KeyGroup': [{ prop: 'KeyGroupConfig.Name', scope: 'account', max: 128 }],
  'AWS::CloudFront::PublicKey': [{ prop: 'PublicKeyConfig.Name', scope: 'account', max: 128 }],
  'AWS::CloudFront::Function': [{ prop: 'Name', scope: 'account', max: 64 }],
  'AWS::S3::Bucket': [{ prop: 'BucketName', scope: 'global', max: 63 }],
};

/** Lambda's limit on the environment variables of a function (keys and values, in bytes). */
export const LAMBDA_ENVIRONMENT_MAX_BYTES = 4096;

/**
 * The newest Powertools layer version published in each region: the library's own tables
 * (src/core/powertools-layers.ts, with their sources), which the constructs check at synth. Here
 * every synthesized layer ARN is checked against them, whatever chose the version (a default, a
 * user's `powertoolsLayerVersion`, an ARN added by hand).
 */
export const POWERTOOLS_LAYER_PUBLISHED: Readonly<Record<string, number>> = POWERTOOLS_LAYER_NEWEST_VERSION;
export const POWERTOOLS_PYTHON_LAYER_PUBLISHED: Readonly<Record<string, number>> = POWERTOOLS_PYTHON_LAYER_NEWEST_VERSION;
/** TypeScript layer versions up to this one bundle AWS SDK v3 clients that shadow the runtime's SDK (the library's default, same source). */
export const POWERTOOLS_LAST_LAYER_WITH_SDK = DEFAULTS.powertoolsLastLayerVersionWithSdk;

/**
 * Packages the Node.js Lambda runtimes (18 and later, Node.js 24 included) provide besides Node's
 * built-ins: the AWS SDK for JavaScript v3 service clients (`@aws-sdk/client-*`) and these
 * libraries. Utility packages that are not clients are not part of it, notably
 * `@aws-sdk/rds-signer` and `@aws-sdk/cloudfront-signer`: a handler must bundle them. The
 * runtime's SDK version is not pinned (Lambda updates it), which is why the SDK is the only
 * thing this library leaves external.
 */
export const RUNTIME_PROVIDED_PACKAGES = [
  /^@aws-sdk\/client-[a-z0-9-]+$/,
  /^@aws-sdk\/(lib-dynamodb|util-dynamodb|lib-storage|credential-providers)$/,
];
/** Packages known NOT to be in the runtime (named so the message can say so). */
export const NOT_IN_RUNTIME = ['@aws-sdk/rds-signer', '@aws-sdk/cloudfront-signer', '@aws-sdk/s3-request-presigner'];

/**
 * Requires that only run on a path the handler never takes, with the reason. `pg` loads
 * `pg-native` only when `pg.native` is read, inside a try/catch.
 */
export const OPTIONAL_REQUIRES: Record<string, string> = {
  'pg-native': 'required by pg only when pg.native is used (lazily, in a try/catch)',
};

export interface DeployConstraintOptions {
  /** The assembly's manifest `missing` entries (context lookups that never ran). */
  readonly missingContext?: { key: string; provider: string }[];
}

/** Every violation of every check, over the stacks of a model. */
export function checkDeployConstraints(model: SeamModel, options: DeployConstraintOptions = {}): string[] {
  return [
    ...missingContext(options.missingContext ?? []),
    ...placeholders(model),
    ...physicalNames(model),
    ...lengths(model),
    ...powertoolsLayers(model),
    ...runtimeModules(model),
  ];
}

/** The checks over a synthesized cloud assembly. */
export function checkAssembly(assembly: CloudAssembly): string[] {
  return checkDeployConstraints(SeamModel.fromAssembly(assembly), { missingContext: assembly.manifest.missing ?? [] });
}

export function missingContext(missing: { key: string; provider: string }[]): string[] {
  return missing.map((m) => `missing context: ${m.provider} lookup ${m.key} never ran (synthesize with credentials, or state the value instead of looking it up)`);
}

/** aws-cdk-lib's stand-ins for lookups that did not run: `dummy1a` zones, `vpc-12345`, `dummy-value-for-...`. */
const PLACEHOLDER = /(\bdummy|^vpc-12345$|^ami-1234$|^subnet-1234)/i;

export function placeholders(model: SeamModel): string[] {
  const out: string[] = [];
  for (const s of model.stacks) {
    walkStrings(s.template.Resources ?? {}, [], (value, where) => {
      if (PLACEHOLDER.test(value)) out.push(`placeholder: ${s.name}/${where.join('.')} is '${value}', a value aws-cdk-lib puts in place of a lookup that never ran`);
    });
  }
  return out;
}

/**
 * Explicit physical names: unique where the service requires; account-wide and global names
 * include the region (the same stack in a second region must not collide); names unique per
 * account and region are derived from the stack (its name or a path hash), so a second instance
 * of the construct does not collide either.
 */
export function physicalNames(model: SeamModel): string[] {
  const out: string[] = [];
  const seen = new Map<string, string>();
  for (const r of model.resources()) {
    const s = model.stack(r.stack);
    for (const rule of NAME_RULES[r.type] ?? []) {
      if (!rule.scope) continue;
      const name = valueAt(model, r, rule.prop);
      if (typeof name !== 'string') continue;
      const within = rule.within ? String(model.prop(r, rule.within) ?? 'default') : '';
      const where = rule.scope === 'global' ? 'global' : rule.scope === 'account' ? s.account : `${s.account}/${s.region}`;
      const key = `${r.type}|${where}|${within}|${name}`;
      const first = seen.get(key);
      if (first) out.push(`name collision: ${labelOf(r)} and ${first} both name their ${r.type} '${name}' in ${where}`);
      else seen.set(key, labelOf(r));
      if ((rule.scope === 'account' || rule.scope === 'global') && !name.includes(s.region)) {
        out.push(`account-wide name without region: ${labelOf(r)} ${rule.prop} '${name}' is unique per account, not per region: `
          + 'the same stack deployed in a second region fails with 409 AlreadyExists; include the region or let CloudFormation generate it');
      }
      if (rule.scope === 'region' && !derivedFromStack(name, r.stack)) {
        out.push(`fixed name: ${labelOf(r)} ${rule.prop} '${name}' does not depend on the stack or construct: `
          + 'a second instance in the same account and region fails; derive it from the construct\'s unique id or let CloudFormation generate it');
      }
    }
  }
  return out;
}

/** Names and descriptions within their limits; a function's environment within 4 KB. */
export function lengths(model: SeamModel): string[] {
  const out: string[] = [];
  for (const r of model.resources()) {
    for (const rule of NAME_RULES[r.type] ?? []) {
      const value = valueAt(model, r, rule.prop);
      if (typeof value === 'string' && value.length > rule.max) {
        out.push(`too long: ${labelOf(r)} ${rule.prop} has ${value.length} characters, the limit is ${rule.max}: '${value.slice(0, 60)}…'`);
      }
    }
    if (r.type === 'AWS::Lambda::Function') {
      const env: Record<string, string> = model.prop(r, 'Environment')?.Variables ?? {};
      const bytes = Object.entries(env).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(String(v)), 0);
      if (bytes > LAMBDA_ENVIRONMENT_MAX_BYTES) out.push(`too long: ${labelOf(r)} environment variables take ${bytes} bytes, Lambda allows ${LAMBDA_ENVIRONMENT_MAX_BYTES}`);
    }
  }
  return out;
}

/**
 * Each Powertools layer ARN names the stack's region, the account that publishes it there and a
 * version published there: for the TypeScript layer one without SDK clients, for the Python layer
 * one of the function's own Python version and architecture.
 */
export function powertoolsLayers(model: SeamModel): string[] {
  const out: string[] = [];
  for (const fn of model.resources('AWS::Lambda::Function')) {
    const region = model.stack(fn.stack).region;
    for (const arn of model.prop(fn, 'Layers') ?? []) {
      const ts = /^arn:([^:]+):lambda:([^:]+):(\d+):layer:AWSLambdaPowertoolsTypeScriptV2:(\d+)$/.exec(String(arn));
      if (ts) {
        const [, , layerRegion, account, versionText] = ts;
        const version = Number(versionText);
        const expectedAccount = POWERTOOLS_LAYER_ACCOUNTS[layerRegion] ?? DEFAULTS.powertoolsLayerAccount;
        const published = POWERTOOLS_LAYER_PUBLISHED[layerRegion];
        if (layerRegion !== region) out.push(`layer: ${labelOf(fn)} uses the Powertools layer of ${layerRegion} in a stack of ${region}: a layer must be in the function's region`);
        if (account !== expectedAccount) out.push(`layer: ${labelOf(fn)} uses the Powertools layer from account ${account}; ${layerRegion} publishes it from ${expectedAccount}`);
        if (published === undefined) out.push(`layer: ${labelOf(fn)}: the Powertools layer is not published in ${layerRegion} (${arn})`);
        else if (version > published) out.push(`layer: ${labelOf(fn)}: Powertools layer version ${version} does not exist in ${layerRegion}, whose newest is ${published}`);
        if (version <= POWERTOOLS_LAST_LAYER_WITH_SDK) {
          out.push(`layer: ${labelOf(fn)}: Powertools layer version ${version} bundles AWS SDK clients that shadow the runtime's SDK (versions up to ${POWERTOOLS_LAST_LAYER_WITH_SDK})`);
        }
        continue;
      }
      const py = new RegExp(`^arn:([^:]+):lambda:([^:]+):(\\d+):layer:(${POWERTOOLS_PYTHON_LAYER.namePrefix}-python3(\\d+)-(x86_64|arm64)):(\\d+)$`).exec(String(arn));
      if (py) out.push(...pythonLayer(model, fn, region, py));
    }
  }
  return out;
}

/** A Python layer: region, account, version in that region, and the function's own Python version and architecture. */
function pythonLayer(model: SeamModel, fn: ModelResource, region: string, match: RegExpExecArray): string[] {
  const out: string[] = [];
  const [arn, , layerRegion, account, name, minor, arch, versionText] = match;
  const version = Number(versionText);
  const python = `python3.${minor}`;
  const runtime = String(model.prop(fn, 'Runtime') ?? '');
  const architecture = String((model.prop(fn, 'Architectures') ?? ['x86_64'])[0]);
  const expectedAccount = POWERTOOLS_LAYER_ACCOUNTS[layerRegion] ?? POWERTOOLS_PYTHON_LAYER.account;
  const inRegion = POWERTOOLS_PYTHON_LAYER_PUBLISHED[layerRegion];
  const forRuntime = POWERTOOLS_PYTHON_LAYER_RUNTIMES[python];
  if (layerRegion !== region) out.push(`layer: ${labelOf(fn)} uses the Powertools layer ${name} of ${layerRegion} in a stack of ${region}: a layer must be in the function's region`);
  if (account !== expectedAccount) out.push(`layer: ${labelOf(fn)} uses the Powertools layer ${name} from account ${account}; ${layerRegion} publishes it from ${expectedAccount}`);
  if (runtime !== python) out.push(`layer: ${labelOf(fn)} runs ${runtime || 'no managed runtime'} with the Powertools layer ${name}, built for ${python}`);
  if (architecture !== arch) out.push(`layer: ${labelOf(fn)} runs on ${architecture} with the Powertools layer ${name}, built for ${arch}`);
  if (!forRuntime) {
    out.push(`layer: ${labelOf(fn)}: the Powertools layer ${name} is not published (the layer exists for ${Object.keys(POWERTOOLS_PYTHON_LAYER_RUNTIMES).join(', ')})`);
  } else if (inRegion === undefined) {
    out.push(`layer: ${labelOf(fn)}: the Powertools layer ${name} is not published in ${layerRegion} (${arn})`);
  } else {
    const newest = Math.min(inRegion, forRuntime.last ?? Infinity);
    if (version > newest) out.push(`layer: ${labelOf(fn)}: Powertools layer ${name} version ${version} does not exist in ${layerRegion}, whose newest is ${newest}`);
    if (forRuntime.first !== undefined && version < forRuntime.first) {
      out.push(`layer: ${labelOf(fn)}: Powertools layer ${name} versions before ${forRuntime.first} are private placeholders, not ${version}`);
    }
  }
  return out;
}

/** Every module a bundled Node.js handler requires is a built-in, in the bundle, or provided by the runtime or a layer. */
export function runtimeModules(model: SeamModel): string[] {
  const out: string[] = [];
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  for (const fn of model.resources('AWS::Lambda::Function')) {
    const runtime = String(model.prop(fn, 'Runtime') ?? '');
    if (!runtime.startsWith('nodejs')) continue;
    const dir = model.codeDirectory(fn);
    if (!dir) continue;
    const layers: string[] = (model.prop(fn, 'Layers') ?? []).map(String);
    const powertools = layers.some((l) => l.includes(':layer:AWSLambdaPowertoolsTypeScriptV2:'));
    for (const file of jsFiles(dir)) {
      for (const spec of requiredModules(fs.readFileSync(file, 'utf8'), path.dirname(file))) {
        if (spec.startsWith('.') || spec.startsWith('/')) continue;
        const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (builtins.has(spec) || builtins.has(pkg)) continue;
        if (RUNTIME_PROVIDED_PACKAGES.some((re) => re.test(pkg))) continue;
        if (powertools && pkg.startsWith('@aws-lambda-powertools/')) continue;
        if (OPTIONAL_REQUIRES[pkg]) continue;
        if (fs.existsSync(path.join(dir, 'node_modules', pkg))) continue;
        const why = NOT_IN_RUNTIME.includes(pkg) ? `, which the Lambda Node.js runtime does not provide (it has the @aws-sdk/client-* clients, not ${pkg})`
          : pkg.startsWith('@aws-lambda-powertools/') ? ', but the function has no Powertools layer'
            : ', which is neither bundled nor provided by the runtime';
        out.push(`runtime module: ${labelOf(fn)} (${path.relative(dir, file)}) requires '${spec}' at run time${why}: bundle it`);
      }
    }
  }
  return [...new Set(out)];
}

/**
 * The modules a bundle loads at run time (`require("x")`, `import("x")`, `import ... from "x"`),
 * read by esbuild's parser, so a module named in a string (an SDK error message that says
 * "call require('@aws-sdk/signature-v4a')") is not mistaken for a require.
 */
export function requiredModules(code: string, resolveDir = process.cwd()): string[] {
  const result = buildSync({
    stdin: { contents: code, resolveDir, sourcefile: 'bundle.js', loader: 'js' },
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    packages: 'external',
    logLevel: 'silent',
    format: 'cjs',
  });
  const found = new Set<string>();
  for (const input of Object.values(result.metafile!.inputs)) {
    for (const imp of input.imports) if (imp.external) found.add(imp.path);
  }
  return [...found];
}

function jsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name);
    if (name === 'node_modules') continue;
    if (fs.statSync(p).isDirectory()) out.push(...jsFiles(p));
    else if (/\.(c|m)?js$/.test(name)) out.push(p);
  }
  return out;
}

function valueAt(model: SeamModel, r: ModelResource, dotted: string): unknown {
  const [first, ...rest] = dotted.split('.');
  let v = model.prop(r, first);
  for (const k of rest) v = v?.[k];
  return v;
}

/** A name derived from its stack: it contains the stack name, or aws-cdk-lib's 8-character path hash. */
function derivedFromStack(name: string, stack: string): boolean {
  const alnum = (t: string) => t.toLowerCase().replace(/[^a-z0-9]/g, '');
  const hashes = [...name.matchAll(/[A-F0-9]{8}|(?<![a-z0-9])[a-f0-9]{8}(?![a-z0-9])/g)].map((m) => m[0]);
  return alnum(name).includes(alnum(stack)) || hashes.some((h) => /\d/.test(h));
}

function walkStrings(value: unknown, where: string[], visit: (s: string, where: string[]) => void): void {
  if (typeof value === 'string') visit(value, where);
  else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, [...where, String(i)], visit));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walkStrings(v, [...where, k], visit);
}
