import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';

/** One cdk-nag finding: `RuleId[finding] at /construct/path`. */
export interface NagFinding {
  readonly rule: string;
  readonly severity: string;
  readonly path: string;
}

/**
 * Runs the AwsSolutions and Serverless packs over a scope (after the stacks in it have been
 * synthesized, so aspects and lazy values are in place) and returns every finding.
 */
export function nagFindings(scope: IConstruct): NagFinding[] {
  // Synthesize every stack in the tree so aspects and lazy properties have run.
  for (const c of scope.node.findAll()) {
    if (Stack.isStack(c)) Template.fromStack(c);
  }
  const findings: NagFinding[] = [];
  for (const pack of [new AwsSolutionsChecks(), new ServerlessChecks()]) {
    for (const violation of pack.validateScope(scope).violations) {
      for (const resource of violation.violatingResources) {
        findings.push({ rule: violation.ruleName, severity: violation.severity ?? 'error', path: resource.constructPath ?? '' });
      }
    }
  }
  return findings;
}

/** The cdk-nag gate: the error-level findings, as `Rule at path` lines (an empty list passes). */
export function nagErrors(scope: IConstruct): string[] {
  return nagFindings(scope).filter((f) => f.severity === 'error').map((f) => `${f.rule} at ${f.path}`);
}
