/**
 * IAM enforcement for the local functions' AWS SDK calls: each request (one action on one resource,
 * with its context keys) is evaluated against the function's execution role (the identity
 * policies of the templates, resolved to the local ARNs) and the target's resource policy (queue,
 * topic, bucket, key, table, bus) with @cloud-copilot/iam-simulate, AWS's evaluation logic.
 *
 * The simulator is AGPL-3.0: the local package does not depend on it or bundle it. It is loaded
 * with a dynamic import() when installed next to the local cloud (this repository has it as a
 * devDependency); without it, IAM is not enforced and the start line says so.
 */
import type * as IamSimulate from '@cloud-copilot/iam-simulate';
import type { AssemblyStack, CfnResource } from './assembly';
import { identityPoliciesOf, NamedPolicy, PolicyModel, PolicyResource, resourcePolicyOf } from './policies';
import type { AssemblyResolver } from './resolve';

/** `enforce`: check every SDK call of a local function; `off`: let every call through. */
export type IamMode = 'enforce' | 'off';

/** The simulator's package name (AGPL-3.0, an optional peer the user installs). */
export const IAM_SIMULATOR = '@cloud-copilot/iam-simulate';

/** Loads the simulator, or answers why it cannot be loaded. */
export async function loadIamSimulator(): Promise<{ simulator: typeof IamSimulate } | { missing: string }> {
  try {
    // Loaded at run time only, from wherever the user installed it: the package's bundle keeps it
    // external (esbuild --packages=external) and the package does not declare it. Its CommonJS
    // build through require (jest and the CJS bundle cannot run import() without VM modules).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const simulator = require('@cloud-copilot/iam-simulate') as typeof IamSimulate;
    if (typeof simulator.runSimulation !== 'function') return { missing: `${IAM_SIMULATOR} has no runSimulation` };
    return { simulator };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const why = e.code === 'MODULE_NOT_FOUND' ? 'is not installed' : `could not be loaded (${e.message.split('\n')[0]})`;
    return { missing: `${IAM_SIMULATOR} ${why}` };
  }
}

/** One authorization a request needs: an action on a resource. */
export interface AuthorizationRequest {
  readonly action: string;
  /** The resource ARN (`*` for actions on no resource). */
  readonly resource: string;
  /** The resource's logical id and stack, when it is a resource of the templates. */
  readonly target?: PolicyResource;
  /** Request context keys beyond the caller's (e.g. `aws:SecureTransport`, `s3:prefix`, `kms:ViaService`). */
  readonly context?: Record<string, string | string[]>;
}

/** Who calls: a local function and its execution role. */
export interface IamCaller {
  readonly functionLogicalId: string;
  readonly functionName: string;
  readonly stack: string;
  readonly account: string;
  /** The role of the templates, or undefined when the function's role is not one of them. */
  readonly role?: PolicyResource;
  readonly roleName: string;
  readonly roleArn: string;
}

/** The outcome of a check. */
export type IamDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly action: string; readonly resource: string; readonly message: string };

/** The templates, resolved with the local cloud's values, as the policy lookup reads them. */
export class LocalPolicyModel implements PolicyModel {
  private readonly byType = new Map<string, PolicyResource[]>();

  constructor(private readonly stacks: AssemblyStack[], private readonly resolver: AssemblyResolver) {
    for (const stack of stacks) {
      for (const [logicalId, r] of Object.entries<CfnResource>(stack.template.Resources ?? {})) {
        const list = this.byType.get(r.Type) ?? [];
        list.push({ stack: stack.id, logicalId, type: r.Type, properties: r.Properties ?? {} });
        this.byType.set(r.Type, list);
      }
    }
  }

  resources(type: string): PolicyResource[] {
    return this.byType.get(type) ?? [];
  }

  /** The resource of a type whose attribute `attr` (or Ref) is `value`. */
  findBy(type: string, attr: string, value: string): PolicyResource | undefined {
    return this.resources(type).find((r) => this.attribute(r.stack, r.logicalId, attr) === value);
  }

  prop(r: PolicyResource, name: string): any {
    try {
      return this.resolver.forStack(r.stack).resolve(r.properties[name]);
    } catch {
      return undefined;
    }
  }

  attribute(stack: string, logicalId: string, attr: string): string {
    try {
      const physical = this.resolver.forStack(stack).physical(logicalId);
      return attr === 'Ref' ? physical.ref : physical.attributes[attr] ?? `${physical.ref}.${attr}`;
    } catch {
      return `<unresolved ${stack}/${logicalId}.${attr}>`;
    }
  }

  policyDocument(stack: string, doc: unknown): any {
    let resolved: unknown;
    try {
      resolved = this.resolver.forStack(stack).resolve(doc);
    } catch {
      return undefined;
    }
    if (typeof resolved === 'string') resolved = JSON.parse(resolved);
    return resolved ? { Version: '2012-10-17', ...(resolved as Record<string, unknown>) } : undefined;
  }

