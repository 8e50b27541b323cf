/**
 * The database pool helper against a real PostgreSQL on 127.0.0.1 (test/helpers/postgres.ts), and
 * the IAM token signer offline. Without PostgreSQL binaries the server tests skip, except under CI
 * (CI=true), where scripts/ensure-postgres.sh has installed them and a skip would hide a failure.
 */
import * as tls from 'tls';
import { Signer } from '@aws-sdk/rds-signer';
import { Client } from 'pg';
import { cachedAuthToken, createDatabasePool } from '../../src/runtime';
import { postgresBinDir, RunningPostgres, startPostgres } from '../helpers/postgres';

const available = postgresBinDir() !== undefined;
if (!available && process.env.CI) throw new Error('CI: PostgreSQL binaries are missing; scripts/ensure-postgres.sh should have installed them');
const describeWithPostgres = available ? describe : describe.skip;
if (!available) console.warn('PostgreSQL binaries not found: the pool tests against a real server are skipped (run scripts/ensure-postgres.sh)');

describeWithPostgres('createDatabasePool against PostgreSQL', () => {
  let pg: RunningPostgres;
  beforeAll(async () => {
    pg = await startPostgres();
  }, 60_000);
  afterAll(() => pg?.stop());

  /** The pool as a function's module scope creates it, in password mode (local development). */
  function poolFromEnvironment() {
    Object.assign(process.env, {
      DB_PROXY_ENDPOINT: pg.host, DB_PORT: String(pg.port), DB_NAME: pg.database, DB_USER: pg.user, DB_PASSWORD: pg.password, DB_SSL: 'false',
    });
    try {
      return createDatabasePool({ max: 1, onIdleError: () => undefined });
    } finally {
      for (const k of ['DB_PROXY_ENDPOINT', 'DB_PORT', 'DB_NAME', 'DB_USER', 'DB_PASSWORD', 'DB_SSL']) delete process.env[k];
    }
  }

  test('runs queries with the connection settings from the environment grantConnect sets', async () => {
    const pool = poolFromEnvironment();
    try {
      const { rows } = await pool.query('SELECT $1::int + 1 AS answer, current_database() AS db', [41]);
      expect(rows).toEqual([{ answer: 42, db: 'postgres' }]);
    } finally {
      await pool.end();
    }
  });

  test('reuses one connection across invocations of a handler', async () => {
    const pool = poolFromEnvironment();
    const handler = async () => (await pool.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    try {
      const first = await handler();
      const second = await handler();
      expect(second).toBe(first);
    } finally {
      await pool.end();
    }
  });

  test('reconnects after the server drops its connections, without crashing the process', async () => {
    const pool = poolFromEnvironment();
    const admin = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
    await admin.connect();
    try {
      const before = (await pool.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      await admin.query('SELECT pg_terminate_backend($1)', [before]);
      await new Promise((r) => setTimeout(r, 200));
      const after = (await pool.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      expect(after).not.toBe(before);
    } finally {
      await admin.end();
      await pool.end();
    }
  });
});

describe('IAM authentication tokens', () => {
  test('the rds-signer token has the form RDS expects (offline, dummy credentials)', async () => {
    const signer = new Signer({
      hostname: 'orders.proxy-abc.eu-west-1.rds.amazonaws.com',
      port: 5432,
      username: 'reports',
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    });
    const token = await signer.getAuthToken();
    const [hostPort, query] = token.split('/?');
    const params = Object.fromEntries(new URLSearchParams(query));
    expect(hostPort).toBe('orders.proxy-abc.eu-west-1.rds.amazonaws.com:5432');
    expect(params).toEqual({
      'Action': 'connect',
      'DBUser': 'reports',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': expect.stringMatching(/^AKIDEXAMPLE\/\d{8}\/eu-west-1\/rds-db\/aws4_request$/),
      'X-Amz-Date': expect.stringMatching(/^\d{8}T\d{6}Z$/),
      'X-Amz-Expires': '900',
      'X-Amz-SignedHeaders': 'host',
      'X-Amz-Signature': expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  test('a token is reused within its reuse period and refreshed after it, before the 15-minute expiry', async () => {
    let issued = 0;
    let clock = 0;
    const token = cachedAuthToken({ getAuthToken: async () => `token-${++issued}` }, 600_000, () => clock);
    expect(await token()).toBe('token-1');
    clock = 599_000;
    expect(await token()).toBe('token-1');
    clock = 600_000;
    expect(await token()).toBe('token-2');
  });

  test('concurrent connections share one token request', async () => {
    let issued = 0;
    const token = cachedAuthToken({ getAuthToken: async () => `token-${++issued}` });
    expect(await Promise.all([token(), token(), token()])).toEqual(['token-1', 'token-1', 'token-1']);
  });

  test('IAM mode (no password) always uses TLS and a token function as the password', () => {
    const pool = createDatabasePool({ host: 'h', database: 'd', user: 'u', tokenSource: { getAuthToken: async () => 't' }, ca: 'PEM' });
    const options = (pool as unknown as { options: { ssl: unknown; password: unknown } }).options;
    expect(options.ssl).toEqual({ rejectUnauthorized: true, ca: expect.arrayContaining(['PEM']) });
    expect(typeof options.password).toBe('function');
    void pool.end();
  });

  test('a CA bundle is trusted in addition to Node\'s CAs (RDS Proxy certificates chain to Amazon\'s public roots)', () => {
    const pool = createDatabasePool({ host: 'h', database: 'd', user: 'u', tokenSource: { getAuthToken: async () => 't' }, ca: 'PEM' });
    const options = (pool as unknown as { options: { ssl: { ca: string[] } } }).options;
    expect(options.ssl.ca).toEqual([...tls.rootCertificates, 'PEM']);
    void pool.end();
  });

  test('IAM mode without a CA bundle verifies against Node\'s trusted CAs', () => {
    const pool = createDatabasePool({ host: 'h', database: 'd', user: 'u', tokenSource: { getAuthToken: async () => 't' } });
    const options = (pool as unknown as { options: { ssl: unknown } }).options;
    expect(options.ssl).toEqual({ rejectUnauthorized: true });
    void pool.end();
  });

  test('fails clearly when the connection environment is missing', () => {
    expect(() => createDatabasePool()).toThrow(/DB_PROXY_ENDPOINT is not set; ProxiedDatabase.grantConnect sets it on the function/);
  });
});
