import { Validations } from 'aws-cdk-lib';
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
