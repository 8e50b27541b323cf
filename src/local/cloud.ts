/**
 * The local cloud: runs the stacks of a synthesized app (cdk.out) on this machine. It starts the
 * emulators, creates the templates' queues, topics, buckets and tables, runs the Lambda functions
 * from their assets, polls their SQS event sources, serves their HTTP APIs and EventBridge rules,
 * and logs one line per delivery.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AssemblyStack, CfnResource, CloudAssembly, readAssembly, selectStacks } from './assembly';
import { AsyncInvokeConfig, DEFAULT_ASYNC_CONFIG, DestinationSender, invokeAsync } from './async-invoke';
import type { Delivery, DeliverySink } from './deliveries';
import { RunningEmulator, startDynaliteServer, startFauxqsProcess } from './emulators';
import { LocalCloudError } from './errors';
import { SqsEventSource } from './event-sources';
import { EventRule, LocalEventBridge } from './events';
import { HttpRequest, HttpResponse, HttpRoute, LocalHttpApi } from './http-api';
import { IAM_SIMULATOR, IamCaller, IamEnforcer, IamMode, loadIamSimulator, LocalPolicyModel } from './iam';
import { GateService, GateTargets, IamDenial, IamGate } from './iam-gate';
import { emulatorEndpoints, FunctionEndpoints, functionDefinition, InvokeResult, LocalFunction, UnrunnableFunction } from './lambda';
import { EMULATED_TYPES, EmulatorClients, IGNORED_TYPES, provisionStack, ProvisionedResource } from './provision';
import { AssemblyResolver, LocalEndpoints, StackResolver } from './resolve';
import { entryEvents, keyFilter, LocalS3Front, NotificationTarget } from './s3';
import { ExecutionResult, LocalStateMachine } from './step-functions';

export interface LocalCloudOptions {
  /** The cloud assembly folder (`cdk.out`). */
  readonly assemblyDir: string;
  /** Stacks to run (artifact ids or stack names), with the stacks they depend on. @default every stack */
  readonly stacks?: string[];
  /** Port of the first HTTP API; the next ones take the following ports. @default free ports */
  readonly port?: number;
  /**
   * Seconds before a record an SQS-triggered function failed is received again. AWS waits for
   * the queue's visibility timeout (30 minutes for an AsyncHttpApi queue); locally that is
   * compressed so retries and redrive happen while you watch. @default 0
   */
  readonly redeliveryDelaySeconds?: number;
  /** Where the one-line delivery log goes; `false` for none. @default stdout */
  readonly print?: ((line: string) => void) | false;
  /** Receives each line a function writes (its Powertools logs). @default discarded */
  readonly onFunctionLog?: (functionLogicalId: string, line: string) => void;
  /**
   * `enforce`: every AWS SDK call of a local function is checked against its role and the
   * target's resource policy, and a call the templates do not allow fails with AccessDenied
   * (needs @cloud-copilot/iam-simulate installed, AGPL-3.0); `off`: every call is let through.
   * @default 'enforce' when the simulator is installed, else 'off'
   */
  readonly iam?: IamMode;
}

/** Whether IAM is enforced, and why not. */
export interface IamStatus {
  readonly enforced: boolean;
  /** One line, as printed at start. */
  readonly detail: string;
}

/** A resource the local cloud does not emulate, and the functions that reference it. */
export interface UnsupportedResource {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly reason: string;
  /** Logical ids of functions whose properties or role policies name it. */
  readonly referencedBy: string[];
}

/** Starts the local cloud for the assembly's stacks. */
export async function runLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> {
  const assembly = readAssembly(options.assemblyDir);
  const selected = withDependencies(assembly, selectStacks(assembly, options.stacks));
  const cloud = new LocalCloud(assembly, selected, options);
  try {
    await cloud.start();
  } catch (error) {
    await cloud.stop();
    throw error;
  }
  return cloud;
}

/** A running local cloud. */
export class LocalCloud {
  /** Every delivery so far, in order. */
  readonly deliveries: Delivery[] = [];
  /** What was not emulated: resources of unsupported types and functions that cannot run. */
  readonly unsupported: UnsupportedResource[] = [];
  /** Every settled function invocation, in order: which function, and whether it succeeded. */
  readonly invocations: { readonly function: string; readonly ok: boolean; readonly errorType?: string }[] = [];
  /** What was created in the emulators. */
  readonly resources: ProvisionedResource[] = [];
  readonly functions = new Map<string, LocalFunction>();
  readonly apis: LocalHttpApi[] = [];
  readonly eventSources: SqsEventSource[] = [];
  readonly stateMachines: LocalStateMachine[] = [];
  private emulators: RunningEmulator[] = [];
  private bridge?: LocalEventBridge;
  private s3Front?: LocalS3Front;
  private resolver?: AssemblyResolver;
  private readonly clients = new Map<string, EmulatorClients>();
  private readonly sink: DeliverySink;
  private endpointsValue?: LocalEndpoints;
  private asyncPending = 0;
  private readonly asyncConfigs = new Map<LocalFunction, AsyncInvokeConfig>();
  private readonly schedules: { stack: string; logicalId: string; name: string; fire: () => Promise<void> }[] = [];
  /** Every SDK call of a local function the IAM check denied, in order. */
  readonly iamDenials: IamDenial[] = [];
  private iamStatusValue?: IamStatus;
  private iamEnforcer?: IamEnforcer;
  private readonly gates = new Map<GateService, { gate: IamGate; secure: string; plain: string }>();
  private readonly callers = new Map<string, IamCaller>();
  private readonly accessKeys = new Map<LocalFunction, string>();

