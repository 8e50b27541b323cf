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
  for (const a of acknowledgements) {
    const ids = a.appliesTo ? a.appliesTo.map((finding) => `${a.id}[${finding}]`) : [a.id];
    for (const id of ids) {
      Validations.of(construct).acknowledge({ id, reason: a.reason });
    }
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
