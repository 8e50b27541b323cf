/**
 * S3 event notifications, which fauxqs does not send: a pass-through front on 127.0.0.1 that
 * forwards every S3 request to fauxqs and, when an object is created or deleted, sends the S3
 * event (key URL-encoded as AWS does, with size, eTag and sequencer) to the destinations of the
 * bucket's notification configuration (Custom::S3BucketNotifications, or the bucket's own
 * NotificationConfiguration) whose event type and prefix/suffix filters match.
 */
import * as http from 'http';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { DeliverySink } from './deliveries';
import { closeServer, listenOnLoopback } from './loopback';

/** One destination of a bucket's notifications. */
export interface NotificationTarget {
  readonly bucket: string;
  /** e.g. `s3:ObjectCreated:*`, `s3:ObjectRemoved:Delete` */
  readonly events: string[];
  readonly prefix: string;
  readonly suffix: string;
  readonly name: string;
  readonly deliver: (event: { Records: unknown[] }) => Promise<void>;
}

/** The fields of a bucket notification configuration destination, as the template names them. */
interface FilterRule { readonly Name: string; readonly Value: string }
interface ConfigurationEntry {
  readonly Events?: string[];
  readonly Event?: string;
  readonly Filter?: { readonly Key?: { readonly FilterRules?: FilterRule[] }; readonly S3Key?: { readonly Rules?: FilterRule[] } };
}

/** Prefix and suffix of a configuration entry's filter (CloudFormation or S3 API spelling). */
export function keyFilter(entry: ConfigurationEntry): { prefix: string; suffix: string } {
  const rules = entry.Filter?.Key?.FilterRules ?? entry.Filter?.S3Key?.Rules ?? [];
  const rule = (name: string) => rules.find((r) => r.Name.toLowerCase() === name)?.Value ?? '';
  return { prefix: rule('prefix'), suffix: rule('suffix') };
}

/** The event types of a configuration entry. */
export function entryEvents(entry: ConfigurationEntry): string[] {
  return entry.Events ?? (entry.Event ? [entry.Event] : []);
}

/** Does a notification of `eventName` (e.g. `ObjectCreated:Put`) for `key` go to `target`? */
export function notificationMatches(target: Pick<NotificationTarget, 'events' | 'prefix' | 'suffix'>, eventName: string, key: string): boolean {
  const typeMatches = target.events.some((pattern) => {
    const p = pattern.replace(/^s3:/, '');
    return p.endsWith(':*') ? eventName.startsWith(p.slice(0, -1)) : p === eventName;
  });
  return typeMatches && key.startsWith(target.prefix) && key.endsWith(target.suffix);
}

/** The key as S3 writes it into event notifications: URL-encoded, spaces as `+`. */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%2F/g, '/');
}

/** The S3 front: forwards to fauxqs, then notifies. */
export class LocalS3Front {
  readonly targets: NotificationTarget[] = [];
  private server?: http.Server;
  private pending = 0;
  private sequence = 0;

  constructor(
    private readonly upstream: string,
    private readonly client: S3Client,
    private readonly region: string,
    private readonly onDelivery: DeliverySink,
  ) {}

  /** Notifications still being delivered. */
  get inFlight(): number {
    return this.pending;
  }

  async start(): Promise<string> {
    const upstream = new URL(this.upstream);
    const server = http.createServer((req, res) => {
      const forward = http.request({
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      }, (answer) => {
        const status = answer.statusCode ?? 500;
        // Count the notification before the client sees the answer, so a drain that follows the
        // upload waits for it.
        const notice = status >= 200 && status < 300 ? this.classify(req) : undefined;
        if (notice) this.pending++;
        res.writeHead(status, answer.headers);
        answer.pipe(res);
        answer.on('end', () => {
          if (notice) void this.notify(notice.bucket, notice.key, notice.eventName, req).finally(() => { this.pending--; });
        });
      });
      forward.on('error', (error) => { res.statusCode = 502; res.end(error.message); });
      req.pipe(forward);
    });
    this.server = server;
    return listenOnLoopback(server);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }

  /** Which object event a successful path-style request is, if any. */
  private classify(req: http.IncomingMessage): { bucket: string; key: string; eventName: string } | undefined {
    const url = new URL(req.url ?? '/', 'http://local');
    const [, bucket, ...rest] = url.pathname.split('/');
    if (!bucket || rest.length === 0 || rest.join('/') === '') return undefined;
    const key = decodeURIComponent(rest.join('/'));
    const q = url.searchParams;
    if (req.method === 'PUT' && !q.has('uploadId') && !q.has('tagging') && !q.has('acl') && !q.has('retention') && !q.has('legal-hold')) {
      return { bucket, key, eventName: req.headers['x-amz-copy-source'] ? 'ObjectCreated:Copy' : 'ObjectCreated:Put' };
    }
    if (req.method === 'POST' && q.has('uploadId')) return { bucket, key, eventName: 'ObjectCreated:CompleteMultipartUpload' };
    if (req.method === 'DELETE' && !q.has('uploadId') && !q.has('tagging')) return { bucket, key, eventName: 'ObjectRemoved:Delete' };
    return undefined;
  }

  private async notify(bucket: string, key: string, eventName: string, req: http.IncomingMessage): Promise<void> {
    const targets = this.targets.filter((t) => t.bucket === bucket && notificationMatches(t, eventName, key));
    if (targets.length === 0) return;
    const object: Record<string, unknown> = { key: encodeEventKey(key), sequencer: (++this.sequence).toString(16).toUpperCase().padStart(16, '0') };
    if (eventName.startsWith('ObjectCreated')) {
      try {
        const head = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        Object.assign(object, { size: head.ContentLength ?? 0, eTag: (head.ETag ?? '').replace(/"/g, ''), ...(head.VersionId ? { versionId: head.VersionId } : {}) });
      } catch {
        Object.assign(object, { size: Number(req.headers['x-amz-decoded-content-length'] ?? req.headers['content-length'] ?? 0), eTag: '' });
      }
    }
    const now = new Date().toISOString();
    for (const target of targets) {
      const record = {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: this.region,
        eventTime: now,
        eventName,
        userIdentity: { principalId: 'AWS:LOCAL' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'LOCAL', 'x-amz-id-2': 'LOCAL' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: target.name,
          bucket: { name: bucket, ownerIdentity: { principalId: 'LOCAL' }, arn: `arn:aws:s3:::${bucket}` },
          object,
        },
      };
      const resource = `${bucket}/${key} ${eventName} -> ${target.name}`;
      try {
        await target.deliver({ Records: [record] });
        this.onDelivery({ service: 's3', resource, outcome: 'ok', detail: 'notified' });
      } catch (error) {
        this.onDelivery({ service: 's3', resource, outcome: 'failed', detail: (error as Error).message });
      }
    }
  }
}