  constructor(readonly assembly: CloudAssembly, readonly stacks: AssemblyStack[], private readonly options: LocalCloudOptions) {
    const print = options.print === false ? undefined : options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
    this.sink = (d) => {
      const delivery: Delivery = { time: Date.now(), ...d };
      this.deliveries.push(delivery);
      print?.(`[${d.service}] ${d.resource}: ${d.outcome} (${d.detail})`);
    };
  }

  /** Where the emulators listen. */
  get endpoints(): LocalEndpoints {
    if (!this.endpointsValue) throw new LocalCloudError('the local cloud is not started');
    return this.endpointsValue;
  }

  /** Whether IAM is enforced (and why not). */
  get iam(): IamStatus {
    return this.iamStatusValue ?? { enforced: false, detail: 'IAM: not started' };
  }

  /** The IAM enforcer's counters: checks made, and how many were evaluated (not answered from the cache). */
  get iamStatistics(): { checked: number; evaluated: number } {
    return { checked: this.iamEnforcer?.checked ?? 0, evaluated: this.iamEnforcer?.evaluated ?? 0 };
  }

  /**
   * The endpoints of the IAM gates, per service: `secure` (given to the functions; stands for
   * AWS's HTTPS endpoint, aws:SecureTransport true) and `plain` (stands for a plain-HTTP endpoint,
   * aws:SecureTransport false). Undefined when IAM is not enforced.
   */
  get iamEndpoints(): Partial<Record<GateService, { secure: string; plain: string }>> | undefined {
    if (!this.iamEnforcer) return undefined;
    return Object.fromEntries([...this.gates].map(([service, g]) => [service, { secure: g.secure, plain: g.plain }]));
  }

  /** The dummy credentials a function's SDK calls carry (by logical id or name): a test can call as the function. */
  credentialsOf(fn: string): { accessKeyId: string; secretAccessKey: string } {
    const found = [...this.functions.values()].find((f) => f.definition.logicalId === fn || f.definition.functionName === fn);
    if (!found) throw new LocalCloudError(`no local function ${fn}`);
    return { accessKeyId: this.accessKeys.get(found) ?? 'local', secretAccessKey: 'local' };
  }

  /** The local cloud's EventBridge (events put, rules). */
  get eventBridge(): LocalEventBridge {
    return this.bridge!;
  }

  /** @internal */
  async start(): Promise<void> {
    const fauxqs = await startFauxqsProcess();
    this.emulators.push(fauxqs);
    const dynamodb = await startDynaliteServer();
    this.emulators.push(dynamodb);
    const first = this.stacks[0] ?? this.assembly.stacks[0];
    this.bridge = new LocalEventBridge(first?.account ?? '123456789012', first?.region ?? 'us-east-1', this.sink);
    const events = await this.bridge.start();
    const region = first?.region ?? 'us-east-1';
    this.s3Front = new LocalS3Front(fauxqs.endpoint, new S3Client({
      region, endpoint: fauxqs.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }), region, this.sink);
    const s3 = await this.s3Front.start();
    const emulators = { fauxqs: fauxqs.endpoint, dynamodb: dynamodb.endpoint, events, s3 };
    const enforcer = await this.startIam(emulators, region);
    this.endpointsValue = enforcer ? { ...emulators, queues: this.gates.get('sqs')!.secure } : emulators;
    this.resolver = new AssemblyResolver(this.assembly, this.endpointsValue);
    if (enforcer) {
      const model = new LocalPolicyModel(this.assembly.stacks, this.resolver);
      this.iamEnforcer = new IamEnforcer(enforcer, model);
      const targets = new GateTargets(model);
      for (const { gate } of this.gates.values()) gate.configure(targets, this.iamEnforcer);
    }
    this.print(this.iam.detail);

    for (const stack of this.stacks) {
      const resolver = this.resolver.forStack(stack.id);
      this.resources.push(...await provisionStack(resolver, this.clientsFor(stack.region)));
      this.listUnsupported(stack);
      this.createFunctions(resolver);
    }
    for (const stack of this.stacks) {
      const resolver = this.resolver.forStack(stack.id);
      this.createEventSources(resolver);
      this.createRules(resolver);
      this.createNotifications(resolver);
      this.createAsyncConfigs(resolver);
      this.createStateMachines(resolver);
      this.createSchedules(resolver);
    }
    let port = this.options.port;
    for (const stack of this.stacks) {
      for (const api of this.createApis(this.resolver.forStack(stack.id))) {
        const url = await api.start(port ?? 0);
        if (port !== undefined) port++;
        this.apis.push(api);
        this.print(`HTTP API ${stack.id}/${api.definition.logicalId} (${api.definition.name}) at ${url}: ${api.definition.routes.map((r) => `${r.routeKey} [${r.authorizationType}]`).join(', ')}`);
      }
    }
    for (const source of this.eventSources) source.start();
    for (const u of this.unsupported) {
      this.print(`not emulated: ${u.stack}/${u.logicalId} (${u.type}): ${u.reason}${u.referencedBy.length ? `; used by ${u.referencedBy.join(', ')}` : ''}`);
    }
  }

