/**
 * The seams model: the synthesized templates of an app (or of single stacks), with every
 * CloudFormation intrinsic resolved to the values AWS would produce, so that policies, ARNs and
 * environment variables can be compared as plain strings and fed to the IAM simulator.
 *
 * Physical names that CloudFormation would generate are made up deterministically from the stack
 * name and the logical id (`<stack>-<logicalId>`), in the account and region of the stack. Every
 * place a resource is referenced resolves to the same string, which is all the simulation needs.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Stack, Stage, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { partitionOf } from '../../src/local/policies';

/** The account of every stack whose account is not known at synth. */
export const DEFAULT_ACCOUNT = '123456789012';
/** The region of every stack whose region is not known at synth. */
export const DEFAULT_REGION = 'us-east-1';

/** One synthesized stack as the model reads it. */
export interface SeamStack {
  readonly name: string;
  readonly template: any;
  readonly account: string;
  readonly region: string;
  /** The cloud assembly directory that holds the stack's assets (`asset.<hash>`), when known. */
  readonly assetDir?: string;
}

/** A resource of the model. */
export interface ModelResource {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  /** Raw (unresolved) properties, as in the template. */
  readonly properties: Record<string, any>;
  readonly metadata: Record<string, any>;
}

/** `Stack/LogicalId`: how the model names a resource in messages and tables. */
export function labelOf(r: { stack: string; logicalId: string }): string {
  return `${r.stack}/${r.logicalId}`;
}

/** Reads the stacks of a synthesized cloud assembly. */
export function stacksFromAssembly(assembly: CloudAssembly): SeamStack[] {
  return assembly.stacks.map((s) => ({
    name: s.stackName,
    template: s.template,
    account: Token.isUnresolved(s.environment.account) || s.environment.account === 'unknown-account' ? DEFAULT_ACCOUNT : s.environment.account,
    region: Token.isUnresolved(s.environment.region) || s.environment.region === 'unknown-region' ? DEFAULT_REGION : s.environment.region,
    assetDir: assembly.directory,
  }));
}

/** Synthesizes stacks of the CDK app under test (Template.fromStack) and reads them. */
export function stacksFromStacks(...stacks: Stack[]): SeamStack[] {
  return stacks.map((stack) => {
    const template = Template.fromStack(stack).toJSON();
    return {
      name: stack.stackName,
      template,
      account: Token.isUnresolved(stack.account) ? DEFAULT_ACCOUNT : stack.account,
      region: Token.isUnresolved(stack.region) ? DEFAULT_REGION : stack.region,
      assetDir: Stage.of(stack)?.outdir,
    };
  });
}

/** The partition of a region (shared with the local cloud). */
export { partitionOf };

const NO_VALUE = Symbol('AWS::NoValue');

/** A value the resolver could not resolve (kept visible instead of guessed). */
export function unresolved(what: string): string {
  return `<unresolved:${what}>`;
}

/**
 * Every resource of every stack, resolved. Resources of other stacks are reachable through
 * `Fn::ImportValue`, so a policy in one stack that names a topic of another resolves to the same
 * ARN as the topic itself.
 */
export class SeamModel {
  public static fromAssembly(assembly: CloudAssembly): SeamModel {
    return new SeamModel(stacksFromAssembly(assembly));
  }

  public static fromStacks(...stacks: Stack[]): SeamModel {
    return new SeamModel(stacksFromStacks(...stacks));
  }

  public readonly stacks: SeamStack[];
  private readonly byStack = new Map<string, SeamStack>();
  private readonly attrCache = new Map<string, Record<string, string>>();
  private readonly identifierIndex = new Map<string, ModelResource>();
  private readonly exports = new Map<string, { stack: string; value: any }>();
  private readonly resolving = new Set<string>();
  /** One object per resource, so that resources compare with ===. */
  private readonly all: ModelResource[] = [];
  private readonly byLabel = new Map<string, ModelResource>();

