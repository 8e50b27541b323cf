/**
 * The IAM gates: one small HTTP front per service (SQS, SNS, S3, DynamoDB, EventBridge) between
 * the local functions' AWS SDK clients and the emulators. Each request is parsed in its protocol
 * (AWS JSON `X-Amz-Target` for SQS, DynamoDB and EventBridge; the SNS query protocol; S3 REST
 * path-style), its caller identified by the access key id of its SigV4 credential (each function
 * has its own, `LOCAL<n><logicalId>`), mapped to the IAM actions and resource ARNs AWS would
 * authorize, and checked (iam.ts). An allowed request is forwarded to the emulator unchanged; a
 * denied one is answered with the service's own AccessDenied error, so the SDK in the function
 * throws what it would throw in AWS.
 *
 * Each gate listens twice: its `secure` URL stands for the service's HTTPS endpoint
 * (`aws:SecureTransport` is `true`; this is what functions are given), its `plain` URL for the
 * plain-HTTP endpoint some AWS services also answer on (`aws:SecureTransport` is `false`, so a
 * policy that denies non-TLS requests denies them).
 *
 * Requests whose access key is not a function's (the local cloud's own clients, a test's clients)
 * are forwarded unchecked.
 */
import * as http from 'http';
import type { Server } from 'http';
import type { DeliverySink } from './deliveries';
import type { AuthorizationRequest, IamCaller, IamEnforcer, LocalPolicyModel } from './iam';
import { closeServer, listenOnLoopback } from './loopback';
import type { PolicyResource } from './policies';
import { FAUXQS_ACCOUNT } from './resolve';

export type GateService = 'sqs' | 'sns' | 's3' | 'dynamodb' | 'events';

/** A request as a gate sees it. */
export interface GateRequest {
  readonly method: string;
  /** Path and query. */
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** From the SigV4 credential scope (or the gate's default). */
  readonly region: string;
  /** The caller's account (of resources the templates do not hold). */
  readonly account: string;
  readonly secureTransport: boolean;
}

/** The SigV4 access key id and region of a request (Authorization header or presigned query). */
export function credentialOf(headers: http.IncomingHttpHeaders, url: string): { accessKeyId?: string; region?: string } {
  const auth = String(headers.authorization ?? '');
  let scope = /Credential=([^,\s]+)/.exec(auth)?.[1];
  if (!scope) scope = new URL(url, 'http://local').searchParams.get('X-Amz-Credential') ?? undefined;
  if (!scope) return {};
  const [accessKeyId, , region] = scope.split('/');
  return { accessKeyId, region };
}

/**
 * The resources of the templates the gates name requests after: queues by name, topics by ARN,
 * tables and buckets by name, buses by name, keys by ARN, id or alias.
 */
export class GateTargets {
  private readonly index = new Map<string, PolicyResource>();

  constructor(readonly model: LocalPolicyModel) {
    const add = (type: string, attr: string, key: (value: string) => string) => {
      for (const r of model.resources(type)) {
        const k = key(model.attribute(r.stack, r.logicalId, attr));
        if (!this.index.has(k)) this.index.set(k, r);
      }
    };
    add('AWS::SQS::Queue', 'QueueName', (v) => `sqs:${v}`);
    add('AWS::SNS::Topic', 'Ref', (v) => `sns:${v}`);
    add('AWS::DynamoDB::Table', 'Ref', (v) => `dynamodb:${v}`);
    add('AWS::DynamoDB::GlobalTable', 'Ref', (v) => `dynamodb:${v}`);
    add('AWS::S3::Bucket', 'Ref', (v) => `s3:${v}`);
    add('AWS::Events::EventBus', 'Ref', (v) => `events:${v}`);
    add('AWS::KMS::Key', 'Arn', (v) => `kms:${v}`);
    add('AWS::KMS::Key', 'Ref', (v) => `kms:${v}`);
    add('AWS::KMS::Alias', 'Ref', (v) => `kms-alias:${v}`);
  }

  get(kind: string, key: string): PolicyResource | undefined {
    return this.index.get(`${kind}:${key}`);
  }

