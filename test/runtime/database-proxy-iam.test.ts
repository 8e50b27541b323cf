/**
 * The database example's worker path through the proxy's authentication model, on this machine:
 * the template of examples/database/stack.ts configures an RDS Proxy stand-in
 * (test/helpers/rds-proxy-emulator.ts: TLS, IAM token verified, caller and proxy-role policies
 * simulated with iam-simulate, rds_iam membership) in front of a local PostgreSQL where the
 * `reports` user exists as RDS would have it (`CREATE USER reports; GRANT rds_iam TO reports`, no
 * password). The worker's pool (createDatabasePool in IAM mode, its default Signer) connects as the
 * example's DB_USER. What the stand-in cannot reproduce is listed in its header.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Client } from 'pg';
import { DatabaseExampleStack } from '../../examples/database/stack';
import { createDatabasePool } from '../../src/runtime';
import { postgresBinDir, RunningPostgres, startPostgres } from '../helpers/postgres';
import { RunningRdsProxyEmulator, startRdsProxyEmulator } from '../helpers/rds-proxy-emulator';

const available = postgresBinDir() !== undefined;
if (!available && process.env.CI) throw new Error('CI: PostgreSQL binaries are missing; scripts/ensure-postgres.sh should have installed them');
const describeWithPostgres = available ? describe : describe.skip;

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const WORKER_KEYS = { accessKeyId: 'AKIAWORKER0000000001', secretAccessKey: 'worker-secret' };
const OTHER_KEYS = { accessKeyId: 'AKIAOTHER00000000002', secretAccessKey: 'other-secret' };

describeWithPostgres('the database example worker through the RDS Proxy (end-to-end IAM authentication)', () => {
  let pg: RunningPostgres;
  let proxy: RunningRdsProxyEmulator;
  let admin: Client;
  let workerEnv: Record<string, string>;

  beforeAll(async () => {
    // GIVEN the example's template
    const app = new App();
    const stack = new DatabaseExampleStack(app, 'DatabaseExample', {
      env: { account: '123456789012', region: 'eu-west-1' },
      alarmTopic: new sns.Topic(new Stack(app, 'Shared', { env: { account: '123456789012', region: 'eu-west-1' } }), 'Alarms'),
    });
    const template = Template.fromStack(stack).toJSON();
    const functions = Object.entries<Json>(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    const [, worker] = functions.find(([, r]) => r.Properties.Environment?.Variables?.DB_USER)!;
    workerEnv = worker.Properties.Environment.Variables;
    const workerRole: string = worker.Properties.Role['Fn::GetAtt'][0];
    const otherRole: string = functions.map(([, r]) => r.Properties.Role?.['Fn::GetAtt']?.[0]).find((r) => r && r !== workerRole);

    // and a PostgreSQL with the example's database user as RDS has it: rds_iam, no password
    pg = await startPostgres({ hba: ['host all +rds_iam 127.0.0.1/32 trust'] });
    admin = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${workerEnv.DB_NAME}`);
    await admin.query(`CREATE ROLE rds_iam NOLOGIN; CREATE USER ${workerEnv.DB_USER}; GRANT rds_iam TO ${workerEnv.DB_USER}`);
    const appDb = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: workerEnv.DB_NAME });
    await appDb.connect();
    await appDb.query(`CREATE TABLE orders (customer_id text, amount numeric); INSERT INTO orders VALUES ('c1', 10), ('c1', 5.5), ('c2', 1);
      GRANT SELECT ON orders TO ${workerEnv.DB_USER}`);
    await appDb.end();

    proxy = await startRdsProxyEmulator({
      template,
      callers: [{ ...WORKER_KEYS, roleLogicalId: workerRole }, { ...OTHER_KEYS, roleLogicalId: otherRole }],
      backend: { host: pg.host, port: pg.port },
      hasRdsIam: async (user) => (await admin.query("SELECT pg_has_role($1, 'rds_iam', 'member') AS m", [user]).catch(() => ({ rows: [{ m: false }] }))).rows[0].m,
    });
  }, 120_000);

  afterAll(async () => {
    await proxy?.stop();
    await admin?.end();
    pg?.stop();
  });

  const savedEnv = { ...process.env };
  afterEach(() => {
    process.env = { ...savedEnv };
  });

  /**
   * The pool as the worker's module scope creates it: the connection environment grantConnect set
   * and the default Signer, which reads the function's credentials from the environment (as on Lambda).
   */
  function workerPool(keys: { accessKeyId: string; secretAccessKey: string }) {
    Object.assign(process.env, {
      ...workerEnv,
      // The proxy endpoint and port are the local stand-in's; everything else is the template's.
      DB_PROXY_ENDPOINT: proxy.host,
      DB_PORT: String(proxy.port),
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: keys.accessKeyId,
      AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
    });
    return createDatabasePool({ ca: proxy.ca, max: 1, onIdleError: () => undefined });
  }

  test('the worker connects as the example\'s database user with an IAM token and runs the example query', async () => {
    // WHEN
    const pool = workerPool(WORKER_KEYS);
    try {
      const { rows } = await pool.query('SELECT current_user AS usr, count(*) AS orders, sum(amount) AS total FROM orders WHERE customer_id = $1', ['c1']);
      // THEN
      expect(rows).toEqual([{ usr: workerEnv.DB_USER, orders: '2', total: '15.5' }]);
      expect(workerEnv.DB_USER).toBe('reports');
    } finally {
      await pool.end();
    }
  });

  test('another function of the stack, not granted the database, is refused by the proxy', async () => {
    const pool = workerPool(OTHER_KEYS);
    try {
      await expect(pool.query('SELECT 1')).rejects.toThrow(/is not allowed rds-db:connect on arn:aws:rds-db:eu-west-1:123456789012:dbuser:prx-[^/]+\/reports/);
    } finally {
      await pool.end();
    }
  });

  test('a password instead of an IAM token is refused', async () => {
    const client = new Client({ host: proxy.host, port: proxy.port, user: workerEnv.DB_USER, database: workerEnv.DB_NAME, password: 'hunter2', ssl: { ca: proxy.ca } });
    await expect(client.connect()).rejects.toThrow(/PAM authentication failed for user "reports": the password is not an IAM authentication token/);
  });

  test('a database user without the rds_iam grant cannot log in through the proxy, even with a valid token', async () => {
    await admin.query(`REVOKE rds_iam FROM ${workerEnv.DB_USER}`);
    const pool = workerPool(WORKER_KEYS);
    try {
      await expect(pool.query('SELECT 1')).rejects.toThrow(/the database user has no rds_iam grant/);
    } finally {
      await pool.end();
      await admin.query(`GRANT rds_iam TO ${workerEnv.DB_USER}`);
    }
  });
});