  /**
   * Decides whether IAM is enforced and, if so, starts the gates in front of the emulators.
   * Answers the simulator module when enforcing.
   */
  private async startIam(emulators: LocalEndpoints, region: string): Promise<typeof import('@cloud-copilot/iam-simulate') | undefined> {
    if (this.options.iam === 'off') {
      this.iamStatusValue = { enforced: false, detail: 'IAM: not enforced (iam: off): every SDK call of a local function is let through' };
      return undefined;
    }
    const loaded = await loadIamSimulator();
    if ('missing' in loaded) {
      if (this.options.iam === 'enforce') throw new LocalCloudError(`iam: enforce needs ${IAM_SIMULATOR} (AGPL-3.0), which the local package does not ship: ${loaded.missing}; install it next to the local cloud (npm i -D ${IAM_SIMULATOR}) or run with iam off`);
      this.iamStatusValue = { enforced: false, detail: `IAM: not enforced: ${loaded.missing}; install it (npm i -D ${IAM_SIMULATOR}, AGPL-3.0) to check every SDK call against the templates' policies` };
      return undefined;
    }
    const upstreams: Record<GateService, string> = {
      sqs: emulators.fauxqs, sns: emulators.fauxqs, s3: emulators.s3, dynamodb: emulators.dynamodb, events: emulators.events,
    };
    for (const service of Object.keys(upstreams) as GateService[]) {
      const gate = new IamGate({
        service,
        upstream: upstreams[service],
        defaultRegion: region,
        callerFor: (key) => this.callers.get(key),
        onDenied: (denial) => this.iamDenials.push(denial),
        sink: this.sink,
      });
      this.gates.set(service, { gate, ...await gate.start() });
    }
    this.iamStatusValue = { enforced: true, detail: `IAM: enforced with ${IAM_SIMULATOR}: each SDK call of a local function is checked against its role and the target's resource policy` };
    return loaded.simulator;
  }

  /** What a function's SDK clients are given: the IAM gates when enforcing, else the emulators. */
  private functionEndpoints(): FunctionEndpoints {
    if (this.gates.size === 0) return emulatorEndpoints(this.endpoints);
    const g = (service: GateService) => this.gates.get(service)!.secure;
    return { sqs: g('sqs'), sns: g('sns'), s3: g('s3'), dynamodb: g('dynamodb'), events: g('events') };
  }

  /** Registers a function as an IAM caller: its own access key id, its role and the role's policies. */
  private registerCaller(resolver: StackResolver, logicalId: string, resource: CfnResource, functionName: string): string {
    const accessKeyId = `LOCAL${this.callers.size + 1}${logicalId}`.slice(0, 128);
    const roleArn = (() => {
      try {
        return resolver.resolveString(resource.Properties?.Role);
      } catch {
        return `arn:aws:iam::${resolver.stack.account}:role/unknown`;
      }
    })();
    const role = this.iamEnforcer?.model.resources('AWS::IAM::Role')
      .find((r) => this.iamEnforcer!.model.attribute(r.stack, r.logicalId, 'Arn') === roleArn);
    this.callers.set(accessKeyId, {
      functionLogicalId: logicalId,
      functionName,
      stack: resolver.stack.id,
      account: resolver.stack.account,
      role,
      roleName: roleArn.split('/').pop() ?? roleArn,
      roleArn,
    });
    return accessKeyId;
  }

  /** Sends a request to an HTTP API (by logical id, API name, or `Stack/LogicalId`). */
  async invokeHttp(api: string, request: HttpRequest): Promise<HttpResponse> {
    const found = this.apis.filter((a) => [a.definition.logicalId, a.definition.name, `${a.definition.stack}/${a.definition.logicalId}`].includes(api));
    if (found.length !== 1) {
      const names = this.apis.map((a) => `${a.definition.stack}/${a.definition.logicalId}`).join(', ') || '(none)';
      throw new LocalCloudError(found.length ? `${api} names ${found.length} APIs; use Stack/LogicalId: ${names}` : `no HTTP API ${api}; APIs: ${names}`);
    }
    return found[0].request(request);
  }

  /** Invokes a function (by logical id or function name) with an event, as RequestResponse. */
  async invokeFunction(fn: string, event: unknown): Promise<InvokeResult> {
    const found = [...this.functions.values()].find((f) => f.definition.logicalId === fn || f.definition.functionName === fn);
    if (!found) throw new LocalCloudError(`no local function ${fn}; functions: ${[...this.functions.values()].map((f) => f.definition.logicalId).join(', ')}`);
    return found.invoke(event);
  }

  /** Schedules (EventBridge Scheduler) of the running stacks: fire them with fireSchedule. */
  get scheduleNames(): string[] {
    return this.schedules.map((s) => `${s.stack}/${s.logicalId}`);
  }

  /**
   * Fires a schedule now (by logical id, schedule name or `Stack/LogicalId`), as its clock
   * would: its target gets the schedule's Input. Settles when the target's delivery (with
   * retries) settles; it does not wait for the clock.
   */
  async fireSchedule(schedule: string): Promise<void> {
    const found = this.schedules.filter((s) => [s.logicalId, s.name, `${s.stack}/${s.logicalId}`].includes(schedule));
    if (found.length !== 1) {
      throw new LocalCloudError(`${found.length ? `${schedule} names ${found.length} schedules` : `no schedule ${schedule}`}; schedules: ${this.scheduleNames.join(', ') || '(none)'}`);
    }
    await found[0].fire();
  }

