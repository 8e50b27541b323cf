/**
 * Resolves CloudFormation intrinsics to the physical values of the local cloud: queue URLs and
 * ARNs in fauxqs, table names in dynalite, bucket names, topic ARNs, function names and ARNs.
 * Physical names are deterministic (`<stack>-<logicalId>` unless the template names the
 * resource), so a template can be resolved without creating anything, and an Fn::ImportValue is
 * answered from the exporting stack's Outputs whether or not that stack runs.
 */
import { createHash } from 'crypto';
import type { AssemblyStack, CfnResource, CloudAssembly } from './assembly';
import { LocalCloudError } from './errors';

/** The account fauxqs puts in every queue and topic ARN and queue URL (it has no setting for it). */
export const FAUXQS_ACCOUNT = '000000000000';

/** Where the emulators listen: the base of queue URLs and of the endpoints handed to functions. */
export interface LocalEndpoints {
  /** fauxqs (SQS, SNS, S3), e.g. http://127.0.0.1:4566 */
  readonly fauxqs: string;
  /** dynalite (DynamoDB) */
  readonly dynamodb: string;
  /** the local EventBridge (PutEvents) */
  readonly events: string;
  /** the local S3 front (notifications), in front of fauxqs */
  readonly s3: string;
  /**
   * The base of queue URLs, when it is not fauxqs: the SQS IAM gate (the SDK sends a queue's
   * requests to its URL's host, so the URL must name the gate). @default fauxqs
   */
  readonly queues?: string;
}

/** A resource's local identity: what Ref answers and what Fn::GetAtt answers per attribute. */
export interface PhysicalResource {
  readonly ref: string;
  readonly attributes: Record<string, string>;
}

/** Thrown (as a LocalCloudError) when a value cannot be resolved locally. */
function unresolvable(stack: AssemblyStack, what: string): LocalCloudError {
  return new LocalCloudError(`${stack.id}: cannot resolve ${what}`);
}

/** Resolves the intrinsics of every stack of an assembly. */
export class AssemblyResolver {
  private readonly resolvers = new Map<string, StackResolver>();

  constructor(readonly assembly: CloudAssembly, readonly endpoints: LocalEndpoints) {}

  /** The resolver of one stack (by artifact id). */
  forStack(stackId: string): StackResolver {
    let resolver = this.resolvers.get(stackId);
    if (!resolver) {
      const stack = this.assembly.stacks.find((s) => s.id === stackId);
      if (!stack) throw new LocalCloudError(`no stack ${stackId} in ${this.assembly.directory}`);
      resolver = new StackResolver(stack, this);
      this.resolvers.set(stackId, resolver);
    }
    return resolver;
  }

  /** The value of the Output exported as `name` by any stack of the assembly. */
  importValue(name: string, importer: AssemblyStack): unknown {
    for (const stack of this.assembly.stacks) {
      for (const output of Object.values(stack.template.Outputs ?? {})) {
        if (!output.Export) continue;
        const resolver = this.forStack(stack.id);
        if (resolver.resolve(output.Export.Name) === name) return resolver.resolve(output.Value);
      }
    }
    throw unresolvable(importer, `Fn::ImportValue ${name}: no stack of the assembly exports it`);
  }
}

/** Resolves the intrinsics of one stack. */
export class StackResolver {
  private readonly physicals = new Map<string, PhysicalResource>();

  constructor(readonly stack: AssemblyStack, private readonly assembly: AssemblyResolver) {}

  /** The local identity of a resource of this stack. */
  physical(logicalId: string): PhysicalResource {
    let physical = this.physicals.get(logicalId);
    if (!physical) {
      const resource = this.stack.template.Resources?.[logicalId];
      if (!resource) throw unresolvable(this.stack, `a reference to ${logicalId}: the template has no such resource or parameter`);
      physical = this.describe(logicalId, resource);
      this.physicals.set(logicalId, physical);
    }
    return physical;
  }

