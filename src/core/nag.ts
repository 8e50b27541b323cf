import { Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** One cdk-nag finding this library acknowledges on a construct, with the reason. */
export interface NagAcknowledgement {
  /** The rule id, e.g. `AwsSolutions-SQS3` or `Serverless-LambdaDLQ`. */
  readonly id: string;
  /** Why the finding is acceptable here, in words a security reviewer accepts. */
  readonly reason: string;
  /** Limit the acknowledgement to these findings of the rule (e.g. `Resource::*` for IAM5). */
  readonly appliesTo?: string[];
}

/**
 * Acknowledges cdk-nag findings on a construct and its children through aws-cdk-lib's
 * `Validations.of(scope).acknowledge()`, which cdk-nag 3 reads; the library needs no runtime
 * dependency on cdk-nag. Each acknowledgement names one rule (or one finding of a rule), never a
 * whole class of findings for a whole stack.
 */
export function acknowledgeNagFindings(construct: IConstruct, acknowledgements: NagAcknowledgement[]): void {
  const rules = acknowledgements.flatMap((a) => (a.appliesTo ? a.appliesTo.map((finding) => `${a.id}[${finding}]`) : [a.id])
    .map((id) => ({ id, reason: a.reason })));
  if (rules.length === 0) return;
  // `acknowledge` renders a call stack per rule for the metadata entry it records, and the
  // constructs library drops it (`addMetadata` keeps a trace only with `stackTrace: true`): with
  // V8's frame limit at 0 that capture costs nothing. It was ~2% of a whole-app synth
  // (bench/synth.ts), paid once per rule of every function, queue and bucket.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    Validations.of(construct).acknowledge(...rules);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * How cdk-nag names a resource in an IAM finding (`appliesTo`), e.g. `Resource::<FnABC123.Arn>:*`
 * for `fn.functionArn` + `:*`: a `Fn::GetAtt` becomes `<LogicalId.Attr>`, a `Ref` `<LogicalId>`,
 * a literal stays as it is. Undefined for anything else (the finding is then left visible).
 */
export function nagResourceFinding(scope: IConstruct, arn: string, suffix = ''): string | undefined {
  const resolved = Stack.of(scope).resolve(arn) as unknown;
  if (typeof resolved === 'string') return `Resource::${resolved}${suffix}`;
  const getAtt = (resolved as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (getAtt) return `Resource::<${getAtt[0]}.${getAtt[1]}>${suffix}`;
  const ref = (resolved as { Ref?: string }).Ref;
  if (typeof ref === 'string') return `Resource::<${ref}>${suffix}`;
  return undefined;
}

/**
 * A resolved CloudFormation value written the way cdk-nag names it in findings: `Ref X` as `<X>`,
 * `Fn::GetAtt [X, A]` as `<X.A>`, `Fn::Join` concatenated, `${X}` in `Fn::Sub` as `<X>`.
 */
export function nagText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(nagText).join('');
  const v = value as Record<string, any>;
  if (typeof v?.Ref === 'string') return `<${v.Ref}>`;
  if (Array.isArray(v?.['Fn::GetAtt'])) return `<${v['Fn::GetAtt'][0]}.${v['Fn::GetAtt'][1]}>`;
  if (Array.isArray(v?.['Fn::Join'])) return (v['Fn::Join'][1] as unknown[]).map(nagText).join(v['Fn::Join'][0]);
  if (v?.['Fn::Sub'] !== undefined) return String(Array.isArray(v['Fn::Sub']) ? v['Fn::Sub'][0] : v['Fn::Sub']).replace(/\$\{([^}]+)\}/g, '<$1>');
  return JSON.stringify(value);
}

/**
 * The IAM5 findings (wildcard actions and resources) of a policy as cdk-nag names them, so each can
 * be acknowledged one by one on a policy the library does not write itself.
 */
export function wildcardFindingsOf(scope: IConstruct, policyDocument: unknown): string[] {
  const doc = Stack.of(scope).resolve(policyDocument) as { Statement?: { Action?: unknown; Resource?: unknown }[] };
  const findings = new Set<string>();
  for (const statement of doc?.Statement ?? []) {
    for (const action of [statement.Action ?? []].flat()) {
      if (typeof action === 'string' && action.includes('*')) findings.add(`Action::${action}`);
    }
    for (const resource of [statement.Resource ?? []].flat()) {
      const text = nagText(resource);
      if (text.includes('*')) findings.add(`Resource::${text}`);
    }
  }
  return [...findings].sort();
}
