/**
 * Which policies apply to a request, read from the templates: a role's identity policies (inline,
 * AWS::IAM::Policy and ::ManagedPolicy attached to it, the AWS managed policies whose statements
 * are known) and a resource's policy (queue, topic, bucket, key, secret, table, bus, function
 * permissions, trust policy). Shared by the local cloud's IAM enforcement (iam.ts) and the seams
 * simulation (test/seams/simulate.ts), each over its own resolved model of the templates: the
 * seams model with the ARNs AWS would produce, the local cloud with the local ones.
 *
 * No policy evaluation here (that is @cloud-copilot/iam-simulate's, AGPL-3.0, which the shipped
 * local package does not depend on).
 */

/** A resource of the templates, as the policy lookup reads it. */
export interface PolicyResource {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  /** The raw (unresolved) properties. */
  readonly properties: Record<string, any>;
}

/** A resolved view of the templates. */
export interface PolicyModel<R extends PolicyResource = PolicyResource> {
  /** Every resource of a type, across the stacks. */
  resources(type: string): R[];
  /** A property of a resource, resolved. */
  prop(r: R, name: string): any;
  /** A `Ref` (attr `Ref`) or `Fn::GetAtt` value of a resource. */
  attribute(stack: string, logicalId: string, attr: string): string;
  /** A policy document, resolved, with a Version. */
  policyDocument(stack: string, doc: unknown): any;
  stack(name: string): { readonly account: string; readonly region: string };
}

/** A policy as the simulator takes it. */
export interface NamedPolicy {
  readonly name: string;
  readonly policy: any;
}

/** Well-known AWS managed policies whose statements are held here. */
export const AWS_MANAGED_POLICIES: Record<string, any> = {
  'service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }],
  },
};

/** The partition of a region. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('eusc-')) return 'aws-eusc';
  return 'aws';
}

/**
 * A role's identity policies: inline Policies, AWS::IAM::Policy / ManagedPolicy resources that
 * name it in Roles, and its ManagedPolicyArns (AWS managed ones only when their statements are
 * known). `note` says what could not be included (an unknown managed policy, a boundary).
 */
export function identityPoliciesOf<R extends PolicyResource>(model: PolicyModel<R>, role: R): { policies: NamedPolicy[]; note?: string } {
  const policies: NamedPolicy[] = [];
  const notes: string[] = [];
  const roleName = model.attribute(role.stack, role.logicalId, 'Ref');
  for (const inline of model.prop(role, 'Policies') ?? []) {
    policies.push({ name: inline.PolicyName, policy: { Version: '2012-10-17', ...inline.PolicyDocument } });
  }
  const customerManaged = new Set<string>();
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const p of model.resources(type)) {
      if (type === 'AWS::IAM::ManagedPolicy') customerManaged.add(model.attribute(p.stack, p.logicalId, 'Ref'));
      const roles: unknown[] = model.prop(p, 'Roles') ?? [];
      if (roles.includes(roleName)) policies.push({ name: `${p.stack}/${p.logicalId}`, policy: model.policyDocument(p.stack, p.properties.PolicyDocument) });
    }
  }
  for (const arn of model.prop(role, 'ManagedPolicyArns') ?? []) {
    if (customerManaged.has(String(arn))) continue; // attached through its Roles above
    const name = /^arn:[^:]+:iam::aws:policy\/(.+)$/.exec(String(arn))?.[1];
    if (name && AWS_MANAGED_POLICIES[name]) policies.push({ name, policy: AWS_MANAGED_POLICIES[name] });
    else notes.push(`the role has the managed policy ${String(arn)}, whose statements are not held here`);
  }
  if (model.prop(role, 'PermissionsBoundary')) notes.push('the role has a permissions boundary, which is not evaluated');
  return { policies, note: notes.length ? notes.join('; ') : undefined };
}

/**
 * The resource-based policy of a resource (for `action`: `sts:AssumeRole` on a role reads its
 * trust policy), as AWS would apply it: a topic without a TopicPolicy gets SNS's default policy,
 * a key without a KeyPolicy the default key policy. `note` is set when the policy cannot be told.
 */
