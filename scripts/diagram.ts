/**
 * Turns a synthesized CloudFormation template into a Mermaid flowchart: the resources a reader
 * cares about as nodes, and the event flows between them as edges (event source mappings,
 * redrive to DLQs, subscriptions, routes, rules, schedules, notifications, on-failure
 * destinations, state machine tasks, origins, and what a function's environment points at).
 * Generated from the template, so a pattern's docs cannot drift from its code.
 */

import { refOf, refsIn } from '../src/guardrails/template-view';

type Json = any;

interface NodeKind {
  readonly label: string;
  readonly shape: 'box' | 'store' | 'entry' | 'queue';
}

/** Resource types shown as nodes, with how they are drawn. Everything else is left out. */
const NODE_TYPES: Record<string, NodeKind> = {
  'AWS::Lambda::Function': { label: 'Lambda function', shape: 'box' },
  'AWS::SQS::Queue': { label: 'SQS queue', shape: 'queue' },
  'AWS::SNS::Topic': { label: 'SNS topic', shape: 'queue' },
  'AWS::DynamoDB::Table': { label: 'DynamoDB table', shape: 'store' },
  'AWS::S3::Bucket': { label: 'S3 bucket', shape: 'store' },
  'AWS::ApiGatewayV2::Api': { label: 'HTTP API', shape: 'entry' },
  'AWS::ApiGateway::RestApi': { label: 'REST API', shape: 'entry' },
  'AWS::Events::EventBus': { label: 'EventBridge bus', shape: 'queue' },
  'AWS::Events::Rule': { label: 'EventBridge rule', shape: 'box' },
  'AWS::Scheduler::Schedule': { label: 'EventBridge Scheduler schedule', shape: 'entry' },
  'AWS::StepFunctions::StateMachine': { label: 'Step Functions state machine', shape: 'box' },
  'AWS::CloudFront::Distribution': { label: 'CloudFront distribution', shape: 'entry' },
  'AWS::CloudFront::Function': { label: 'CloudFront function', shape: 'box' },
  'AWS::RDS::DBProxy': { label: 'RDS Proxy', shape: 'box' },
  'AWS::RDS::DBCluster': { label: 'Aurora cluster', shape: 'store' },
  'AWS::RDS::DBInstance': { label: 'RDS instance', shape: 'store' },
};

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  readonly dashed: boolean;
}

/** Logical ids referenced anywhere in a value (the guardrails' reference finder, shared). */
export { refsIn as referencedIds };

/**
 * A readable name: the construct path below the stack and the pattern, without `/Resource`.
 * Undefined for a resource outside the pattern (e.g. aws-cdk-lib's stack-level custom resource
 * handlers), which the diagram leaves out.
 */
function labelOf(logicalId: string, resource: Json, dropPrefix: number): string | undefined {
  const path: string | undefined = resource.Metadata?.['aws:cdk:path'];
  if (!path) return logicalId;
  const parts = path.split('/').slice(1 + dropPrefix).filter((p) => p !== 'Resource' && p !== 'Default');
  return parts.length ? parts.join('/') : undefined;
}

function nodeId(label: string): string {
  return label.replace(/[^A-Za-z0-9]/g, '_');
}

function shape(id: string, text: string, kind: NodeKind): string {
  const body = `"${text}<br/><small>${kind.label}</small>"`;
  switch (kind.shape) {
    case 'store': return `${id}[(${body})]`;
    case 'entry': return `${id}([${body}])`;
    case 'queue': return `${id}[[${body}]]`;
    default: return `${id}[${body}]`;
  }
}

/**
 * The Mermaid flowchart of a template. `dropPrefix` removes that many construct-path segments
 * below the stack from labels (1 drops the pattern's own id).
 */
