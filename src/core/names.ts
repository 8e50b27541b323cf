import { Names, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Physical names this library sets itself, where CloudFormation would not generate a unique one.
 * Each is derived from the construct's unique path (stack name, path, hash), so two instances of a
 * construct never collide, and account-wide names also carry the region, so the same stack in a
 * second region does not collide either.
 */

/**
 * The RDS Proxy name of a construct. RDS Proxy names are unique per account and region, and
 * aws-cdk-lib names a proxy after its construct id ('Proxy') unless a feature flag is on: a second
 * proxy in the account and region failed. At most 60 characters, lowercase letters, digits and
 * single hyphens, starting with a letter, not ending with a hyphen.
 */
export function uniqueProxyName(scope: IConstruct): string {
  const name = Names.uniqueResourceName(scope, { maxLength: 60, separator: '-' })
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '')
    .replace(/-+/g, '-')
    .replace(/^[^a-z]+/, '');
  return (/^[a-z]/.test(name) ? name : `proxy-${name}`).slice(0, 60).replace(/-+$/, '');
}

/** The longest region name (`ap-southeast-7`, `eusc-de-east-1`), reserved when the region is a token. */
const MAX_REGION_LENGTH = 14;

/**
 * An account-wide name (CloudFront response-headers policies, origin access controls, key groups,
 * public keys): the region, the construct's unique name and `suffix`, at most `maxLength`
 * characters of letters, digits, hyphens and underscores. In a stack without a region the region
 * is the `AWS::Region` token, resolved by CloudFormation.
 */
export function regionalName(scope: IConstruct, suffix: string, maxLength: number): string {
  const region = Stack.of(scope).region;
  const regionLength = Token.isUnresolved(region) ? MAX_REGION_LENGTH : region.length;
  const unique = Names.uniqueResourceName(scope, {
    maxLength: maxLength - regionLength - suffix.length - 2, separator: '-', allowedSpecialCharacters: '_',
  });
  return `${region}-${unique}-${suffix}`;
}

/**
 * A log group name under `/aws/vendedlogs/<service>/`, unique per stack and construct. Services
 * that deliver logs through CloudWatch Logs' vended-log mechanism (Step Functions, API Gateway
 * access logs) add a statement to the account's CloudWatch Logs resource policy, which holds at
 * most 5,120 characters, for each log group elsewhere; for `/aws/vendedlogs/*` one statement
 * covers them all (CloudWatch Logs User Guide, "Logging that requires additional permissions").
 */
export function vendedLogGroupName(scope: IConstruct, service: string): string {
  const prefix = `/aws/vendedlogs/${service}/`;
  return `${prefix}${Names.uniqueResourceName(scope, { maxLength: 512 - prefix.length, separator: '-', allowedSpecialCharacters: '_' })}`;
}