  constructor(stacks: SeamStack[]) {
    this.stacks = stacks;
    for (const s of stacks) {
      this.byStack.set(s.name, s);
      for (const [logicalId, r] of Object.entries<any>(s.template.Resources ?? {})) {
        const resource = { stack: s.name, logicalId, type: r.Type, properties: r.Properties ?? {}, metadata: r.Metadata ?? {} };
        this.all.push(resource);
        this.byLabel.set(labelOf(resource), resource);
      }
      for (const output of Object.values<any>(s.template.Outputs ?? {})) {
        if (output.Export?.Name) this.exports.set(this.resolve(s.name, output.Export.Name), { stack: s.name, value: output.Value });
      }
    }
    for (const r of this.resources()) {
      const attrs = this.attributes(r.stack, r.logicalId);
      for (const [attr, value] of Object.entries(attrs)) {
        if (['Ref', 'Arn', 'QueueUrl', 'TopicArn', 'StreamArn', 'DBProxyArn', 'DBClusterArn', 'Endpoint', 'Endpoint.Address', 'DomainName', 'RegionalDomainName'].includes(attr) && !this.identifierIndex.has(value)) {
          this.identifierIndex.set(value, r);
        }
      }
    }
  }

  public stack(name: string): SeamStack {
    const s = this.byStack.get(name);
    if (!s) throw new Error(`no stack ${name} in the model`);
    return s;
  }

  /** Every resource, optionally of one type. */
  public resources(type?: string): ModelResource[] {
    return type === undefined ? [...this.all] : this.all.filter((r) => r.type === type);
  }

  public resource(stack: string, logicalId: string): ModelResource | undefined {
    return this.byLabel.get(`${stack}/${logicalId}`);
  }

  /** A property of a resource, resolved. */
  public prop(r: ModelResource, name: string): any {
    return this.resolve(r.stack, r.properties[name]);
  }

  /**
   * The resource a resolved identifier (ARN, URL, name or id, as Ref/GetAtt produce them) belongs
   * to. ARNs below a resource (S3 objects, Lambda qualifiers, log streams) map to the resource.
   */
  public find(identifier: unknown): ModelResource | undefined {
    if (typeof identifier !== 'string') return undefined;
    const direct = this.identifierIndex.get(identifier);
    if (direct) return direct;
    const s3 = /^arn:[^:]+:s3:::([^/]+)\/.*$/.exec(identifier);
    if (s3) return this.find(`arn:${identifier.split(':')[1]}:s3:::${s3[1]}`);
    const fn = /^(arn:[^:]+:lambda:[^:]+:[^:]+:function:[^:]+):.+$/.exec(identifier);
    if (fn) return this.find(fn[1]);
    const logs = /^(arn:[^:]+:logs:[^:]+:[^:]+:log-group:.+?)(:log-stream:.*)?$/.exec(identifier);
    if (logs && !identifier.endsWith(':*')) return this.identifierIndex.get(`${logs[1]}:*`);
    return undefined;
  }

  /** The attributes (`Ref` and `Fn::GetAtt` values) of a resource. */
  public attributes(stack: string, logicalId: string): Record<string, string> {
    const key = `${stack}/${logicalId}`;
    const cached = this.attrCache.get(key);
    if (cached) return cached;
    if (this.resolving.has(key)) return { Ref: unresolved(`cycle at ${key}`) };
    this.resolving.add(key);
    try {
      const computed = this.computeAttributes(stack, logicalId);
      this.attrCache.set(key, computed);
      return computed;
    } finally {
      this.resolving.delete(key);
    }
  }

  /** One attribute; unknown attributes come back as a visible placeholder. */
  public attribute(stack: string, logicalId: string, attr: string): string {
    const attrs = this.attributes(stack, logicalId);
    return attrs[attr] ?? `${attrs.Ref}.${attr}`;
  }

  /** Resolves every intrinsic in a value, in the context of a stack. */
  public resolve(stack: string, value: any): any {
    const out = this.resolveInner(stack, value);
    return out === NO_VALUE ? undefined : out;
  }