export function templateToMermaid(template: Json, dropPrefix = 1): string {
  const resources: Record<string, Json> = template.Resources ?? {};
  const nodes = new Map<string, { id: string; text: string; kind: NodeKind }>();
  for (const [logicalId, r] of Object.entries(resources)) {
    const kind = NODE_TYPES[r.Type];
    if (!kind) continue;
    const text = labelOf(logicalId, r, dropPrefix);
    if (text === undefined) continue;
    nodes.set(logicalId, { id: nodeId(text), text, kind });
  }
  const edges: Edge[] = [];
  const add = (from: string | undefined, to: string | undefined, label: string, dashed = false) => {
    if (from && to && nodes.has(from) && nodes.has(to) && from !== to) {
      edges.push({ from: nodes.get(from)!.id, to: nodes.get(to)!.id, label, dashed });
    }
  };
  const one = (value: Json): string | undefined => refOf(value);
  const integrations = new Map<string, Json>();
  for (const [id, r] of Object.entries(resources)) if (r.Type === 'AWS::ApiGatewayV2::Integration') integrations.set(id, r);

  for (const [logicalId, r] of Object.entries(resources)) {
    const p = r.Properties ?? {};
    switch (r.Type) {
      case 'AWS::Lambda::EventSourceMapping':
        add(one(p.EventSourceArn), one(p.FunctionName), p.FunctionResponseTypes?.includes('ReportBatchItemFailures') ? 'batches, partial failures' : 'batches');
        if (p.DestinationConfig?.OnFailure?.Destination) add(one(p.FunctionName), one(p.DestinationConfig.OnFailure.Destination), 'failed batches', true);
        break;
      case 'AWS::SQS::Queue':
        if (p.RedrivePolicy) add(logicalId, one(p.RedrivePolicy.deadLetterTargetArn), `after ${p.RedrivePolicy.maxReceiveCount} receives`, true);
        break;
      case 'AWS::SNS::Subscription':
        add(one(p.TopicArn), one(p.Endpoint), p.FilterPolicy ? 'filtered subscription' : 'subscription');
        if (p.RedrivePolicy) add(one(p.TopicArn), one(p.RedrivePolicy.deadLetterTargetArn), 'undeliverable', true);
        break;
      case 'AWS::ApiGatewayV2::Route': {
        const integration = integrations.get(one(p.Target) ?? '');
        add(one(p.ApiId), one(integration?.Properties?.IntegrationUri), String(p.RouteKey));
        break;
      }
      case 'AWS::Events::Rule':
        add(one(p.EventBusName), logicalId, 'events');
        for (const target of p.Targets ?? []) {
          add(logicalId, one(target.Arn), 'target');
          if (target.DeadLetterConfig) add(logicalId, one(target.DeadLetterConfig.Arn), 'undeliverable', true);
        }
        break;
      case 'AWS::Scheduler::Schedule':
        add(logicalId, one(p.Target?.Arn), String(p.ScheduleExpression ?? 'schedule'));
        if (p.Target?.DeadLetterConfig) add(logicalId, one(p.Target.DeadLetterConfig.Arn), 'failed after retries', true);
        break;
      case 'AWS::Lambda::EventInvokeConfig':
        add(one(p.FunctionName), one(p.DestinationConfig?.OnFailure?.Destination), 'on failure', true);
        add(one(p.FunctionName), one(p.DestinationConfig?.OnSuccess?.Destination), 'on success');
        break;
      case 'Custom::S3BucketNotifications':
        for (const q of p.NotificationConfiguration?.QueueConfigurations ?? []) add(one(p.BucketName), one(q.QueueArn), 'object created');
        for (const l of p.NotificationConfiguration?.LambdaFunctionConfigurations ?? []) add(one(p.BucketName), one(l.LambdaFunctionArn), 'object created');
        break;
      case 'AWS::StepFunctions::StateMachine':
        for (const ref of refsIn(p.DefinitionString ?? p.Definition)) add(logicalId, ref, 'invokes');
        break;
      case 'AWS::CloudFront::Distribution': {
        const config = p.DistributionConfig ?? {};
        for (const origin of config.Origins ?? []) add(logicalId, one(origin.DomainName), 'origin');
        for (const behavior of [config.DefaultCacheBehavior, ...(config.CacheBehaviors ?? [])]) {
          for (const fa of behavior?.FunctionAssociations ?? []) add(logicalId, one(fa.FunctionARN), String(fa.EventType));
        }
        if (config.Logging) add(logicalId, one(config.Logging.Bucket), 'standard logs', true);
        break;
      }
      case 'AWS::Lambda::Function':
        for (const ref of refsIn(p.Environment)) add(logicalId, ref, 'uses', true);
        if (p.DeadLetterConfig) add(logicalId, one(p.DeadLetterConfig.TargetArn), 'on failure', true);
        break;
      case 'AWS::S3::Bucket':
        if (p.LoggingConfiguration) add(logicalId, one(p.LoggingConfiguration.DestinationBucketName), 'access logs', true);
        break;
      case 'AWS::RDS::DBProxyTargetGroup':
        add(one(p.DBProxyName), one(p.DBClusterIdentifiers ?? p.DBInstanceIdentifiers), 'pools connections');
        break;
      default:
        break;
    }
  }

  const alarms = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
  const lines = ['flowchart LR'];
  for (const n of [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id))) lines.push(`  ${shape(n.id, n.text, n.kind)}`);
  if (alarms.length > 0) {
    lines.push(`  Alarms{{"${alarms.length} CloudWatch alarms"}}`);
    const topics = new Set(alarms.flatMap((a) => [...refsIn(a.Properties?.AlarmActions ?? [])]));
    for (const t of [...topics].sort()) if (nodes.has(t)) edges.push({ from: 'Alarms', to: nodes.get(t)!.id, label: 'notify', dashed: true });
  }
  const seen = new Set<string>();
  const sorted = edges.sort((a, b) => `${a.from}>${a.to}>${a.label}`.localeCompare(`${b.from}>${b.to}>${b.label}`));
  for (const e of sorted) {
    const key = `${e.from}>${e.to}>${e.label}`;
    if (seen.has(key)) continue;
    seen.add(key);
    lines.push(e.dashed ? `  ${e.from} -. "${e.label}" .-> ${e.to}` : `  ${e.from} -- "${e.label}" --> ${e.to}`);
  }
  return lines.join('\n');
}