  /** The customer managed key of an SSE setting (key ARN, id, alias name or ARN), if one of the templates'. */
  key(identifier: unknown): { target: PolicyResource; arn: string } | undefined {
    if (typeof identifier !== 'string' || identifier === '') return undefined;
    let key = this.get('kms', identifier);
    if (!key) {
      const alias = identifier.startsWith('alias/') ? identifier : /^arn:[^:]+:kms:[^:]+:[^:]+:(alias\/.+)$/.exec(identifier)?.[1];
      const aliasResource = alias ? this.get('kms-alias', alias) : undefined;
      if (aliasResource) key = this.get('kms', String(this.model.prop(aliasResource, 'TargetKeyId')));
    }
    return key ? { target: key, arn: this.model.attribute(key.stack, key.logicalId, 'Arn') } : undefined;
  }
}

/** KMS authorizations of a request on a resource encrypted with a customer managed key. */
function kmsRequests(targets: GateTargets, keyId: unknown, actions: string[], service: string, region: string): AuthorizationRequest[] {
  const key = targets.key(keyId);
  if (!key) return [];
  const account = targets.model.stack(key.target.stack).account;
  return actions.map((action) => ({
    action,
    resource: key.arn,
    target: key.target,
    context: { 'kms:ViaService': `${service}.${region}.amazonaws.com`, 'kms:CallerAccount': account },
  }));
}

const SQS_BATCH: Record<string, string> = { SendMessageBatch: 'SendMessage', DeleteMessageBatch: 'DeleteMessage', ChangeMessageVisibilityBatch: 'ChangeMessageVisibility' };

function jsonBody(req: GateRequest): Record<string, any> {
  try {
    return JSON.parse(req.body.toString('utf8') || '{}') as Record<string, any>;
  } catch {
    return {};
  }
}

function formBody(req: GateRequest): URLSearchParams {
  return new URLSearchParams(req.body.toString('utf8'));
}

/** The operation and input of an AWS JSON (X-Amz-Target) or query (Action=) request. */
function operationOf(req: GateRequest): { operation: string; input: Record<string, any> } {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string' && target.includes('.')) return { operation: target.slice(target.lastIndexOf('.') + 1), input: jsonBody(req) };
  const form = formBody(req);
  return { operation: form.get('Action') ?? '', input: Object.fromEntries(form.entries()) };
}

/** SQS: `sqs:<Operation>` (batches as their single action) on the queue of QueueUrl / QueueName. */
export function sqsRequests(targets: GateTargets, req: GateRequest): AuthorizationRequest[] {
  const { operation, input } = operationOf(req);
  if (!operation) return [];
  const action = `sqs:${SQS_BATCH[operation] ?? operation}`;
  if (operation === 'ListQueues') return [{ action, resource: '*' }];
  const name = input.QueueUrl ? String(input.QueueUrl).replace(/\/+$/, '').split('/').pop()! : input.QueueName ? String(input.QueueName) : undefined;
  if (!name) return [{ action, resource: '*' }];
  const target = targets.get('sqs', name);
  const resource = target ? targets.model.attribute(target.stack, target.logicalId, 'Arn') : `arn:aws:sqs:${req.region}:${FAUXQS_ACCOUNT}:${name}`;
  const out: AuthorizationRequest[] = [{ action, resource, target }];
  if (target) {
    const keyId = targets.model.prop(target, 'KmsMasterKeyId');
    if (action === 'sqs:SendMessage') out.push(...kmsRequests(targets, keyId, ['kms:GenerateDataKey', 'kms:Decrypt'], 'sqs', req.region));
    if (action === 'sqs:ReceiveMessage') out.push(...kmsRequests(targets, keyId, ['kms:Decrypt'], 'sqs', req.region));
  }
  return out;
}

/** SNS: `sns:<Action>` (PublishBatch as Publish) on TopicArn / TargetArn. */
export function snsRequests(targets: GateTargets, req: GateRequest): AuthorizationRequest[] {
  const { operation, input } = operationOf(req);
  if (!operation) return [];
  const action = `sns:${operation === 'PublishBatch' ? 'Publish' : operation}`;
  const arn = input.TopicArn ?? input.TargetArn ?? (input.Name ? `arn:aws:sns:${req.region}:${FAUXQS_ACCOUNT}:${String(input.Name)}` : undefined);
  if (!arn) return [{ action, resource: '*' }];
  const target = targets.get('sns', String(arn));
  const out: AuthorizationRequest[] = [{ action, resource: String(arn), target }];
  if (target && action === 'sns:Publish') {
    out.push(...kmsRequests(targets, targets.model.prop(target, 'KmsMasterKeyId'), ['kms:GenerateDataKey', 'kms:Decrypt'], 'sns', req.region));
  }
  return out;
}

/** DynamoDB: `dynamodb:<Operation>` on the table (or index) of each table the request names. */
export function dynamodbRequests(targets: GateTargets, req: GateRequest): AuthorizationRequest[] {
  const { operation, input } = operationOf(req);
  if (!operation) return [];
  const tableArn = (name: string, index?: string) => {
    const target = targets.get('dynamodb', name);
    const arn = target ? targets.model.attribute(target.stack, target.logicalId, 'Arn') : `arn:aws:dynamodb:${req.region}:${req.account}:table/${name}`;
    return { resource: index ? `${arn}/index/${index}` : arn, target };
  };
  if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
    const kinds: Record<string, string> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem', Get: 'GetItem' };
    return ((input.TransactItems ?? []) as Record<string, { TableName?: string }>[]).flatMap((item) => Object.entries(item)
      .filter(([kind, value]) => kinds[kind] && value?.TableName)
      .map(([kind, value]) => ({ action: `dynamodb:${kinds[kind]}`, ...tableArn(String(value.TableName)) })));
  }
  if (operation === 'BatchWriteItem' || operation === 'BatchGetItem') {
    return Object.keys(input.RequestItems ?? {}).map((name) => ({ action: `dynamodb:${operation}`, ...tableArn(name) }));
  }
  if (operation === 'ExecuteStatement' || operation === 'BatchExecuteStatement' || operation === 'ExecuteTransaction') {
    // PartiQL: the action is per statement kind, the table inside the statement text.
    const statements: string[] = operation === 'ExecuteStatement' ? [String(input.Statement ?? '')]
      : ((input.Statements ?? input.TransactStatements ?? []) as { Statement?: string }[]).map((s) => String(s.Statement ?? ''));
    return statements.flatMap((statement) => {
      const m = /^\s*(SELECT|INSERT|UPDATE|DELETE)\b[\s\S]*?(?:\bFROM|\bINTO|^\s*UPDATE)\s+"?([A-Za-z0-9_.-]+)"?(?:\."?([A-Za-z0-9_.-]+)"?)?/i.exec(statement);
      if (!m) return [];
      const kind = m[1].toLowerCase();
      return [{ action: `dynamodb:PartiQL${kind[0].toUpperCase()}${kind.slice(1)}`, ...tableArn(m[2], kind === 'select' ? m[3] : undefined) }];
    });
  }
  if (!input.TableName) return [{ action: `dynamodb:${operation}`, resource: '*' }];
  return [{ action: `dynamodb:${operation}`, ...tableArn(String(input.TableName), (operation === 'Query' || operation === 'Scan') && input.IndexName ? String(input.IndexName) : undefined) }];
}