  stack(name: string): { account: string; region: string } {
    const s = this.stacks.find((x) => x.id === name);
    return { account: s?.account ?? '123456789012', region: s?.region ?? 'us-east-1' };
  }
}

/**
 * Evaluates requests of local functions. Identity policies are resolved once per role, resource
 * policies once per resource, and decisions are cached per (caller, action, resource, context):
 * the policies of a running local cloud do not change.
 */
export class IamEnforcer {
  private readonly identity = new Map<string, { policies: NamedPolicy[]; note?: string }>();
  private readonly resourcePolicies = new Map<string, { policy?: any; note?: string }>();
  private readonly decisions = new Map<string, IamDecision>();
  /** Requests evaluated (cache misses) and checked (all). */
  evaluated = 0;
  checked = 0;

  constructor(private readonly simulator: typeof IamSimulate, readonly model: LocalPolicyModel) {}

  /** Checks every authorization of one request; the first denial wins. */
  async check(caller: IamCaller, requests: AuthorizationRequest[]): Promise<IamDecision> {
    for (const request of requests) {
      const decision = await this.checkOne(caller, request);
      if (!decision.allowed) return decision;
    }
    return { allowed: true };
  }

  private async checkOne(caller: IamCaller, request: AuthorizationRequest): Promise<IamDecision> {
    this.checked++;
    const key = JSON.stringify([caller.functionLogicalId, caller.stack, request.action, request.resource, request.context ?? {}]);
    const cached = this.decisions.get(key);
    if (cached) return cached;
    this.evaluated++;
    const decision = await this.evaluate(caller, request);
    this.decisions.set(key, decision);
    return decision;
  }

  private async evaluate(caller: IamCaller, request: AuthorizationRequest): Promise<IamDecision> {
    const identity = this.identityOf(caller);
    const resourcePolicy = request.target ? this.resourcePolicyOf(request.target, request.action) : {};
    const resourceAccount = request.target ? this.model.stack(request.target.stack).account : caller.account;
    const principal = `arn:aws:sts::${caller.account}:assumed-role/${caller.roleName}/${caller.functionName}`;
    const simulation: IamSimulate.Simulation = {
      request: {
        principal,
        action: request.action,
        resource: { resource: request.resource, accountId: resourceAccount },
        contextVariables: {
          'aws:SecureTransport': 'true',
          'aws:PrincipalArn': caller.roleArn,
          'aws:PrincipalAccount': caller.account,
          'aws:PrincipalType': 'AssumedRole',
          ...request.context,
        },
      },
      identityPolicies: identity.policies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: resourcePolicy.policy,
    };
    const response = await this.simulator.runSimulation(simulation, {});
    if (response.resultType === 'error') {
      return this.deny(principal, request, `the local IAM check could not evaluate it: ${response.errors.message}`);
    }
    if (response.overallResult === 'Allowed') return { allowed: true };
    const notes = [identity.note, resourcePolicy.note, caller.role ? undefined : `the function's role ${caller.roleArn} is not a role of the running stacks`].filter(Boolean);
    let why: string;
    if (response.resultType === 'single') {
      const reasons = this.simulator.getDenialReasons(response.result.analysis);
      const explicit = reasons.find((r) => r.denialType === 'Explicit');
      if (explicit && explicit.denialType === 'Explicit') {
        const where = explicit.policyType === 'resource' ? 'a resource-based policy' : explicit.policyType === 'identity' ? 'an identity-based policy' : `a ${explicit.policyType} policy`;
        const statement = explicit.statementId ? `statement ${explicit.statementId}` : `statement ${explicit.statementIndex}`;
        why = `with an explicit deny in ${where} (${explicit.policyType === 'identity' ? `${explicit.policyIdentifier} ` : ''}${statement})`;
      } else {
        why = `because no identity-based policy allows the ${request.action} action`;
      }
    } else {
      why = `because no identity-based policy allows the ${request.action} action`;
    }
    return this.deny(principal, request, `${why}${notes.length ? ` [local: ${notes.join('; ')}]` : ''}`);
  }

  private deny(principal: string, request: AuthorizationRequest, why: string): IamDecision {
    return {
      allowed: false,
      action: request.action,
      resource: request.resource,
      message: `User: ${principal} is not authorized to perform: ${request.action} on resource: ${request.resource} ${why}`,
    };
  }

  private identityOf(caller: IamCaller): { policies: NamedPolicy[]; note?: string } {
    const key = `${caller.stack}/${caller.functionLogicalId}`;
    let found = this.identity.get(key);
    if (!found) {
      found = caller.role ? identityPoliciesOf(this.model, caller.role) : { policies: [] };
      this.identity.set(key, found);
    }
    return found;
  }

  private resourcePolicyOf(target: PolicyResource, action: string): { policy?: any; note?: string } {
    const key = `${target.stack}/${target.logicalId}${action === 'sts:AssumeRole' ? ' trust' : ''}`;
    let found = this.resourcePolicies.get(key);
    if (!found) {
      found = resourcePolicyOf(this.model, target, action);
      this.resourcePolicies.set(key, found);
    }
    return found;
  }
}
