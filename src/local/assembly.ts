/**
 * Reads a cloud assembly (cdk.out): manifest.json and the CloudFormation templates of its stacks.
 * Plain JSON: no aws-cdk-lib at run time.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LocalCloudError } from './errors';

/** A CloudFormation resource as it appears in a template. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
  readonly Condition?: string;
}

export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { readonly Value: unknown; readonly Export?: { readonly Name: unknown } }>;
  readonly Parameters?: Record<string, { readonly Type: string; readonly Default?: unknown }>;
  readonly Conditions?: Record<string, unknown>;
}

/** One stack of the assembly. */
export interface AssemblyStack {
  /** The artifact id (what `cdk ls` prints and `--stack` takes). */
  readonly id: string;
  /** The CloudFormation stack name. */
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  readonly template: CfnTemplate;
  /** Ids of the stacks this one depends on (from the manifest). */
  readonly dependencies: string[];
  /**
   * Local folders (or files) of the stack's file assets, by the S3 object key they publish to:
   * how a function's `Code.S3Key` finds its code when the template carries no asset metadata
   * (apps synthesized outside the CDK CLI).
   */
  readonly assets: Record<string, string>;
}

export interface CloudAssembly {
  readonly directory: string;
  readonly stacks: AssemblyStack[];
}

/** The account and region used when a stack is environment-agnostic. */
export const DEFAULT_ACCOUNT = '123456789012';
export const DEFAULT_REGION = 'us-east-1';

interface ManifestArtifact {
  readonly type: string;
  readonly environment?: string;
  readonly properties?: { readonly templateFile?: string; readonly stackName?: string; readonly file?: string };
  readonly dependencies?: string[];
  readonly displayName?: string;
}

/** Reads the assembly in `directory`; throws a one-line LocalCloudError when it is not one. */
export function readAssembly(directory: string): CloudAssembly {
  const dir = path.resolve(directory);
  const manifestFile = path.join(dir, 'manifest.json');
  if (!fs.existsSync(dir)) {
    throw new LocalCloudError(`no cloud assembly at ${dir}: run \`npx cdk synth\` first (or pass the cdk.out folder)`);
  }
  if (!fs.existsSync(manifestFile)) {
    throw new LocalCloudError(`${dir} is not a cloud assembly (no manifest.json): pass the folder \`cdk synth\` writes, usually cdk.out`);
  }
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { artifacts?: Record<string, ManifestArtifact> };
  const stacks: AssemblyStack[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    const [account, region] = parseEnvironment(artifact.environment);
    const template = JSON.parse(fs.readFileSync(path.join(dir, artifact.properties.templateFile), 'utf8')) as CfnTemplate;
    const assets: Record<string, string> = {};
    for (const dep of artifact.dependencies ?? []) {
      const file = manifest.artifacts?.[dep]?.type === 'cdk:asset-manifest' ? manifest.artifacts[dep].properties?.file : undefined;
      if (!file) continue;
      const assetManifest = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as {
        files?: Record<string, { source: { path?: string }; destinations: Record<string, { objectKey: string }> }>;
      };
      for (const asset of Object.values(assetManifest.files ?? {})) {
        if (!asset.source.path) continue;
        for (const destination of Object.values(asset.destinations)) assets[destination.objectKey] = path.resolve(dir, asset.source.path);
      }
    }
    stacks.push({
      id,
      stackName: artifact.properties.stackName ?? id,
      account,
      region,
      template,
      assets,
      dependencies: (artifact.dependencies ?? []).filter((d) => manifest.artifacts?.[d]?.type === 'aws:cloudformation:stack'),
    });
  }
  return { directory: dir, stacks };
}

/**
 * The stacks to run: the named ones (by artifact id or stack name), or all. An unknown name is a
 * one-line error listing the stacks there are.
 */
export function selectStacks(assembly: CloudAssembly, names?: readonly string[]): AssemblyStack[] {
  if (!names || names.length === 0) return assembly.stacks;
  return names.map((name) => {
    const stack = assembly.stacks.find((s) => s.id === name || s.stackName === name);
    if (!stack) {
      throw new LocalCloudError(`no stack named ${name} in ${assembly.directory}; stacks: ${assembly.stacks.map((s) => s.id).join(', ') || '(none)'}`);
    }
    return stack;
  });
}

function parseEnvironment(environment: string | undefined): [string, string] {
  const match = /^aws:\/\/([^/]+)\/(.+)$/.exec(environment ?? '');
  const account = match && match[1] !== 'unknown-account' ? match[1] : DEFAULT_ACCOUNT;
  const region = match && match[2] !== 'unknown-region' ? match[2] : DEFAULT_REGION;
  return [account, region];
}