/** EventBridge: `events:<Operation>` on each entry's bus, with events:source and events:detail-type. */
export function eventsRequests(targets: GateTargets, req: GateRequest): AuthorizationRequest[] {
  const { operation, input } = operationOf(req);
  if (!operation) return [];
  const busArn = (bus: unknown) => {
    const name = String(bus ?? 'default').replace(/^arn:[^:]+:events:[^:]*:[^:]*:event-bus\//, '');
    const target = targets.get('events', name);
    const arn = target ? targets.model.attribute(target.stack, target.logicalId, 'Arn') : `arn:aws:events:${req.region}:${req.account}:event-bus/${name}`;
    return { resource: arn, target };
  };
  if (operation === 'PutEvents') {
    return ((input.Entries ?? []) as Record<string, unknown>[]).map((entry) => ({
      action: 'events:PutEvents',
      ...busArn(entry.EventBusName),
      context: { 'events:source': String(entry.Source ?? ''), 'events:detail-type': String(entry.DetailType ?? '') },
    }));
  }
  return [{ action: `events:${operation}`, ...busArn(input.EventBusName ?? input.Name) }];
}

/** S3 (path-style REST): the object or bucket action of the method, path and sub-resource. */
export function s3Requests(targets: GateTargets, req: GateRequest): AuthorizationRequest[] {
  const url = new URL(req.url, 'http://local');
  const [, bucket, ...rest] = url.pathname.split('/');
  if (!bucket) return [{ action: 's3:ListAllMyBuckets', resource: '*' }];
  const key = decodeURIComponent(rest.join('/'));
  const q = url.searchParams;
  const target = targets.get('s3', bucket);
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const objectArn = (k: string) => `${bucketArn}/${k}`;
  const sse = () => {
    const rules = (targets.model.prop(target!, 'BucketEncryption') as { ServerSideEncryptionConfiguration?: { ServerSideEncryptionByDefault?: { SSEAlgorithm?: string; KMSMasterKeyID?: string } }[] } | undefined)
      ?.ServerSideEncryptionConfiguration ?? [];
    const rule = rules.find((r) => r.ServerSideEncryptionByDefault?.SSEAlgorithm?.startsWith('aws:kms'));
    return rule?.ServerSideEncryptionByDefault?.KMSMasterKeyID;
  };
  const method = req.method.toUpperCase();
  if (rest.length === 0 || key === '') {
    const sub = (name: string) => q.has(name);
    let action: string;
    if (method === 'GET' || method === 'HEAD') {
      action = sub('location') ? 's3:GetBucketLocation' : sub('versions') ? 's3:ListBucketVersions' : sub('uploads') ? 's3:ListBucketMultipartUploads'
        : sub('notification') ? 's3:GetBucketNotification' : sub('policy') ? 's3:GetBucketPolicy' : sub('tagging') ? 's3:GetBucketTagging' : 's3:ListBucket';
      const prefix = q.get('prefix');
      return [{ action, resource: bucketArn, target, context: action === 's3:ListBucket' && prefix !== null ? { 's3:prefix': prefix } : undefined }];
    }
    if (method === 'POST' && sub('delete')) {
      const keys = [...req.body.toString('utf8').matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1].replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, '\''));
      return keys.map((k) => ({ action: 's3:DeleteObject', resource: objectArn(k), target }));
    }
    action = method === 'PUT' ? (sub('policy') ? 's3:PutBucketPolicy' : sub('tagging') ? 's3:PutBucketTagging' : sub('notification') ? 's3:PutBucketNotification' : 's3:CreateBucket')
      : method === 'DELETE' ? (sub('policy') ? 's3:DeleteBucketPolicy' : 's3:DeleteBucket') : `s3:${method}Bucket`;
    return [{ action, resource: bucketArn, target }];
  }
  const resource = objectArn(key);
  let actions: string[];
  if (method === 'GET' || method === 'HEAD') {
    actions = [q.has('tagging') ? 's3:GetObjectTagging' : q.has('acl') ? 's3:GetObjectAcl' : q.has('uploadId') ? 's3:ListMultipartUploadParts' : 's3:GetObject'];
  } else if (method === 'PUT' || method === 'POST') {
    actions = [q.has('tagging') ? 's3:PutObjectTagging' : q.has('acl') ? 's3:PutObjectAcl' : 's3:PutObject'];
  } else if (method === 'DELETE') {
    actions = [q.has('uploadId') ? 's3:AbortMultipartUpload' : q.has('tagging') ? 's3:DeleteObjectTagging' : 's3:DeleteObject'];
  } else {
    actions = [`s3:${method}Object`];
  }
  const out: AuthorizationRequest[] = actions.map((action) => ({ action, resource, target }));
  const copySource = req.headers['x-amz-copy-source'];
  if (method === 'PUT' && typeof copySource === 'string') {
    const source = decodeURIComponent(copySource.split('?')[0]).replace(/^\//, '');
    const [sourceBucket] = source.split('/');
    out.push({ action: 's3:GetObject', resource: `arn:aws:s3:::${source}`, target: targets.get('s3', sourceBucket) });
  }
  if (target) {
    const kmsKey = sse();
    if (actions[0] === 's3:PutObject') out.push(...kmsRequests(targets, kmsKey, ['kms:GenerateDataKey'], 's3', req.region));
    if (actions[0] === 's3:GetObject') out.push(...kmsRequests(targets, kmsKey, ['kms:Decrypt'], 's3', req.region));
  }
  return out;
}

