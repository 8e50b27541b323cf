/**
 * A local EventBridge: PutEvents (the AWS JSON 1.1 protocol the SDK speaks) on 127.0.0.1, with the
 * template's rules matched against each event and their SQS and Lambda targets delivered to. No
 * emulator for EventBridge exists (../shared/EMULATORS.md), so this is the local cloud's own.
 */
import { randomUUID } from 'crypto';
import * as http from 'http';
import type { DeliverySink } from './deliveries';
import { closeServer, listenOnLoopback } from './loopback';

/** An EventBridge event as rules and targets see it. */
export interface BusEvent {
  readonly 'version': '0';
  readonly 'id': string;
  readonly 'detail-type': string;
  readonly 'source': string;
  readonly 'account': string;
  readonly 'time': string;
  readonly 'region': string;
  readonly 'resources': string[];
  readonly 'detail': unknown;
}

export interface EventRule {
  readonly logicalId: string;
  readonly busName: string;
  readonly pattern: Record<string, unknown>;
  readonly targets: { readonly id: string; readonly deliver: (event: BusEvent) => Promise<void> }[];
}

/** Does `event` match the EventBridge `pattern`? (exact values, prefix, suffix, anything-but, exists, numeric, equals-ignore-case) */
export function matchesPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = event !== null && typeof event === 'object' ? (event as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(expected)) return expected.some((m) => matchesValue(m, actual));
    if (expected !== null && typeof expected === 'object') {
      // A missing object has no leaves: only `exists: false` (and nested objects of it) match inside it.
      if (actual === undefined) return matchesPattern(expected as Record<string, unknown>, {});
      return actual !== null && typeof actual === 'object' && matchesPattern(expected as Record<string, unknown>, actual);
    }
    return false;
  });
}

function matchesValue(matcher: unknown, actual: unknown): boolean {
  const values = Array.isArray(actual) ? actual : [actual];
  if (matcher === null || typeof matcher !== 'object') return actual !== undefined && values.some((v) => v === matcher);
  const [op, arg] = Object.entries(matcher as Record<string, unknown>)[0] ?? [];
  switch (op) {
    case 'exists': return (actual !== undefined) === arg;
    case 'prefix': return values.some((v) => typeof v === 'string' && v.startsWith(String(arg)));
    case 'suffix': return values.some((v) => typeof v === 'string' && v.endsWith(String(arg)));
    case 'equals-ignore-case': return values.some((v) => typeof v === 'string' && v.toLowerCase() === String(arg).toLowerCase());
    case 'anything-but': {
      if (actual === undefined) return false;
      if (arg !== null && typeof arg === 'object' && !Array.isArray(arg)) return !values.some((v) => matchesValue(arg, v));
      const excluded = Array.isArray(arg) ? arg : [arg];
      return values.every((v) => !excluded.includes(v));
    }
    case 'numeric': {
      const conditions = arg as (string | number)[];
      return values.some((v) => {
        if (typeof v !== 'number') return false;
        for (let i = 0; i < conditions.length; i += 2) {
          const bound = Number(conditions[i + 1]);
          const ok = { '<': v < bound, '<=': v <= bound, '=': v === bound, '>': v > bound, '>=': v >= bound }[String(conditions[i])];
          if (!ok) return false;
        }
        return true;
      });
    }
    default: return false;
  }
}

/** The local EventBridge server. */
export class LocalEventBridge {
  readonly rules: EventRule[] = [];
  /** Every event put, in order. */
  readonly events: BusEvent[] = [];
  private server?: http.Server;
  private pending = 0;

  constructor(private readonly account: string, private readonly region: string, private readonly onDelivery: DeliverySink) {}

  /** Deliveries to rule targets still running. */
  get inFlight(): number {
    return this.pending;
  }

  async start(): Promise<string> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const target = String(req.headers['x-amz-target'] ?? '');
        res.setHeader('content-type', 'application/x-amz-json-1.1');
        if (target !== 'AWSEvents.PutEvents') {
          res.statusCode = 400;
          res.end(JSON.stringify({ __type: 'UnknownOperationException', message: `${target} is not emulated locally (PutEvents only)` }));
          return;
        }
        const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { Entries?: Record<string, unknown>[] };
        res.end(JSON.stringify({ FailedEntryCount: 0, Entries: (input.Entries ?? []).map((entry) => ({ EventId: this.put(entry) })) }));
      });
    });
    this.server = server;
    return listenOnLoopback(server);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }

  /** Puts one entry on its bus and delivers it to the matching rules' targets; returns its id. */
  put(entry: Record<string, unknown>): string {
    const busName = String(entry.EventBusName ?? 'default').replace(/^arn:[^:]+:events:[^:]*:[^:]*:event-bus\//, '');
    const event: BusEvent = {
      'version': '0',
      'id': randomUUID(),
      'detail-type': String(entry.DetailType ?? ''),
      'source': String(entry.Source ?? ''),
      'account': this.account,
      'time': (entry.Time ? new Date(entry.Time as string | number) : new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      'region': this.region,
      'resources': (entry.Resources as string[] | undefined) ?? [],
      'detail': JSON.parse(String(entry.Detail ?? '{}')),
    };
    this.events.push(event);
    const rules = this.rules.filter((r) => r.busName === busName && matchesPattern(r.pattern, event));
    if (rules.length === 0) {
      this.onDelivery({ service: 'events', resource: `${busName} ${event['detail-type']}`, outcome: 'ok', detail: 'no rule matched' });
    }
    for (const rule of rules) {
      for (const target of rule.targets) {
        this.pending++;
        target.deliver(event).then(
          () => this.onDelivery({ service: 'events', resource: `${busName} ${event['detail-type']} -> ${rule.logicalId}/${target.id}`, outcome: 'ok', detail: 'delivered' }),
          (error: Error) => this.onDelivery({ service: 'events', resource: `${busName} ${event['detail-type']} -> ${rule.logicalId}/${target.id}`, outcome: 'failed', detail: error.message }),
        ).finally(() => { this.pending--; });
      }
    }
    return event.id;
  }
}
