import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/**
 * Lets Step Functions assume a state machine's role (the one aws-cdk-lib created) only for state
 * machines of the role's account and region: `aws:SourceAccount` and `aws:SourceArn` in its trust
 * policy, the cross-service confused-deputy conditions that aws-cdk-lib itself adds only in
 * releases after the library's floor. Every state machine the library creates goes through it, so
 * every accepted aws-cdk-lib version deploys the same trust policy (test/seams checks it: Step
 * Functions acting for another account is denied).
 */
export function trustOwnStateMachinesOnly(stateMachine: sfn.StateMachine): void {
  const role = stateMachine.role.node.defaultChild;
  if (!(role instanceof iam.CfnRole)) return;
  const stack = Stack.of(stateMachine);
  role.addPropertyOverride('AssumeRolePolicyDocument.Statement.0.Condition', {
    ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
    StringEquals: { 'aws:SourceAccount': stack.account },
  });
}
