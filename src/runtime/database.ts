/**
 * `createDatabasePool`: a `pg` pool for a Lambda function that connects through a ProxiedDatabase's
 * RDS Proxy. Create it once, outside the handler, so connections are reused across invocations.
 *
 * IAM mode (the default): the password is an IAM authentication token from @aws-sdk/rds-signer,
 * cached and refreshed before its 15-minute expiry, over verified TLS (Node's trusted CAs, which
 * cover RDS Proxy, plus an optional RDS CA bundle). Password mode (`DB_PASSWORD` or `password`) is for local development.
 *
 * Bundle `@aws-sdk/rds-signer` (and `pg`) into the function: the Lambda Node.js runtime provides the
 * AWS SDK's service clients (`@aws-sdk/client-*`), but it is not documented to provide rds-signer,
 * so an `@aws-sdk/*` external rule in esbuild would leave a `require` that fails at cold start.
 * Mark only `@aws-sdk/client-*` external (as examples/bundle.ts does).
 */
import * as fs from 'fs';
import * as tls from 'tls';
import { Signer } from '@aws-sdk/rds-signer';
import { Pool, PoolConfig } from 'pg';
import { DB_ENV } from './database-env';

/** Something that issues IAM authentication tokens (the rds-signer `Signer`). */
export interface AuthTokenSource {
  getAuthToken(): Promise<string>;
}

export interface DatabasePoolOptions {
  /** @default DB_PROXY_ENDPOINT */
  readonly host?: string;
  /** @default DB_PORT, or 5432 */
  readonly port?: number;
  /** @default DB_NAME */
  readonly database?: string;
  /** @default DB_USER */
  readonly user?: string;
  /** Password mode: a fixed password (local development). @default DB_PASSWORD, else IAM tokens */
  readonly password?: string;
  /**
   * Extra PEM certificate authorities for TLS (e.g. Amazon RDS's global-bundle.pem, shipped with the
   * function), trusted in addition to Node's CAs: RDS Proxy presents an ACM certificate that chains to
   * Amazon's public roots, a direct connection to the database one from the RDS CAs. Setting
   * NODE_EXTRA_CA_CERTS to the bundle's path on the function has the same effect.
   * @default the file at DB_CA_BUNDLE_PATH, else Node's trusted CAs only
   */
  readonly ca?: string;
  /** TLS on or off (IAM mode always uses TLS). @default true, or DB_SSL=false in password mode */
  readonly ssl?: boolean;
  /** Connections per container: one invocation at a time needs one or two. @default 2 */
  readonly max?: number;
  /** Close a connection idle this long (ms). @default 60000 */
  readonly idleTimeoutMillis?: number;
  /** Reuse an IAM token this long (ms); tokens are valid 15 minutes. @default 600000 */
  readonly tokenReuseMillis?: number;
  /** Token source. @default a Signer for host, port, user in AWS_REGION */
  readonly tokenSource?: AuthTokenSource;
  /** Clock for the token cache (tests). @default Date.now */
  readonly now?: () => number;
  /** Called when an idle connection fails (e.g. the proxy closed it). @default logs to console.warn */
  readonly onIdleError?: (error: Error) => void;
}

/** A function returning a cached token, refreshed after `reuseMillis`. Concurrent callers share one request. */
export function cachedAuthToken(source: AuthTokenSource, reuseMillis = 600_000, now: () => number = Date.now): () => Promise<string> {
  let token: string | undefined;
  let issuedAt = 0;
  let pending: Promise<string> | undefined;
  return async () => {
    if (token !== undefined && now() - issuedAt < reuseMillis) return token;
    pending ??= source.getAuthToken().then((t) => {
      token = t;
      issuedAt = now();
      return t;
    }).finally(() => {
      pending = undefined;
    });
    return pending;
  };
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new Error(`createDatabasePool: ${name} is not set; ProxiedDatabase.grantConnect sets it on the function`);
  return value;
}

/** Creates the pool (call once per container, at module scope). */
export function createDatabasePool(options: DatabasePoolOptions = {}): Pool {
  const env = process.env;
  const host = options.host ?? required(env[DB_ENV.DB_PROXY_ENDPOINT], DB_ENV.DB_PROXY_ENDPOINT);
  const port = options.port ?? Number(env[DB_ENV.DB_PORT] ?? 5432);
  const database = options.database ?? required(env[DB_ENV.DB_NAME], DB_ENV.DB_NAME);
  const user = options.user ?? required(env[DB_ENV.DB_USER], DB_ENV.DB_USER);
  const fixedPassword = options.password ?? env[DB_ENV.DB_PASSWORD];
  const caPath = env[DB_ENV.DB_CA_BUNDLE_PATH];
  const ca = options.ca ?? (caPath ? fs.readFileSync(caPath, 'utf8') : undefined);
  const iamMode = fixedPassword === undefined;
  const ssl = iamMode ? true : options.ssl ?? env[DB_ENV.DB_SSL] !== 'false';

  const tokenSource = options.tokenSource ?? new Signer({ hostname: host, port, username: user, region: env.AWS_REGION });
  const password: PoolConfig['password'] = iamMode ? cachedAuthToken(tokenSource, options.tokenReuseMillis, options.now) : fixedPassword;
  const pool = new Pool({
    host,
    port,
    database,
    user,
    password,
    // An explicit `ca` replaces Node's trusted CAs, so the bundle is added to them, not used alone.
    ssl: ssl ? { rejectUnauthorized: true, ...(ca ? { ca: [...tls.rootCertificates, ca] } : {}) } : false,
    max: options.max ?? 2,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 60_000,
    connectionTimeoutMillis: 5_000,
  });
  // An idle connection closed by the server (proxy idle timeout, failover) emits 'error' on the
  // pool; without a listener it would crash the process. The pool discards that client and the
  // next query opens a new connection.
  pool.on('error', options.onIdleError ?? ((error) => console.warn(`database pool: idle connection lost: ${error.message}`)));
  return pool;
}