  /**
   * Runs a Step Functions execution to its end (state machine by logical id, name, ARN or
   * `Stack/LogicalId`): SUCCEEDED with its output, or FAILED with the error and cause.
   */
  async startExecution(stateMachine: string, input: unknown = {}): Promise<ExecutionResult> {
    const found = this.stateMachines.filter((m) => [m.definition.logicalId, m.definition.name, m.definition.arn, `${m.definition.stack}/${m.definition.logicalId}`].includes(stateMachine));
    if (found.length !== 1) {
      const names = this.stateMachines.map((m) => `${m.definition.stack}/${m.definition.logicalId}`).join(', ') || '(none)';
      throw new LocalCloudError(`${found.length ? `${stateMachine} names ${found.length} state machines` : `no state machine ${stateMachine}`}; state machines: ${names}`);
    }
    this.asyncPending++;
    try {
      return await found[0].start(input);
    } finally {
      this.asyncPending--;
    }
  }

  /** The local identity (Ref and attributes) of a resource, e.g. a queue's URL. */
  physical(stack: string, logicalId: string): { ref: string; attributes: Record<string, string> } {
    return this.resolver!.forStack(selectStacks(this.assembly, [stack])[0].id).physical(logicalId);
  }

  /** SDK clients on the emulators, for a test or script to look inside. */
  clientsFor(region: string): EmulatorClients {
    let clients = this.clients.get(region);
    if (!clients) {
      const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
      const e = this.endpoints;
      clients = {
        sqs: new SQSClient({ region, credentials, endpoint: e.fauxqs }),
        sns: new SNSClient({ region, credentials, endpoint: e.fauxqs }),
        s3: new S3Client({ region, credentials, endpoint: e.s3, forcePathStyle: true }),
        dynamodb: new DynamoDBClient({ region, credentials, endpoint: e.dynamodb }),
      };
      this.clients.set(region, clients);
    }
    return clients;
  }