const MAPPERS: Record<GateService, (targets: GateTargets, req: GateRequest) => AuthorizationRequest[]> = {
  sqs: sqsRequests, sns: snsRequests, s3: s3Requests, dynamodb: dynamodbRequests, events: eventsRequests,
};

/** The service's AccessDenied answer, in its protocol, as the AWS SDK parses it. */
export function accessDeniedResponse(
  service: GateService, req: GateRequest, message: string,
): { status: number; headers: Record<string, string>; body: string } {
  const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const requestId = 'LOCAL-IAM';
  switch (service) {
    case 'sqs':
      if (typeof req.headers['x-amz-target'] === 'string') {
        return {
          status: 400,
          headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': 'AccessDenied;Sender', 'x-amzn-requestid': requestId },
          body: JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', message }),
        };
      }
      return { status: 403, headers: { 'content-type': 'text/xml' }, body: `<?xml version="1.0"?><ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>${xml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>` };
    case 'sns':
      if (typeof req.headers['x-amz-target'] === 'string') {
        return { status: 403, headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': 'AuthorizationError;Sender' }, body: JSON.stringify({ __type: 'AuthorizationError', message }) };
      }
      return {
        status: 403,
        headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
        body: `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>AuthorizationError</Code><Message>${xml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      };
    case 'dynamodb':
      return { status: 400, headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId }, body: JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#AccessDeniedException', message }) };
    case 'events':
      return { status: 400, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId }, body: JSON.stringify({ __type: 'AccessDeniedException', message }) };
    case 's3':
      return {
        status: 403,
        headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
        body: req.method === 'HEAD' ? '' : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${xml(message)}</Message><RequestId>${requestId}</RequestId><HostId>${requestId}</HostId></Error>`,
      };
  }
}

/** A denied request, as the local cloud records it. */
export interface IamDenial {
  readonly time: number;
  readonly function: string;
  readonly service: GateService;
  readonly action: string;
  readonly resource: string;
  readonly message: string;
}

export interface IamGateOptions {
  readonly service: GateService;
  /** Where allowed requests go (the emulator, or another front). */
  readonly upstream: string;
  readonly defaultRegion: string;
  /** The function an access key id belongs to. */
  readonly callerFor: (accessKeyId: string) => IamCaller | undefined;
  readonly onDenied: (denial: IamDenial) => void;
  readonly sink: DeliverySink;
}

/** One service's gate: a `secure` and a `plain` loopback listener in front of its emulator. */
export class IamGate {
  private servers: Server[] = [];
  private readonly agent = new http.Agent({ keepAlive: true });
  private readonly upstream: URL;
  private targets?: GateTargets;
  private enforcer?: IamEnforcer;

  constructor(private readonly options: IamGateOptions) {
    this.upstream = new URL(options.upstream);
  }

  /** What the gate checks with (set once the resolver, which needs the gates' URLs, exists). */
  configure(targets: GateTargets, enforcer: IamEnforcer): void {
    this.targets = targets;
    this.enforcer = enforcer;
  }

  /** Starts both listeners; answers their base URLs. */
  async start(): Promise<{ secure: string; plain: string }> {
    const secureServer = http.createServer((req, res) => this.handle(req, res, true));
    const plainServer = http.createServer((req, res) => this.handle(req, res, false));
    this.servers = [secureServer, plainServer];
    return { secure: await listenOnLoopback(secureServer), plain: await listenOnLoopback(plainServer) };
  }

  async stop(): Promise<void> {
    const servers = this.servers;
    this.servers = [];
    await Promise.all(servers.map((s) => closeServer(s)));
    this.agent.destroy();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, secureTransport: boolean): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const { accessKeyId, region } = credentialOf(req.headers, req.url ?? '/');
      const caller = accessKeyId ? this.options.callerFor(accessKeyId) : undefined;
      const { targets, enforcer } = this;
      if (!caller || !targets || !enforcer) { this.forward(req, body, res); return; }
      const request: GateRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body, region: region ?? this.options.defaultRegion, account: caller.account, secureTransport };
      let requests: AuthorizationRequest[];
      try {
        requests = MAPPERS[this.options.service](targets, request);
      } catch {
        requests = [];
      }
      const context: Record<string, string> = secureTransport ? {} : { 'aws:SecureTransport': 'false' };
      const withTransport = requests.map((r) => ({ ...r, context: { ...context, ...r.context } }));
      enforcer.check(caller, withTransport).then((decision) => {
        if (decision.allowed) { this.forward(req, body, res); return; }
        this.options.onDenied({
          time: Date.now(),
          function: caller.functionLogicalId,
          service: this.options.service,
          action: decision.action,
          resource: decision.resource,
          message: decision.message,
        });
        this.options.sink({ service: 'iam', resource: `${caller.functionLogicalId} -> ${decision.action} ${decision.resource}`, outcome: 'denied', detail: decision.message });
        const answer = accessDeniedResponse(this.options.service, request, decision.message);
        res.writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) });
        res.end(answer.body);
      }, (error: Error) => {
        res.statusCode = 500;
        res.end(`local IAM check failed: ${error.message}`);
      });
    });
  }

  private forward(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const forward = http.request({
      host: this.upstream.hostname,
      port: this.upstream.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: this.upstream.host },
      agent: this.agent,
    }, (answer) => {
      res.writeHead(answer.statusCode ?? 500, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', (error) => { res.statusCode = 502; res.end(error.message); });
    forward.end(body);
  }
}