  /** Resolves every intrinsic in `value` (deeply). */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, arg] = entries[0];
      if (key === 'Ref' || key.startsWith('Fn::') || key === 'Condition') return this.intrinsic(key, arg);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const resolved = this.resolve(v);
      if (resolved !== NO_VALUE) out[k] = resolved;
    }
    return out;
  }

  /** Resolves `value` and requires a string. */
  resolveString(value: unknown): string {
    const resolved = this.resolve(value);
    if (typeof resolved !== 'string' && typeof resolved !== 'number' && typeof resolved !== 'boolean') {
      throw unresolvable(this.stack, `${JSON.stringify(value)} to a string`);
    }
    return String(resolved);
  }

  private intrinsic(name: string, arg: unknown): unknown {
    switch (name) {
      case 'Ref': return this.ref(String(arg));
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(arg) ? [String(arg[0]), this.resolveString(arg[1])] : splitOnce(String(arg), '.');
        return this.getAtt(logicalId, attribute);
      }
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, unknown];
        const list = this.resolve(parts);
        if (!Array.isArray(list)) throw unresolvable(this.stack, `Fn::Join over ${JSON.stringify(parts)}`);
        return list.map((p) => String(p)).join(sep);
      }
      case 'Fn::Sub': return this.sub(arg);
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const items = this.resolve(list);
        const i = Number(this.resolve(index));
        if (!Array.isArray(items) || !(i >= 0 && i < items.length)) throw unresolvable(this.stack, `Fn::Select ${i} of ${JSON.stringify(items)}`);
        return items[i];
      }
      case 'Fn::Split': {
        const [sep, source] = arg as [string, unknown];
        return this.resolveString(source).split(sep);
      }
      case 'Fn::ImportValue': return this.assembly.importValue(this.resolveString(arg), this.stack);
      case 'Fn::GetAZs': return ['a', 'b', 'c'].map((z) => `${this.stack.region}${z}`);
      case 'Fn::Base64': return Buffer.from(this.resolveString(arg)).toString('base64');
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = arg as [string, unknown, unknown];
        return this.resolve(this.condition(condition) ? whenTrue : whenFalse);
      }
      case 'Fn::Equals': {
        const [a, b] = arg as [unknown, unknown];
        return JSON.stringify(this.resolve(a)) === JSON.stringify(this.resolve(b));
      }
      case 'Fn::Not': return !this.truthy((arg as unknown[])[0]);
      case 'Fn::And': return (arg as unknown[]).every((c) => this.truthy(c));
      case 'Fn::Or': return (arg as unknown[]).some((c) => this.truthy(c));
      case 'Condition': return this.condition(String(arg));
      default: throw unresolvable(this.stack, `${name}: the local cloud does not support this intrinsic`);
    }
  }

  private truthy(condition: unknown): boolean {
    return this.resolve(condition) === true;
  }

  /** Evaluates a named condition of the template's Conditions section. */
  condition(name: string): boolean {
    const definition = this.stack.template.Conditions?.[name];
    if (definition === undefined) throw unresolvable(this.stack, `condition ${name}: the template has no such condition`);
    return this.truthy(definition);
  }

  private ref(name: string): unknown {
    switch (name) {
      case 'AWS::Region': return this.stack.region;
      case 'AWS::AccountId': return this.stack.account;
      case 'AWS::Partition': return 'aws';
      case 'AWS::URLSuffix': return 'amazonaws.com';
      case 'AWS::StackName': return this.stack.stackName;
      case 'AWS::StackId': return `arn:aws:cloudformation:${this.stack.region}:${this.stack.account}:stack/${this.stack.stackName}/local`;
      case 'AWS::NoValue': return NO_VALUE;
      case 'AWS::NotificationARNs': return [];
    }
    const parameter = this.stack.template.Parameters?.[name];
    if (parameter) {
      if (parameter.Default === undefined) throw unresolvable(this.stack, `parameter ${name}: it has no default`);
      return parameter.Default;
    }
    return this.physical(name).ref;
  }

  private getAtt(logicalId: string, attribute: string): string {
    const value = this.physical(logicalId).attributes[attribute];
    if (value === undefined) {
      const type = this.stack.template.Resources?.[logicalId]?.Type;
      throw unresolvable(this.stack, `Fn::GetAtt ${logicalId}.${attribute}: the local cloud does not know that attribute of ${type}`);
    }
    return value;
  }

  private sub(arg: unknown): string {
    const [text, variables] = typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, unknown>]);
    const vars = this.resolve(variables) as Record<string, unknown>;
    return text.replace(/\$\{(!?)([^}]+)\}/g, (_match, bang: string, name: string) => {
      if (bang) return `\${${name}}`;
      if (name in vars) return String(vars[name]);
      if (name.includes('.')) {
        const [logicalId, attribute] = splitOnce(name, '.');
        return this.getAtt(logicalId, attribute);
      }
      return String(this.ref(name));
    });
  }

  private describe(logicalId: string, resource: CfnResource): PhysicalResource {
    const { region, account, stackName } = this.stack;
    const props = resource.Properties ?? {};
    const named = (prop: string, fallback: string) => (props[prop] !== undefined ? this.resolveString(props[prop]) : fallback);
    const generated = `${stackName}-${logicalId}`;
    const endpoints = this.assembly.endpoints;
    switch (resource.Type) {
      case 'AWS::SQS::Queue': {
        const fifo = props.FifoQueue === true || props.FifoQueue === 'true';
        const name = named('QueueName', fifo ? `${generated.slice(0, 75)}.fifo` : generated.slice(0, 80));
        const url = `${endpoints.queues ?? endpoints.fauxqs}/${FAUXQS_ACCOUNT}/${name}`;
        return { ref: url, attributes: { Arn: `arn:aws:sqs:${region}:${FAUXQS_ACCOUNT}:${name}`, QueueName: name, QueueUrl: url } };
      }
      case 'AWS::SNS::Topic': {
        const fifo = props.FifoTopic === true || props.FifoTopic === 'true';
        const name = named('TopicName', fifo ? `${generated.slice(0, 251)}.fifo` : generated.slice(0, 256));
        const arn = `arn:aws:sns:${region}:${FAUXQS_ACCOUNT}:${name}`;
        return { ref: arn, attributes: { TopicArn: arn, TopicName: name } };
      }
      case 'AWS::S3::Bucket': {
        const name = named('BucketName', generated.toLowerCase().replace(/[^a-z0-9.-]/g, '-').slice(0, 63).replace(/[.-]+$/, ''));
        return {
          ref: name,
          attributes: {
            Arn: `arn:aws:s3:::${name}`,
            DomainName: `${name}.s3.amazonaws.com`,
            RegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
            DualStackDomainName: `${name}.s3.dualstack.${region}.amazonaws.com`,
            WebsiteURL: `http://${name}.s3-website-${region}.amazonaws.com`,
          },
        };
      }
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable': {
        const name = named('TableName', generated.slice(0, 255));
        const arn = `arn:aws:dynamodb:${region}:${account}:table/${name}`;
        return { ref: name, attributes: { Arn: arn, StreamArn: `${arn}/stream/local` } };
      }
      case 'AWS::Lambda::Function': {
        const name = named('FunctionName', generated.slice(0, 64));
        return { ref: name, attributes: { Arn: `arn:aws:lambda:${region}:${account}:function:${name}` } };
      }
      case 'AWS::Events::EventBus': {
        const name = named('Name', generated);
        return { ref: name, attributes: { Name: name, Arn: `arn:aws:events:${region}:${account}:event-bus/${name}` } };
      }
      case 'AWS::Events::Rule': {
        const name = named('Name', generated.slice(0, 64));
        return { ref: name, attributes: { Arn: `arn:aws:events:${region}:${account}:rule/${name}` } };
      }
      case 'AWS::IAM::Role': {
        const name = named('RoleName', generated.slice(0, 64));
        return { ref: name, attributes: { Arn: `arn:aws:iam::${account}:role/${name}`, RoleId: `AROA${logicalId.toUpperCase().slice(0, 17)}` } };
      }
      case 'AWS::StepFunctions::StateMachine': {
        const name = named('StateMachineName', generated.slice(0, 80));
        const arn = `arn:aws:states:${region}:${account}:stateMachine:${name}`;
        return { ref: arn, attributes: { Arn: arn, Name: name } };
      }
      case 'AWS::ApiGatewayV2::Api': {
        const id = apiId(`${stackName}/${logicalId}`);
        return { ref: id, attributes: { ApiId: id, ApiEndpoint: `https://${id}.execute-api.${region}.amazonaws.com` } };
      }
      case 'AWS::KMS::Key': {
        const id = `local-${logicalId}`;
        return { ref: id, attributes: { Arn: `arn:aws:kms:${region}:${account}:key/${id}`, KeyId: id } };
      }
      case 'AWS::Logs::LogGroup': {
        const name = named('LogGroupName', `/local/${generated}`);
        return { ref: name, attributes: { Arn: `arn:aws:logs:${region}:${account}:log-group:${name}:*` } };
      }
      default: {
        // Resources the local cloud does not create still get a stable identity, so templates
        // that merely mention them (an alarm's name, a policy's id) resolve.
        const service = resource.Type.split('::')[1]?.toLowerCase() ?? 'local';
        const attributes = new Proxy({} as Record<string, string>, {
          get: (_target, attr) => (typeof attr !== 'string' ? undefined
            : attr === 'Arn' ? `arn:aws:${service}:${region}:${account}:${generated}` : `${generated}.${attr}`),
        });
        return { ref: generated, attributes };
      }
    }
  }
}

/** Marks an AWS::NoValue, dropped from the object that holds it. */
const NO_VALUE = Symbol('AWS::NoValue');

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}

/** A 10-character API id, stable per stack and logical id, as API Gateway's ids look. */
function apiId(seed: string): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, 10);
}