export function resourcePolicyOf<R extends PolicyResource>(model: PolicyModel<R>, r: R, action: string): { policy?: any; note?: string } {
  const ref = () => model.attribute(r.stack, r.logicalId, 'Ref');
  const attached = (type: string, prop: string, matches: (v: any) => boolean) => model.resources(type).filter((p) => matches(model.prop(p, prop)));
  if (action === 'sts:AssumeRole' && r.type === 'AWS::IAM::Role') {
    return { policy: model.policyDocument(r.stack, r.properties.AssumeRolePolicyDocument) };
  }
  switch (r.type) {
    case 'AWS::SQS::Queue': {
      const url = ref();
      const found = attached('AWS::SQS::QueuePolicy', 'Queues', (qs) => Array.isArray(qs) && qs.includes(url));
      if (found.length > 1) return { note: `${found.length} AWS::SQS::QueuePolicy resources set the policy of one queue: the last one deployed wins` };
      return { policy: found[0] ? model.policyDocument(found[0].stack, found[0].properties.PolicyDocument) : undefined };
    }
    case 'AWS::SNS::Topic': {
      const arn = ref();
      const found = attached('AWS::SNS::TopicPolicy', 'Topics', (ts) => Array.isArray(ts) && ts.includes(arn));
      if (found.length > 1) return { note: `${found.length} AWS::SNS::TopicPolicy resources set the policy of one topic: the last one deployed wins` };
      if (found.length === 0) return { policy: snsDefaultPolicy(arn, model.stack(r.stack).account) };
      return { policy: model.policyDocument(found[0].stack, found[0].properties.PolicyDocument) };
    }
    case 'AWS::S3::Bucket': {
      const name = ref();
      const found = attached('AWS::S3::BucketPolicy', 'Bucket', (b) => b === name);
      return { policy: found[0] ? model.policyDocument(found[0].stack, found[0].properties.PolicyDocument) : undefined };
    }
    case 'AWS::KMS::Key': {
      const s = model.stack(r.stack);
      const policy = r.properties.KeyPolicy ? model.policyDocument(r.stack, r.properties.KeyPolicy) : defaultKeyPolicy(s.account, s.region);
      return { policy: typeof policy === 'string' ? JSON.parse(policy) : policy };
    }
    case 'AWS::SecretsManager::Secret': {
      const arn = ref();
      const found = attached('AWS::SecretsManager::ResourcePolicy', 'SecretId', (id) => id === arn);
      return { policy: found[0] ? model.policyDocument(found[0].stack, found[0].properties.ResourcePolicy) : undefined };
    }
    case 'AWS::Lambda::Function':
      return { policy: lambdaPolicy(model, r) };
    case 'AWS::DynamoDB::Table': {
      const doc = r.properties.ResourcePolicy?.PolicyDocument;
      return { policy: doc ? model.policyDocument(r.stack, doc) : undefined };
    }
    case 'AWS::Events::EventBus': {
      const name = ref();
      const statements = attached('AWS::Events::EventBusPolicy', 'EventBusName', (n) => n === name)
        .map((p) => model.prop(p, 'Statement')).filter(Boolean);
      const own = model.prop(r, 'Policy');
      const doc = own ? (typeof own === 'string' ? JSON.parse(own) : own) : statements.length ? { Version: '2012-10-17', Statement: statements } : undefined;
      return { policy: doc };
    }
    default:
      return {};
  }
}

/** The function's resource policy, from its AWS::Lambda::Permission resources. */
function lambdaPolicy<R extends PolicyResource>(model: PolicyModel<R>, fn: R): any {
  const name = model.attribute(fn.stack, fn.logicalId, 'Ref');
  const arn = model.attribute(fn.stack, fn.logicalId, 'Arn');
  const statements = model.resources('AWS::Lambda::Permission')
    .filter((p) => {
      const target = model.prop(p, 'FunctionName');
      return target === name || target === arn || (typeof target === 'string' && target.startsWith(`${arn}:`));
    })
    .map((p) => {
      const principal = String(model.prop(p, 'Principal'));
      const condition: Record<string, Record<string, string>> = {};
      const sourceArn = model.prop(p, 'SourceArn');
      const sourceAccount = model.prop(p, 'SourceAccount');
      const orgId = model.prop(p, 'PrincipalOrgID');
      if (sourceArn) condition.ArnLike = { 'aws:SourceArn': sourceArn };
      if (sourceAccount) condition.StringEquals = { 'aws:SourceAccount': sourceAccount };
      if (orgId) condition.StringEquals = { ...condition.StringEquals, 'aws:PrincipalOrgID': orgId };
      return {
        Sid: p.logicalId,
        Effect: 'Allow',
        Principal: principal === '*' ? '*' : principal.endsWith('.amazonaws.com') ? { Service: principal } : { AWS: /^\d{12}$/.test(principal) ? `arn:aws:iam::${principal}:root` : principal },
        Action: model.prop(p, 'Action'),
        Resource: arn,
        ...(Object.keys(condition).length ? { Condition: condition } : {}),
      };
    });
  return statements.length ? { Version: '2012-10-17', Statement: statements } : undefined;
}

/** The default key policy (KMS CreateKey without a policy): the account root, i.e. IAM decides. */
export function defaultKeyPolicy(account: string, region: string): any {
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:${partitionOf(region)}:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }] };
}

/**
 * The policy of an AWS managed key (aws/sqs, aws/sns, aws/s3...): usable by principals of the
 * account through the service only, and never by a service principal (which is why S3, SNS,
 * EventBridge or CloudWatch cannot deliver to a queue or topic encrypted with it).
 */
export function awsManagedKeyPolicy(account: string, region: string, service: string): any {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:CreateGrant', 'kms:DescribeKey'],
        Resource: '*',
        Condition: { StringEquals: { 'kms:CallerAccount': account, 'kms:ViaService': `${service}.${region}.amazonaws.com` } },
      },
      { Effect: 'Allow', Principal: { AWS: `arn:${partitionOf(region)}:iam::${account}:root` }, Action: ['kms:Describe*', 'kms:Get*', 'kms:List*', 'kms:RevokeGrant'], Resource: '*' },
    ],
  };
}

/** The policy SNS gives a topic that has no AWS::SNS::TopicPolicy (principals of the owner account). */
export function snsDefaultPolicy(topicArn: string, account: string): any {
  return {
    Version: '2012-10-17',
    Statement: [{
      Sid: '__default_statement_ID',
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: ['SNS:GetTopicAttributes', 'SNS:SetTopicAttributes', 'SNS:AddPermission', 'SNS:RemovePermission', 'SNS:DeleteTopic', 'SNS:Subscribe', 'SNS:ListSubscriptionsByTopic', 'SNS:Publish'],
      Resource: topicArn,
      Condition: { StringEquals: { 'AWS:SourceOwner': account } },
    }],
  };
}
