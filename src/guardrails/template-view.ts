import { CfnResource, Stack } from 'aws-cdk-lib';

/** One CloudFormation resource of a stack, with its resolved properties and its construct. */
export interface ResourceView {
  readonly logicalId: string;
  readonly type: string;
  readonly properties: Record<string, any>;
  readonly resource: CfnResource;
}

/**
 * The stack's resources as CloudFormation will see them (properties resolved), so guardrail rules
 * work the same on constructs of this library, of aws-cdk-lib and on raw Cfn resources.
 */
export function resourcesOf(stack: Stack): Map<string, ResourceView> {
  const views = new Map<string, ResourceView>();
  for (const node of stack.node.findAll()) {
    if (!CfnResource.isCfnResource(node) || Stack.of(node) !== stack) continue;
    const rendered = stack.resolve((node as unknown as { _toCloudFormation(): any })._toCloudFormation()) as { Resources?: Record<string, any> };
    for (const [logicalId, r] of Object.entries(rendered.Resources ?? {})) {
      views.set(logicalId, { logicalId, type: r.Type, properties: r.Properties ?? {}, resource: node });
    }
  }
  return views;
}

/**
 * The logical ids a value refers to: `Ref`, `Fn::GetAtt` (array or `X.Attr` string form), and
 * `${X}` / `${X.Attr}` in `Fn::Sub`, including its variable map.
 */
export function refsIn(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) refsIn(v, found);
  } else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'Ref' && typeof v === 'string') {
        found.add(v);
      } else if (key === 'Fn::GetAtt') {
        found.add(Array.isArray(v) ? String(v[0]) : String(v).split('.')[0]);
      } else if (key === 'Fn::Sub') {
        const text = Array.isArray(v) ? v[0] : v;
        for (const m of String(text).matchAll(/\$\{([A-Za-z0-9]+)[.}]/g)) found.add(m[1]);
        if (Array.isArray(v)) refsIn(v[1], found);
      } else {
        refsIn(v, found);
      }
    }
  }
  return found;
}

/** The single logical id a value refers to, if any. */
export function refOf(value: unknown): string | undefined {
  return [...refsIn(value)][0];
}
