/**
 * Evaluates the edges of edges.ts with @cloud-copilot/iam-simulate (AGPL-3.0: a devDependency of
 * the tests, never bundled or shipped): the caller's identity policies, the resource's policy
 * (queue, topic, bucket, key, secret, function permissions, trust policy...), and the context keys
 * the calling service sends. Each edge must be allowed; then strangers must be denied: a principal
 * of another account (allowed everything by its own account), the anonymous public, an unrelated
 * role of the same stack, and, for a service principal, the same service acting for a resource of
 * another account (the confused deputy).
 *
 * What the simulator does with them is AWS's evaluation logic: a same-account role needs an allow
 * in its identity policy OR the resource policy (SQS, SNS, S3, Lambda...), a KMS key needs its key
 * policy to allow (a grant to `arn:aws:iam::ACCOUNT:root` delegates to IAM), and a service
 * principal needs the resource policy, since it has no identity policy.
 */
import { anonymousPrincipal, runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { Edge, enumerateEdges } from './edges';
import { labelOf, ModelResource, partitionOf, SeamModel } from './model';
import { awsManagedKeyPolicy, identityPoliciesOf, resourcePolicyOf } from '../../src/local/policies';

/** The account of the stranger principals. */
export const STRANGER_ACCOUNT = '210987654321';

export type Outcome = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied' | 'not modelled' | 'error';

export interface StrangerResult {
  readonly who: string;
  readonly outcome: Outcome;
  readonly detail?: string;
}

export interface EdgeResult {
  readonly edge: Edge;
  readonly outcome: Outcome;
  /** Why an edge was not modelled, or the simulator's error. */
  readonly detail?: string;
  readonly strangers: StrangerResult[];
}

interface PolicyLookup {
  readonly policy?: any;
  readonly account: string;
  readonly note?: string;
}

/** Enumerates and evaluates every edge of a model. */
export async function evaluateModel(model: SeamModel): Promise<EdgeResult[]> {
  return evaluateEdges(model, enumerateEdges(model));
}

/** Evaluates edges (the edge, then the strangers of an allowed edge). */
export async function evaluateEdges(model: SeamModel, edges: Edge[]): Promise<EdgeResult[]> {
  const evaluator = new Evaluator(model, edges);
  const results: EdgeResult[] = [];
  for (const edge of edges) results.push(await evaluator.evaluate(edge));
  return results;
}

/** One line per failure: an edge not allowed, a stranger not denied, a simulator error. */
export function failuresOf(results: EdgeResult[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    if (r.outcome !== 'Allowed' && r.outcome !== 'not modelled') {
      out.push(`${r.edge.stack}: ${r.edge.caller.label} → ${r.edge.action} → ${r.edge.resourceLabel} (${r.edge.via}): ${r.outcome}${r.detail ? ` ${r.detail}` : ''}`);
    }
    for (const s of r.strangers) {
      if (s.outcome === 'Allowed' || s.outcome === 'error') {
        out.push(`${r.edge.stack}: stranger ${s.who} → ${r.edge.action} → ${r.edge.resourceLabel} (${r.edge.via}): ${s.outcome}${s.detail ? ` ${s.detail}` : ''}`);
      }
    }
  }
  return out;
}

/** Every edge that could not be modelled, by name, with the reason. */
export function notModelledOf(results: EdgeResult[]): string[] {
  return [...new Set(results.filter((r) => r.outcome === 'not modelled')
    .map((r) => `${r.edge.stack}: ${r.edge.caller.label} → ${r.edge.action} → ${r.edge.resourceLabel}: not modelled: ${r.detail}`))];
}

/**
 * A per-stack table of the edges: caller → action → resource → result, and how many strangers
 * were denied. Identical rows (e.g. the same topic from many alarms) are collapsed with a count.
 */
export function formatEdgeTable(results: EdgeResult[]): string {
  const lines: string[] = [];
  const stacks = [...new Set(results.map((r) => r.edge.stack))];
  for (const stack of stacks) {
    const rows = new Map<string, { cells: string[]; count: number }>();
    const ofStack = results.filter((r) => r.edge.stack === stack);
    for (const r of ofStack) {
      const denied = r.strangers.filter((s) => s.outcome === 'ImplicitlyDenied' || s.outcome === 'ExplicitlyDenied').length;
      const strangers = r.outcome === 'Allowed' ? `${denied}/${r.strangers.length} denied` : '';
      const result = r.outcome === 'not modelled' ? `not modelled: ${r.detail}` : r.outcome;
      const cells = [r.edge.caller.label, r.edge.action, r.edge.resourceLabel, result, strangers];
      const key = cells.join('\u0000');
      const row = rows.get(key);
      if (row) row.count++;
      else rows.set(key, { cells, count: 1 });
    }
    const table = [...rows.values()].map(({ cells, count }) => [count > 1 ? `${cells[0]} (×${count})` : cells[0], ...cells.slice(1)]);
    const header = ['caller', 'action', 'resource', 'result', 'strangers'];
    const widths = header.map((h, i) => Math.min(70, Math.max(h.length, ...table.map((row) => row[i].length))));
    const fmt = (row: string[]) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
    const allowed = ofStack.filter((r) => r.outcome === 'Allowed').length;
    const notModelled = ofStack.filter((r) => r.outcome === 'not modelled').length;
    lines.push(`== ${stack}: ${ofStack.length} edges, ${allowed} allowed, ${ofStack.length - allowed - notModelled} not allowed, ${notModelled} not modelled`);
    lines.push(fmt(header));
    for (const row of table) lines.push(fmt(row));
    lines.push('');
  }
  return lines.join('\n');
}

class Evaluator {
  private readonly rolesByStack = new Map<string, ModelResource[]>();
  private readonly edgeResources = new Map<string, Set<string>>();

  constructor(private readonly model: SeamModel, edges: Edge[]) {
    for (const e of edges) {
      if (e.caller.kind !== 'role') continue;
      const roles = this.rolesByStack.get(e.stack) ?? [];
      if (!roles.includes(e.caller.role)) roles.push(e.caller.role);
      this.rolesByStack.set(e.stack, roles);
      const key = labelOf(e.caller.role);
      const set = this.edgeResources.get(key) ?? new Set<string>();
      set.add(this.resourceKey(e.resource));
      this.edgeResources.set(key, set);
    }
    for (const roles of this.rolesByStack.values()) roles.sort((a, b) => a.logicalId.localeCompare(b.logicalId));
  }

  public async evaluate(edge: Edge): Promise<EdgeResult> {
    if (edge.notModelled) return { edge, outcome: 'not modelled', detail: edge.notModelled, strangers: [] };
    const resourcePolicy = this.resourcePolicy(edge);
    if (resourcePolicy.note && !resourcePolicy.policy) return { edge, outcome: 'not modelled', detail: resourcePolicy.note, strangers: [] };
    const identity = edge.caller.kind === 'role' ? this.identityPolicies(edge.caller.role) : { policies: [] };
    const principal = edge.caller.kind === 'role' ? this.sessionArn(edge.caller.role) : edge.caller.principal;
    const context = {
      'aws:SecureTransport': 'true',
      ...(edge.caller.kind === 'service' ? { 'aws:PrincipalServiceName': edge.caller.principal } : {}),
      ...edge.context,
    };
    const main = await this.run(principal, identity.policies, resourcePolicy, edge, context);
    if (main.outcome !== 'Allowed') {
      const notes = [main.detail, identity.note].filter(Boolean).join('; ');
      if (identity.note) return { edge, outcome: 'not modelled', detail: notes, strangers: [] };
      return { edge, outcome: main.outcome, detail: notes || undefined, strangers: [] };
    }
    const strangers: StrangerResult[] = [];
    const viaKeys = Object.fromEntries(Object.entries(edge.context).filter(([k]) => k === 'kms:ViaService'));
    // Another account, whose own IAM allows it everything: only the resource side can let it in.
    const other = `arn:aws:sts::${STRANGER_ACCOUNT}:assumed-role/SeamsStranger/seams`;
    strangers.push({
      who: 'another account',
      ...await this.run(other, [{ name: 'AllowAll', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }], resourcePolicy, edge, {
        'aws:SecureTransport': 'true',
        'aws:PrincipalAccount': STRANGER_ACCOUNT,
        'aws:PrincipalArn': `arn:aws:iam::${STRANGER_ACCOUNT}:role/SeamsStranger`,
        ...viaKeys,
        ...(viaKeys['kms:ViaService'] ? { 'kms:CallerAccount': STRANGER_ACCOUNT } : {}),
      }),
    });
    strangers.push({ who: 'anonymous', ...await this.run(anonymousPrincipal, [], resourcePolicy, edge, { 'aws:SecureTransport': 'true', ...viaKeys }) });
    const unrelated = this.unrelatedRole(edge);
    if (/:key\/aws-managed-/.test(edge.resource)) {
      // An AWS managed key lets every principal of the account use it through its service, by
      // design: the queue, topic or secret guards the data, and its own edge checks the stranger.
    } else if (unrelated) {
      const s = this.model.stack(unrelated.stack);
      strangers.push({
        who: `unrelated role ${unrelated.logicalId}`,
        ...await this.run(this.sessionArn(unrelated), this.identityPolicies(unrelated).policies, resourcePolicy, edge, {
          'aws:SecureTransport': 'true',
          'aws:PrincipalAccount': s.account,
          'aws:PrincipalArn': this.model.attribute(unrelated.stack, unrelated.logicalId, 'Arn'),
          ...viaKeys,
          ...(viaKeys['kms:ViaService'] ? { 'kms:CallerAccount': s.account } : {}),
        }),
      });
    } else {
      const s = this.model.stack(edge.stack);
      strangers.push({
        who: 'a role of the account without policies',
        ...await this.run(`arn:aws:sts::${s.account}:assumed-role/SeamsUnrelated/seams`, [], resourcePolicy, edge, {
          'aws:SecureTransport': 'true', 'aws:PrincipalAccount': s.account, ...viaKeys,
        }),
      });
    }
    if (edge.caller.kind === 'service' && typeof edge.context['aws:SourceArn'] === 'string') {
      strangers.push({
        who: `${edge.caller.principal} for another account`,
        ...await this.run(edge.caller.principal, [], resourcePolicy, edge, {
          ...context,
          'aws:SourceArn': strangerArn(edge.context['aws:SourceArn']),
          'aws:SourceAccount': STRANGER_ACCOUNT,
        }),
      });
    }
    return { edge, outcome: 'Allowed', strangers };
  }

  private async run(
    principal: Simulation['request']['principal'], identityPolicies: { name: string; policy: any }[], resourcePolicy: PolicyLookup, edge: Edge,
    context: Record<string, string | string[]>,
  ): Promise<{ outcome: Outcome; detail?: string }> {
    const simulation: Simulation = {
      request: {
        principal, action: edge.action, resource: { resource: edge.resource, accountId: resourcePolicy.account }, contextVariables: context,
      },
      identityPolicies: typeof principal === 'string' && !principal.endsWith('.amazonaws.com') ? identityPolicies : [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: resourcePolicy.policy,
    };
    const response = await runSimulation(simulation, {});
    if (response.resultType === 'error') return { outcome: 'error', detail: JSON.stringify(response.errors).slice(0, 600) };
    return { outcome: response.overallResult as Outcome };
  }

  /** A role of the same stack that has no edge to the same resource, e.g. another function's role. */
  private unrelatedRole(edge: Edge): ModelResource | undefined {
    const key = this.resourceKey(edge.resource);
    const trustOf = edge.action === 'sts:AssumeRole' ? this.model.find(edge.resource) : undefined;
    return (this.rolesByStack.get(edge.stack) ?? []).find((role) => (edge.caller.kind !== 'role' || role !== edge.caller.role)
      && role !== trustOf
      && !this.edgeResources.get(labelOf(role))?.has(key));
  }

  private resourceKey(resource: string): string {
    const r = this.model.find(resource);
    return r ? labelOf(r) : resource;
  }

  private sessionArn(role: ModelResource): string {
    const s = this.model.stack(role.stack);
    return `arn:${partitionOf(s.region)}:sts::${s.account}:assumed-role/${this.model.attribute(role.stack, role.logicalId, 'Ref')}/seams`;
  }

  /** Inline policies, AWS::IAM::Policy / ManagedPolicy attached to the role, managed policy ARNs. */
  private identityPolicies(role: ModelResource): { policies: { name: string; policy: any }[]; note?: string } {
    return identityPoliciesOf(this.model, role);
  }

  /** The resource-based policy that applies to the edge's resource, and the resource's account. */
  private resourcePolicy(edge: Edge): PolicyLookup {
    const callerAccount = edge.caller.kind === 'role' ? this.model.stack(edge.caller.role.stack).account : this.model.stack(edge.stack).account;
    if (edge.resource === '*') return { account: callerAccount };
    const r = this.model.find(edge.resource);
    if (!r) {
      const managed = /^arn:[^:]+:kms:([^:]+):(\d{12}):key\/aws-managed-([a-z0-9-]+)$/.exec(edge.resource);
      if (managed) return { account: managed[2], policy: awsManagedKeyPolicy(managed[2], managed[1], managed[3]) };
      const account = edge.resource.split(':')[4];
      return { account: /^\d{12}$/.test(account ?? '') ? account : callerAccount };
    }
    const account = this.model.stack(r.stack).account;
    return { account, ...resourcePolicyOf(this.model, r, edge.action) };
  }
}

/** The same kind of ARN in the stranger's account, naming another resource. */
export function strangerArn(arn: string): string {
  const parts = arn.split(':');
  if (parts[2] === 's3') return `arn:${parts[1]}:s3:::seams-stranger-bucket`;
  if (parts.length >= 6) {
    parts[4] = STRANGER_ACCOUNT;
    parts[parts.length - 1] = parts[parts.length - 1].replace(/[^/]+$/, 'seams-stranger');
  }
  return parts.join(':');
}
