/**
 * Local AWS emulators for runtime tests, bound to 127.0.0.1 only (see ../shared/EMULATORS.md):
 * fauxqs for SQS, SNS -> SQS and S3; dynalite for DynamoDB. Handlers under test use SDK clients
 * created with the default configuration, so the standard AWS_ENDPOINT_URL_* variables set here
 * point them at the emulators.
 */
import type * as dnsTypes from 'dns';
import { startDynaliteServer, startFauxqsProcess } from '../../src/local/emulators';

/** A running emulator: its endpoint and how to stop it. */
export interface RunningEmulator {
  readonly endpoint: string;
  stop(): Promise<void>;
}

const REGION = 'us-east-1';

/** Dummy credentials and a region, so SDK clients sign requests the emulators accept. */
export function useLocalAwsEnvironment(): void {
  process.env.AWS_REGION = REGION;
  process.env.AWS_DEFAULT_REGION = REGION;
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  delete process.env.AWS_PROFILE;
  // Powertools: no X-Ray daemon here, and metrics flushed to stdout are noise in test output.
  process.env.POWERTOOLS_TRACE_ENABLED = 'false';
  process.env.POWERTOOLS_DEV = 'false';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT';
}

let dnsPatched = false;

/**
 * Resolves `*.localhost` to 127.0.0.1 in this process, as fauxqs's `interceptLocalhostDns()` does
 * (fauxqs is ESM-only and cannot be imported into jest's CommonJS runtime). Needed because fauxqs
 * queue URLs name `sqs.<region>.localhost` and current SQS clients call the queue URL's host.
 */
export function resolveLocalhostSubdomains(): void {
  if (dnsPatched) return;
  dnsPatched = true;
  // The core module object itself (an ES namespace import only has getters).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dns = require('dns') as typeof dnsTypes;
  const original = dns.lookup;
  const patched = (hostname: string, options: unknown, callback?: unknown) => {
    const cb = (typeof options === 'function' ? options : callback) as (...args: unknown[]) => void;
    const opts = (typeof options === 'object' && options !== null ? options : {}) as dnsTypes.LookupOptions;
    if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
      if (opts.all) {
        process.nextTick(cb, null, [{ address: '127.0.0.1', family: 4 }]);
      } else {
        process.nextTick(cb, null, '127.0.0.1', 4);
      }
      return {};
    }
    return (original as unknown as (...args: unknown[]) => unknown)(hostname, options, callback);
  };
  (dns as unknown as { lookup: unknown }).lookup = patched;
}

/**
 * Starts fauxqs (SQS, SNS, S3) on 127.0.0.1 at a free port, in a child process, and points
 * AWS_ENDPOINT_URL_SQS, _SNS and _S3 at it. S3 clients in tests need `forcePathStyle: true`.
 */
export async function startFauxqs(): Promise<RunningEmulator> {
  useLocalAwsEnvironment();
  resolveLocalhostSubdomains();
  const fauxqs = await startFauxqsProcess();
  const port = fauxqs.port;
  const endpoint = `http://localhost:${port}`;
  // The host fauxqs names in queue URLs: with it as the endpoint, the SQS client does not warn that
  // the queue URL's host differs from its endpoint on every call.
  process.env.AWS_ENDPOINT_URL_SQS = `http://sqs.${REGION}.localhost:${port}`;
  process.env.AWS_ENDPOINT_URL_SNS = endpoint;
  process.env.AWS_ENDPOINT_URL_S3 = endpoint;
  return {
    endpoint,
    stop: () => fauxqs.stop(),
  };
}

export interface DynaliteOptions {
  /** Keep the tables on disk in this directory (LevelDB), so a restart on the same path finds them. @default in memory */
  readonly path?: string;
  /** Listen on this port (a restart reuses the port its clients know). @default a free port */
  readonly port?: number;
}

/**
 * Starts dynalite (DynamoDB) on 127.0.0.1 and points AWS_ENDPOINT_URL_DYNAMODB at it. `stop()`
 * also drops the open (keep-alive) connections, as a crashed server would.
 */
export async function startDynalite(options: DynaliteOptions = {}): Promise<RunningEmulator> {
  useLocalAwsEnvironment();
  const dynamodb = await startDynaliteServer(options.port ?? 0, { path: options.path });
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamodb.endpoint;
  return { endpoint: dynamodb.endpoint, stop: () => dynamodb.stop() };
}

/** A unique name for a queue, table, topic or bucket, so tests never share state. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`.toLowerCase();
}