  /**
   * Waits until every queue with an event source is empty and no invocation or delivery runs
   * (dead-letter queues without a consumer keep their messages).
   */
  async drain(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let quiet = 0;
    for (;;) {
      const busy = [...this.functions.values()].some((f) => f.inFlight > 0) || this.eventSources.some((s) => s.active)
        || this.bridge!.inFlight > 0 || this.s3Front!.inFlight > 0 || this.asyncPending > 0;
      const waiting: string[] = [];
      for (const source of this.eventSources) {
        const stack = this.stacks.find((s) => s.id === source.definition.stack)!;
        const { Attributes = {} } = await this.clientsFor(stack.region).sqs.send(new GetQueueAttributesCommand({
          QueueUrl: source.definition.queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
        }));
        const depth = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed']
          .reduce((n, name) => n + Number(Attributes[name as keyof typeof Attributes] ?? 0), 0);
        if (depth > 0) waiting.push(`${source.definition.queueName} (${depth})`);
      }
      if (!busy && waiting.length === 0) {
        if (++quiet >= 3) return;
      } else {
        quiet = 0;
      }
      if (Date.now() > deadline) {
        throw new LocalCloudError(`drain: still busy after ${timeoutMs} ms${waiting.length ? `; messages in ${waiting.join(', ')}` : '; invocations running'}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops pollers, functions, APIs and emulators. */
  async stop(): Promise<void> {
    await Promise.all(this.eventSources.map((s) => s.stop()));
    await Promise.all(this.apis.map((a) => a.stop()));
    await Promise.all([...this.functions.values()].map((f) => f.stop()));
    await this.bridge?.stop();
    await this.s3Front?.stop();
    await Promise.all([...this.gates.values()].map((g) => g.gate.stop()));
    this.gates.clear();
    for (const clients of this.clients.values()) for (const c of Object.values(clients)) (c as { destroy(): void }).destroy();
    await Promise.all(this.emulators.map((e) => e.stop()));
    this.emulators = [];
  }

  private print(line: string): void {
    if (this.options.print === false) return;
    (this.options.print ?? ((l: string) => process.stdout.write(`${l}\n`)))(line);
  }

  private resourcesOf(resolver: StackResolver, type: string): [string, CfnResource][] {
    return Object.entries(resolver.stack.template.Resources ?? {})
      .filter(([, r]) => r.Type === type && (r.Condition === undefined || resolver.condition(r.Condition)));
  }

  private createFunctions(resolver: StackResolver): void {
    // The handlers of custom resources the local cloud emulates itself never run.
    const providers = new Set(this.resourcesOf(resolver, 'Custom::S3BucketNotifications')
      .map(([, r]) => ((r.Properties?.ServiceToken as { 'Fn::GetAtt'?: string[] } | undefined)?.['Fn::GetAtt'] ?? [])[0]));
    for (const [logicalId, resource] of this.resourcesOf(resolver, 'AWS::Lambda::Function')) {
      if (providers.has(logicalId)) continue;
      const definition = functionDefinition(resolver, this.assembly.directory, logicalId, resource);
      if ('reason' in definition) {
        this.addUnsupported(resolver.stack, logicalId, resource.Type, (definition as UnrunnableFunction).reason, []);
        continue;
      }
      const onLog = this.options.onFunctionLog;
      const accessKeyId = this.iamEnforcer ? this.registerCaller(resolver, logicalId, resource, definition.functionName) : undefined;
      const local = new LocalFunction(definition, {
        endpoints: this.functionEndpoints(),
        accessKeyId,
        region: resolver.stack.region,
        onLog: onLog ? (line) => onLog(logicalId, line) : undefined,
        onInvoked: (fn, result) => this.invocations.push(result.ok
          ? { function: fn.definition.logicalId, ok: true }
          : { function: fn.definition.logicalId, ok: false, errorType: result.error.errorType }),
      });
      this.functions.set(definition.functionArn, local);
      if (accessKeyId) this.accessKeys.set(local, accessKeyId);
    }
  }

  private functionFor(reference: string): LocalFunction | undefined {
    return this.functions.get(reference)
      ?? [...this.functions.values()].find((f) => f.definition.functionName === reference || reference.startsWith(`${f.definition.functionArn}:`));
  }

  private createEventSources(resolver: StackResolver): void {
    for (const [logicalId, resource] of this.resourcesOf(resolver, 'AWS::Lambda::EventSourceMapping')) {
      const props = resolver.resolve(resource.Properties ?? {}) as Record<string, unknown>;
      const sourceArn = String(props.EventSourceArn ?? '');
      const target = this.functionFor(String(props.FunctionName));
      const queue = this.resources.find((r) => r.type === 'AWS::SQS::Queue' && this.physical(r.stack, r.logicalId).attributes.Arn === sourceArn);
      if (!queue || !target) {
        const reason = !target ? `its function ${String(props.FunctionName)} does not run locally` : `its source ${sourceArn} is not an SQS queue of the running stacks (Kinesis, DynamoDB streams, MSK are not emulated)`;
        this.addUnsupported(resolver.stack, logicalId, resource.Type, reason, target ? [target.definition.logicalId] : []);
        continue;
      }
      const physical = this.physical(queue.stack, queue.logicalId);
      this.eventSources.push(new SqsEventSource({
        stack: queue.stack,
        logicalId,
        queueUrl: physical.ref,
        queueArn: physical.attributes.Arn,
        queueName: `${queue.logicalId}`,
        batchSize: Number(props.BatchSize ?? 10),
        maximumBatchingWindowSeconds: Number(props.MaximumBatchingWindowInSeconds ?? 0),
        reportBatchItemFailures: ((props.FunctionResponseTypes as string[] | undefined) ?? []).includes('ReportBatchItemFailures'),
        enabled: props.Enabled !== false && props.Enabled !== 'false',
      }, target, this.clientsFor(resolver.stack.region).sqs, {
        region: resolver.stack.region,
        redeliveryDelaySeconds: this.options.redeliveryDelaySeconds ?? 0,
        onDelivery: this.sink,
      }));
    }
  }

  private createRules(resolver: StackResolver): void {
    for (const [logicalId, resource] of this.resourcesOf(resolver, 'AWS::Events::Rule')) {
      const props = resolver.resolve(resource.Properties ?? {}) as Record<string, unknown>;
      if (!props.EventPattern) {
        this.addUnsupported(resolver.stack, logicalId, resource.Type, 'scheduled rules do not fire locally', []);
        continue;
      }
      if (props.State === 'DISABLED') continue;
      const sqs = this.clientsFor(resolver.stack.region).sqs;
      const targets: EventRule['targets'] = [];
      for (const t of (props.Targets as { Id: string; Arn: string; Input?: string; InputPath?: string }[] | undefined) ?? []) {
        const payload = (event: unknown) => (t.Input !== undefined ? t.Input : JSON.stringify(t.InputPath ? pick(event, t.InputPath) : event));
        const fn = this.functionFor(t.Arn);
        const queue = this.resources.find((r) => r.type === 'AWS::SQS::Queue' && this.physical(r.stack, r.logicalId).attributes.Arn === t.Arn);
        if (fn) {
          targets.push({ id: t.Id, deliver: async (event) => { void this.invokeAsync(fn, JSON.parse(payload(event)), `events rule ${logicalId}`); } });
        } else if (queue) {
          const url = this.physical(queue.stack, queue.logicalId).ref;
          targets.push({ id: t.Id, deliver: (event) => sendTo(sqs, url, payload(event)) });
        } else {
          this.addUnsupported(resolver.stack, logicalId, resource.Type, `target ${t.Id} (${t.Arn}) is not a local function or queue`, []);
        }
      }
      const bus = String(props.EventBusName ?? 'default').replace(/^arn:[^:]+:events:[^:]*:[^:]*:event-bus\//, '');
      this.bridge!.rules.push({ logicalId, busName: bus, pattern: props.EventPattern as Record<string, unknown>, targets });
    }
  }

  private createNotifications(resolver: StackResolver): void {
    const { sqs, sns } = this.clientsFor(resolver.stack.region);
    const configurations: { bucket: string; config: Record<string, unknown>; logicalId: string }[] = [];
    for (const [logicalId, resource] of this.resourcesOf(resolver, 'Custom::S3BucketNotifications')) {
      const props = resolver.resolve(resource.Properties ?? {}) as { BucketName: string; NotificationConfiguration?: Record<string, unknown> };
      configurations.push({ bucket: props.BucketName, config: props.NotificationConfiguration ?? {}, logicalId });
    }
    for (const [logicalId, resource] of this.resourcesOf(resolver, 'AWS::S3::Bucket')) {
      const config = resource.Properties?.NotificationConfiguration;
      if (!config) continue;
      configurations.push({ bucket: resolver.physical(logicalId).ref, config: resolver.resolve(config) as Record<string, unknown>, logicalId });
    }
    type Entry = Parameters<typeof keyFilter>[0] & Record<string, string | undefined>;
    for (const { bucket, config, logicalId } of configurations) {
      const add = (entry: Entry, name: string, deliver: NotificationTarget['deliver']) => {
        this.s3Front!.targets.push({ bucket, events: entryEvents(entry), ...keyFilter(entry), name, deliver });
      };
      const queues = [...(config.QueueConfigurations as Entry[] | undefined) ?? []];
      for (const entry of queues) {
        const arn = String(entry.QueueArn ?? entry.Queue);
        const queue = this.resources.find((r) => r.type === 'AWS::SQS::Queue' && this.physical(r.stack, r.logicalId).attributes.Arn === arn);
        if (!queue) { this.addUnsupported(resolver.stack, logicalId, 'Custom::S3BucketNotifications', `destination queue ${arn} is not a queue of the running stacks`, []); continue; }
        const url = this.physical(queue.stack, queue.logicalId).ref;
        add(entry, queue.logicalId, (event) => sendTo(sqs, url, JSON.stringify(event)));
      }
      for (const entry of (config.TopicConfigurations as Entry[] | undefined) ?? []) {
        const arn = String(entry.TopicArn ?? entry.Topic);
        add(entry, arn.split(':').pop()!, async (event) => { await sns.send(new PublishCommand({ TopicArn: arn, Subject: 'Amazon S3 Notification', Message: JSON.stringify(event) })); });
      }
      const functions = [config.LambdaFunctionConfigurations, config.LambdaConfigurations].flatMap((list) => (list as Entry[] | undefined) ?? []);
      for (const entry of functions) {
        const fn = this.functionFor(String(entry.LambdaFunctionArn ?? entry.Function));
        if (!fn) { this.addUnsupported(resolver.stack, logicalId, 'Custom::S3BucketNotifications', `destination function ${String(entry.LambdaFunctionArn ?? entry.Function)} does not run locally`, []); continue; }
        add(entry, fn.definition.logicalId, async (event) => { void this.invokeAsync(fn, event, `s3 ${bucket}`); });
      }
      if (config.EventBridgeConfiguration !== undefined) {
        this.addUnsupported(resolver.stack, logicalId, 'Custom::S3BucketNotifications', 'S3 -> EventBridge notifications are not emulated', []);
      }
    }
  }

  /** Invokes a function asynchronously with its EventInvokeConfig; drain waits for it. */
  private async invokeAsync(fn: LocalFunction, event: unknown, source: string): Promise<void> {
    this.asyncPending++;
    try {
      await invokeAsync(fn, event, this.asyncConfigs.get(fn) ?? DEFAULT_ASYNC_CONFIG, source, this.sink);
    } catch (error) {
      this.sink({ service: 'lambda', resource: `${source} -> ${fn.definition.logicalId} (async)`, outcome: 'dropped', detail: (error as Error).message });
    } finally {
      this.asyncPending--;
    }
  }

  /** A sender to the queue, topic, function or bus an ARN names, or undefined. */
  private destination(arn: string | undefined, region: string): DestinationSender | undefined {
    if (!arn) return undefined;
    const { sqs, sns } = this.clientsFor(region);
    const queue = this.resources.find((r) => r.type === 'AWS::SQS::Queue' && this.physical(r.stack, r.logicalId).attributes.Arn === arn);
    if (queue) {
      const url = this.physical(queue.stack, queue.logicalId).ref;
      return async (body, attributes) => {
        await sqs.send(new SendMessageCommand({
          QueueUrl: url,
          MessageBody: body,
          MessageAttributes: attributes && Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }])),
        }));
      };
    }
    if (arn.startsWith('arn:aws:sns:')) return async (body) => { await sns.send(new PublishCommand({ TopicArn: arn, Message: body })); };
    const fn = this.functionFor(arn);
    if (fn) return async (body) => { void this.invokeAsync(fn, JSON.parse(body), 'destination'); };
    if (/^arn:aws:events:[^:]*:[^:]*:event-bus\//.test(arn)) {
      return async (body) => { this.bridge!.put({ EventBusName: arn, Source: 'lambda', DetailType: 'Lambda Function Invocation Result', Detail: body }); };
    }
    return undefined;
  }

  private createAsyncConfigs(resolver: StackResolver): void {
    const region = resolver.stack.region;
    const configs = new Map<LocalFunction, { maximumRetryAttempts?: number; onSuccess?: string; onFailure?: string }>();
    for (const [, resource] of this.resourcesOf(resolver, 'AWS::Lambda::EventInvokeConfig')) {
      const props = resolver.resolve(resource.Properties ?? {}) as {
        FunctionName: string;
        MaximumRetryAttempts?: number;
        DestinationConfig?: { OnSuccess?: { Destination: string }; OnFailure?: { Destination: string } };
      };
      const fn = this.functionFor(props.FunctionName);
      if (fn) {
        configs.set(fn, {
          maximumRetryAttempts: props.MaximumRetryAttempts,
          onSuccess: props.DestinationConfig?.OnSuccess?.Destination,
          onFailure: props.DestinationConfig?.OnFailure?.Destination,
        });
      }
    }
    for (const fn of this.functions.values()) {
      if (fn.definition.stack !== resolver.stack.id) continue;
      const resource = resolver.stack.template.Resources![fn.definition.logicalId];
      const dlq = (resolver.resolve(resource.Properties?.DeadLetterConfig ?? {}) as { TargetArn?: string }).TargetArn;
      const config = configs.get(fn);
      if (!config && !dlq) continue;
      this.asyncConfigs.set(fn, {
        maximumRetryAttempts: config?.maximumRetryAttempts ?? DEFAULT_ASYNC_CONFIG.maximumRetryAttempts,
        onSuccess: this.destination(config?.onSuccess, region),
        onFailure: this.destination(config?.onFailure, region),
        deadLetter: this.destination(dlq, region),
      });
    }
  }

  private createSchedules(resolver: StackResolver): void {
    for (const [logicalId, resource] of this.resourcesOf(resolver, 'AWS::Scheduler::Schedule')) {
      const props = resolver.resolve(resource.Properties ?? {}) as {
        Name?: string;
        State?: string;
        ScheduleExpression?: string;
        Target: { Arn: string; Input?: string; DeadLetterConfig?: { Arn?: string } };
      };
      const name = props.Name ?? logicalId;
      const fn = this.functionFor(props.Target.Arn);
      const machine = fn ? undefined : this.stateMachines.find((m) => m.definition.arn === props.Target.Arn);
      const queue = fn || machine ? undefined : this.destination(props.Target.Arn, resolver.stack.region);
      if (!fn && !machine && !queue) {
        this.addUnsupported(resolver.stack, logicalId, resource.Type, `its target ${props.Target.Arn} is not a local function, state machine or queue`, []);
        continue;
      }
      const input = props.Target.Input ?? '{}';
      const source = `schedule ${logicalId} (${props.ScheduleExpression ?? 'on demand'})`;
      this.schedules.push({
        stack: resolver.stack.id,
        logicalId,
        name,
        fire: async () => {
          if (fn) {
            await this.invokeAsync(fn, JSON.parse(input), source);
          } else if (machine) {
            // Scheduler's StartExecution: the run's outcome is the execution's, logged by it.
            this.sink({ service: 'scheduler', resource: `${source} -> ${machine.definition.logicalId}`, outcome: 'ok', detail: 'execution started' });
            await machine.start(JSON.parse(input));
          } else {
            await queue!(input);
            this.sink({ service: 'scheduler', resource: source, outcome: 'ok', detail: 'sent' });
          }
        },
      });
    }
  }

  private createStateMachines(resolver: StackResolver): void {
    for (const [logicalId, resource] of this.resourcesOf(resolver, 'AWS::StepFunctions::StateMachine')) {
      const props = resource.Properties ?? {};
      const physical = resolver.physical(logicalId);
      let definition: Record<string, unknown>;
      try {
        definition = props.DefinitionString !== undefined
          ? JSON.parse(resolver.resolveString(props.DefinitionString)) as Record<string, unknown>
          : resolver.resolve(props.Definition) as Record<string, unknown>;
        if (props.DefinitionSubstitutions) {
          const subs = resolver.resolve(props.DefinitionSubstitutions) as Record<string, unknown>;
          definition = JSON.parse(JSON.stringify(definition).replace(/\$\{([^}]+)\}/g, (m, k: string) => (k in subs ? String(subs[k]) : m))) as Record<string, unknown>;
        }
        const machine = new LocalStateMachine({ stack: resolver.stack.id, logicalId, name: physical.attributes.Name, arn: physical.ref, definition },
          (arn) => this.functionFor(arn), this.sink, this.clientsFor(resolver.stack.region).dynamodb);
        this.stateMachines.push(machine);
        if (machine.unboundTasks.length) {
          this.addUnsupported(resolver.stack, logicalId, resource.Type, `tasks that are not local Lambda functions fail: ${machine.unboundTasks.join(', ')}`, []);
        }
      } catch (error) {
        this.addUnsupported(resolver.stack, logicalId, resource.Type, `its definition cannot run locally: ${(error as Error).message}`, []);
      }
    }
  }

  private createApis(resolver: StackResolver): LocalHttpApi[] {
    const apis: LocalHttpApi[] = [];
    const routes = this.resourcesOf(resolver, 'AWS::ApiGatewayV2::Route');
    for (const [logicalId, resource] of this.resourcesOf(resolver, 'AWS::ApiGatewayV2::Api')) {
      const props = resolver.resolve(resource.Properties ?? {}) as Record<string, unknown>;
      if (props.ProtocolType !== 'HTTP') {
        this.addUnsupported(resolver.stack, logicalId, resource.Type, `${String(props.ProtocolType)} APIs are not served locally (HTTP only)`, []);
        continue;
      }
      const apiId = resolver.physical(logicalId).ref;
      const apiRoutes: HttpRoute[] = [];
      for (const [, route] of routes) {
        const r = resolver.resolve(route.Properties ?? {}) as Record<string, unknown>;
        if (r.ApiId !== apiId) continue;
        const integrationId = /^integrations\/(.+)$/.exec(String(r.Target ?? ''))?.[1];
        const integration = Object.entries(resolver.stack.template.Resources ?? {})
          .find(([id, res]) => res.Type === 'AWS::ApiGatewayV2::Integration' && resolver.physical(id).ref === integrationId);
        let target: LocalFunction | string = `route ${String(r.RouteKey)} has no integration`;
        let payloadFormatVersion = '2.0';
        if (integration) {
          const i = resolver.resolve(integration[1].Properties ?? {}) as Record<string, unknown>;
          payloadFormatVersion = String(i.PayloadFormatVersion ?? '2.0');
          const fn = i.IntegrationType === 'AWS_PROXY' ? this.functionFor(String(i.IntegrationUri)) : undefined;
          target = fn ?? `integration ${integration[0]} (${String(i.IntegrationType)} ${String(i.IntegrationUri)}) is not a local Lambda function`;
        }
        const jwt = r.AuthorizationType === 'JWT'
          ? { jwt: this.jwtAuthorizerOf(resolver, r.AuthorizerId), authorizationScopes: r.AuthorizationScopes as string[] | undefined }
          : {};
        apiRoutes.push({ routeKey: String(r.RouteKey), authorizationType: String(r.AuthorizationType ?? 'NONE'), target, payloadFormatVersion, ...jwt });
      }
      apis.push(new LocalHttpApi({
        stack: resolver.stack.id,
        logicalId,
        name: String(props.Name ?? logicalId),
        apiId,
        account: resolver.stack.account,
        region: resolver.stack.region,
        routes: apiRoutes,
      }, this.sink));
    }
    return apis;
  }

  /** The issuer and audiences of a JWT authorizer of the template (undefined when they do not resolve). */
  private jwtAuthorizerOf(resolver: StackResolver, authorizerId: unknown): { issuer: string; audience: string[] } | undefined {
    const found = Object.entries(resolver.stack.template.Resources ?? {})
      .find(([id, res]) => res.Type === 'AWS::ApiGatewayV2::Authorizer' && resolver.physical(id).ref === authorizerId);
    if (!found) return undefined;
    type Props = { JwtConfiguration?: { Issuer?: unknown; Audience?: unknown[] } };
    const config = (resolver.resolve(found[1].Properties ?? {}) as Props).JwtConfiguration;
    if (typeof config?.Issuer !== 'string') return undefined;
    return { issuer: config.Issuer, audience: (config.Audience ?? []).map(String) };
  }

  private listUnsupported(stack: AssemblyStack): void {
    for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
      if (EMULATED_TYPES.has(resource.Type) || IGNORED_TYPES.has(resource.Type)) continue;
      this.addUnsupported(stack, logicalId, resource.Type, 'this resource type is not emulated', functionsReferencing(stack, logicalId));
    }
  }

  private addUnsupported(stack: AssemblyStack, logicalId: string, type: string, reason: string, referencedBy: string[]): void {
    this.unsupported.push({ stack: stack.id, logicalId, type, reason, referencedBy });
  }
}

/** Functions whose properties, or whose execution role's policies, name `logicalId`. */
export function functionsReferencing(stack: AssemblyStack, logicalId: string): string[] {
  const resources = stack.template.Resources ?? {};
  const mentions = (value: unknown) => JSON.stringify(value ?? null).includes(`"${logicalId}"`);
  const out: string[] = [];
  for (const [fnId, fn] of Object.entries(resources)) {
    if (fn.Type !== 'AWS::Lambda::Function') continue;
    const roleId = ((fn.Properties?.Role as { 'Fn::GetAtt'?: string[] } | undefined)?.['Fn::GetAtt'] ?? [])[0];
    const policies = Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy'
      && ((r.Properties?.Roles as { Ref?: string }[] | undefined) ?? []).some((ref) => ref.Ref === roleId));
    if (mentions(fn.Properties) || policies.some((p) => mentions(p.Properties?.PolicyDocument))) out.push(fnId);
  }
  return out;
}

function withDependencies(assembly: CloudAssembly, stacks: AssemblyStack[]): AssemblyStack[] {
  const ids = new Set<string>();
  const visit = (stack: AssemblyStack) => {
    for (const dep of stack.dependencies) {
      const dependency = assembly.stacks.find((s) => s.id === dep);
      if (dependency && !ids.has(dep)) visit(dependency);
    }
    ids.add(stack.id);
  };
  stacks.forEach(visit);
  // Dependencies first, in the assembly's order otherwise.
  const ordered: AssemblyStack[] = [];
  const add = (id: string) => {
    if (ordered.some((s) => s.id === id)) return;
    const stack = assembly.stacks.find((s) => s.id === id)!;
    stack.dependencies.filter((d) => ids.has(d)).forEach(add);
    ordered.push(stack);
  };
  [...ids].forEach(add);
  return ordered;
}

async function sendTo(sqs: SQSClient, queueUrl: string, body: string): Promise<void> {
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
}

function pick(value: unknown, jsonPath: string): unknown {
  return jsonPath.replace(/^\$\.?/, '').split('.').filter(Boolean).reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], value);
}