  /** Resolves a policy document and normalises it for the simulator. */
  public policyDocument(stack: string, doc: any): any {
    const resolved = this.resolve(stack, doc);
    if (!resolved) return undefined;
    return { Version: '2012-10-17', ...resolved };
  }

  /** The asset directory of a Lambda function's code, when its code is a file asset of the assembly. */
  public codeDirectory(fn: ModelResource): string | undefined {
    const s = this.stack(fn.stack);
    const assetPath = fn.metadata['aws:asset:path'];
    if (s.assetDir && typeof assetPath === 'string') {
      const p = path.isAbsolute(assetPath) ? assetPath : path.join(s.assetDir, assetPath);
      if (fs.existsSync(p)) return p;
    }
    const key = this.resolve(fn.stack, fn.properties.Code?.S3Key);
    if (s.assetDir && typeof key === 'string') {
      const hash = key.replace(/\.zip$/, '');
      const dir = path.join(s.assetDir, `asset.${hash}`);
      if (fs.existsSync(dir)) return dir;
    }
    return undefined;
  }

  private resolveInner(stack: string, value: any): any {
    if (Array.isArray(value)) {
      return value.map((v) => this.resolveInner(stack, v)).filter((v) => v !== NO_VALUE);
    }
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [k] = keys;
      const arg = value[k];
      switch (k) {
        case 'Ref': return this.ref(stack, arg);
        case 'Fn::GetAtt': {
          const [id, ...rest] = Array.isArray(arg) ? arg : String(arg).split('.');
          return this.getAtt(stack, String(id), this.resolveInner(stack, rest.join('.')));
        }
        case 'Fn::Join': {
          const [sep, parts] = arg;
          const list = this.resolveInner(stack, parts);
          return (Array.isArray(list) ? list : [list]).map(String).join(sep);
        }
        case 'Fn::Sub': return this.sub(stack, arg);
        case 'Fn::Select': {
          const [index, list] = arg;
          const resolved = this.resolveInner(stack, list);
          const i = Number(this.resolveInner(stack, index));
          return Array.isArray(resolved) ? resolved[i] : unresolved(`Fn::Select ${i}`);
        }
        case 'Fn::Split': {
          const [sep, text] = arg;
          const resolved = this.resolveInner(stack, text);
          return typeof resolved === 'string' ? resolved.split(sep) : [unresolved('Fn::Split')];
        }
        case 'Fn::ImportValue': {
          const name = this.resolveInner(stack, arg);
          const exp = this.exports.get(name);
          return exp ? this.resolveInner(exp.stack, exp.value) : unresolved(`import ${name}`);
        }
        case 'Fn::If': {
          const [cond, yes, no] = arg;
          return this.resolveInner(stack, this.condition(stack, cond) ? yes : no);
        }
        case 'Fn::Base64': return this.resolveInner(stack, arg);
        case 'Fn::GetAZs': {
          const region = this.resolveInner(stack, arg) || this.stack(stack).region;
          return ['a', 'b', 'c'].map((z) => `${region}${z}`);
        }
        case 'Fn::FindInMap': {
          const [map, top, second] = this.resolveInner(stack, arg);
          return this.stack(stack).template.Mappings?.[map]?.[top]?.[second] ?? unresolved(`FindInMap ${map}`);
        }
        case 'Fn::Equals':
        case 'Fn::Not':
        case 'Fn::And':
        case 'Fn::Or':
        case 'Condition':
          return this.condition(stack, value);
        default:
          break;
      }
    }
    const out: Record<string, any> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = this.resolveInner(stack, v);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  }

  private condition(stack: string, value: any): boolean {
    if (typeof value === 'string') {
      const def = this.stack(stack).template.Conditions?.[value];
      return def === undefined ? true : this.condition(stack, def);
    }
    if (typeof value === 'boolean') return value;
    if (value && typeof value === 'object') {
      if ('Condition' in value) return this.condition(stack, value.Condition);
      if ('Fn::Equals' in value) {
        const [a, b] = this.resolveInner(stack, value['Fn::Equals']);
        return JSON.stringify(a) === JSON.stringify(b);
      }
      if ('Fn::Not' in value) return !this.condition(stack, value['Fn::Not'][0]);
      if ('Fn::And' in value) return value['Fn::And'].every((c: any) => this.condition(stack, c));
      if ('Fn::Or' in value) return value['Fn::Or'].some((c: any) => this.condition(stack, c));
    }
    return true;
  }

  private sub(stack: string, arg: any): string {
    const [text, vars] = Array.isArray(arg) ? arg : [arg, {}];
    const resolvedVars = this.resolveInner(stack, vars ?? {});
    return String(text).replace(/\$\{([^}]*)\}/g, (_m, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      if (name in resolvedVars) return String(resolvedVars[name]);
      if (name.includes('.')) {
        const [id, ...attr] = name.split('.');
        return String(this.getAtt(stack, id, attr.join('.')));
      }
      return String(this.ref(stack, name));
    });
  }

  private ref(stack: string, name: string): any {
    const s = this.stack(stack);
    switch (name) {
      case 'AWS::AccountId': return s.account;
      case 'AWS::Region': return s.region;
      case 'AWS::Partition': return partitionOf(s.region);
      case 'AWS::URLSuffix': return s.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
      case 'AWS::StackName': return s.name;
      case 'AWS::StackId': return `arn:${partitionOf(s.region)}:cloudformation:${s.region}:${s.account}:stack/${s.name}/00000000-0000-0000-0000-000000000000`;
      case 'AWS::NoValue': return NO_VALUE;
      case 'AWS::NotificationARNs': return [];
      default: break;
    }
    const param = s.template.Parameters?.[name];
    if (param) return param.Default ?? unresolved(`parameter ${name}`);
    if (s.template.Resources?.[name]) return this.attributes(stack, name).Ref;
    return unresolved(`Ref ${name}`);
  }

  private getAtt(stack: string, id: string, attr: string): string {
    if (!this.stack(stack).template.Resources?.[id]) return unresolved(`GetAtt ${id}.${attr}`);
    return this.attribute(stack, id, attr);
  }

  /** Physical names and attributes, per resource type, as AWS formats them. */
  private computeAttributes(stack: string, logicalId: string): Record<string, string> {
    const s = this.stack(stack);
    const raw = s.template.Resources[logicalId];
    const p = (name: string) => {
      const v = this.resolve(stack, raw.Properties?.[name]);
      return typeof v === 'string' ? v : undefined;
    };
    const { account, region } = s;
    const partition = partitionOf(region);
    const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
    const generated = `${stack}-${logicalId}`;
    const lowerId = `${stack}-${logicalId}`.toLowerCase().replace(/[^a-z0-9-]/g, '');
    const shortId = hashId(generated);
    switch (raw.Type) {
      case 'AWS::SQS::Queue': {
        const fifo = raw.Properties?.FifoQueue === true || raw.Properties?.FifoQueue === 'true';
        const name = p('QueueName') ?? (fifo ? `${generated}.fifo` : generated);
        const arn = `arn:${partition}:sqs:${region}:${account}:${name}`;
        const url = `https://sqs.${region}.${suffix}/${account}/${name}`;
        return { Ref: url, Arn: arn, QueueName: name, QueueUrl: url };
      }
      case 'AWS::SNS::Topic': {
        const fifo = raw.Properties?.FifoTopic === true || raw.Properties?.FifoTopic === 'true';
        const name = p('TopicName') ?? (fifo ? `${generated}.fifo` : generated);
        const arn = `arn:${partition}:sns:${region}:${account}:${name}`;
        return { Ref: arn, TopicArn: arn, TopicName: name };
      }
      case 'AWS::SNS::Subscription':
        return { Ref: `arn:${partition}:sns:${region}:${account}:subscription/${shortId}` };
      case 'AWS::S3::Bucket': {
        const name = p('BucketName') ?? lowerId.slice(0, 63);
        return {
          Ref: name,
          Arn: `arn:${partition}:s3:::${name}`,
          DomainName: `${name}.s3.${suffix}`,
          RegionalDomainName: `${name}.s3.${region}.${suffix}`,
          DualStackDomainName: `${name}.s3.dualstack.${region}.${suffix}`,
          WebsiteURL: `http://${name}.s3-website-${region}.${suffix}`,
        };
      }
      case 'AWS::KMS::Key': {
        const id = uuidLike(generated);
        return { Ref: id, KeyId: id, Arn: `arn:${partition}:kms:${region}:${account}:key/${id}` };
      }
      case 'AWS::KMS::Alias':
        return { Ref: p('AliasName') ?? `alias/${generated}` };
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable': {
        const name = p('TableName') ?? generated;
        const arn = `arn:${partition}:dynamodb:${region}:${account}:table/${name}`;
        return { Ref: name, Arn: arn, StreamArn: `${arn}/stream/2026-01-01T00:00:00.000` };
      }
      case 'AWS::Lambda::Function': {
        const name = p('FunctionName') ?? generated.slice(0, 64);
        return { Ref: name, Arn: `arn:${partition}:lambda:${region}:${account}:function:${name}` };
      }
      case 'AWS::Lambda::LayerVersion': {
        const name = p('LayerName') ?? generated;
        const arn = `arn:${partition}:lambda:${region}:${account}:layer:${name}:1`;
        return { Ref: arn, LayerVersionArn: arn };
      }
      case 'AWS::Lambda::Alias':
      case 'AWS::Lambda::Version': {
        const fnArn = this.resolve(stack, raw.Properties?.FunctionName);
        const qualifier = p('Name') ?? '1';
        const arn = `${String(fnArn).startsWith('arn:') ? fnArn : `arn:${partition}:lambda:${region}:${account}:function:${fnArn}`}:${qualifier}`;
        return { Ref: arn, Version: qualifier, AliasArn: arn, FunctionArn: arn };
      }
      case 'AWS::Lambda::EventSourceMapping':
        return { Ref: uuidLike(generated) };
      case 'AWS::IAM::Role': {
        const name = p('RoleName') ?? generated.slice(0, 64);
        const rolePath = p('Path') ?? '/';
        return { Ref: name, Arn: `arn:${partition}:iam::${account}:role${rolePath}${name}`, RoleId: `AROA${shortId.toUpperCase()}` };
      }
      case 'AWS::IAM::ManagedPolicy': {
        const name = p('ManagedPolicyName') ?? generated;
        const arn = `arn:${partition}:iam::${account}:policy${p('Path') ?? '/'}${name}`;
        return { Ref: arn, PolicyArn: arn };
      }
      case 'AWS::IAM::Policy':
        return { Ref: p('PolicyName') ?? generated };
      case 'AWS::SecretsManager::Secret': {
        const name = p('Name') ?? generated;
        const arn = `arn:${partition}:secretsmanager:${region}:${account}:secret:${name}-AbCdEf`;
        return { Ref: arn, Id: arn };
      }
      case 'AWS::SecretsManager::SecretTargetAttachment': {
        // The attachment's Ref is the secret's ARN.
        const secret = this.resolve(stack, raw.Properties?.SecretId);
        return { Ref: String(secret) };
      }
      case 'AWS::StepFunctions::StateMachine': {
        const name = p('StateMachineName') ?? generated;
        const arn = `arn:${partition}:states:${region}:${account}:stateMachine:${name}`;
        return { Ref: arn, Arn: arn, Name: name, StateMachineRevisionId: `${arn}:1` };
      }
      case 'AWS::Events::EventBus': {
        const name = p('Name') ?? generated;
        return { Ref: name, Name: name, Arn: `arn:${partition}:events:${region}:${account}:event-bus/${name}` };
      }
      case 'AWS::Events::Rule': {
        const name = p('Name') ?? generated.slice(0, 64);
        const bus = p('EventBusName');
        const busName = bus && bus.startsWith('arn:') ? bus.split('/').pop() : bus;
        const arn = `arn:${partition}:events:${region}:${account}:rule/${busName && busName !== 'default' ? `${busName}/` : ''}${name}`;
        return { Ref: busName && busName !== 'default' ? `${busName}|${name}` : name, Arn: arn };
      }
      case 'AWS::Scheduler::ScheduleGroup': {
        const name = p('Name') ?? generated;
        return { Ref: name, Arn: `arn:${partition}:scheduler:${region}:${account}:schedule-group/${name}` };
      }
      case 'AWS::Scheduler::Schedule': {
        const name = p('Name') ?? generated.slice(0, 64);
        const group = p('GroupName') ?? 'default';
        return { Ref: name, Arn: `arn:${partition}:scheduler:${region}:${account}:schedule/${group}/${name}` };
      }
      case 'AWS::CloudWatch::Alarm':
      case 'AWS::CloudWatch::CompositeAlarm': {
        const name = p('AlarmName') ?? generated;
        return { Ref: name, Arn: `arn:${partition}:cloudwatch:${region}:${account}:alarm:${name}` };
      }
      case 'AWS::Logs::LogGroup': {
        const name = p('LogGroupName') ?? `/seams/${stack}/${logicalId}`;
        return { Ref: name, Arn: `arn:${partition}:logs:${region}:${account}:log-group:${name}:*` };
      }
      case 'AWS::ApiGatewayV2::Api': {
        const id = shortId.slice(0, 10);
        return { Ref: id, ApiId: id, ApiEndpoint: `https://${id}.execute-api.${region}.${suffix}` };
      }
      case 'AWS::ApiGatewayV2::Stage':
        return { Ref: p('StageName') ?? '$default' };
      case 'AWS::ApiGatewayV2::Integration':
      case 'AWS::ApiGatewayV2::Route':
      case 'AWS::ApiGatewayV2::Authorizer':
        return { Ref: shortId.slice(0, 7) };
      case 'AWS::CloudFront::Distribution': {
        const id = `E${shortId.toUpperCase().slice(0, 13)}`;
        return { Ref: id, Id: id, DomainName: `d${shortId.slice(0, 13)}.cloudfront.net` };
      }
      case 'AWS::CloudFront::Function': {
        const name = p('Name') ?? generated;
        return { Ref: `arn:${partition}:cloudfront::${account}:function/${name}`, FunctionARN: `arn:${partition}:cloudfront::${account}:function/${name}` };
      }
      case 'AWS::RDS::DBCluster': {
        const id = p('DBClusterIdentifier') ?? lowerId.slice(0, 63);
        return {
          'Ref': id,
          'DBClusterArn': `arn:${partition}:rds:${region}:${account}:cluster:${id}`,
          'DBClusterResourceId': `cluster-${shortId.toUpperCase()}`,
          'Endpoint.Address': `${id}.cluster-abcdefghijkl.${region}.rds.${suffix}`,
          'Endpoint.Port': '5432',
          'ReadEndpoint.Address': `${id}.cluster-ro-abcdefghijkl.${region}.rds.${suffix}`,
        };
      }
      case 'AWS::RDS::DBProxy': {
        const name = p('DBProxyName') ?? lowerId.slice(0, 60);
        return {
          Ref: name,
          DBProxyArn: `arn:${partition}:rds:${region}:${account}:db-proxy:prx-${shortId}`,
          Endpoint: `${name}.proxy-abcdefghijkl.${region}.rds.${suffix}`,
        };
      }
      case 'AWS::EC2::SecurityGroup':
        return { Ref: `sg-${shortId}`, GroupId: `sg-${shortId}` };
      default:
        return { Ref: `${logicalId}`, Arn: `arn:${partition}:${raw.Type.split('::')[1]?.toLowerCase() ?? 'unknown'}:${region}:${account}:${logicalId}` };
    }
  }
}

/** A stable 17-character lowercase id derived from a string. */
function hashId(text: string): string {
  return BigInt(`0x${createHash('sha256').update(text).digest('hex').slice(0, 22)}`).toString(36).padStart(17, '0').slice(0, 17);
}

function uuidLike(text: string): string {
  const hex = createHash('sha256').update(`key:${text}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
