/**
 * An RDS Proxy stand-in on 127.0.0.1 in front of a local PostgreSQL, configured from a synthesized
 * template (AWS::RDS::DBProxy, its role's policies, the caller's policies) so that the proxy's
 * authentication model is what a test exercises, not assumed:
 *
 * - TLS is required (RequireTLS): the client must ask for SSL and verify our certificate.
 * - The client logs in with an IAM token as the password (PostgreSQL cleartext password request,
 *   as RDS asks for it): the token's SigV4 signature is verified with the caller's (test) secret
 *   key, independently of @aws-sdk/rds-signer; it must be for this proxy's host:port, `connect`,
 *   the user of the startup message, and not expired.
 * - The caller's identity policies (from the template) must allow `rds-db:connect` on
 *   `dbuser:<proxy resource id>/<user>`: evaluated with @cloud-copilot/iam-simulate.
 * - Proxy → database, as the template configures it: with `DefaultAuthScheme: IAM_AUTH`, the proxy
 *   role's policies must allow `rds-db:connect` on `dbuser:<cluster resource id>/<user>` (simulated)
 *   and the user must be a member of `rds_iam` in the database; without it (SECRETS), the proxy can
 *   log in only as a user whose secret it holds (the `Auth` entries' usernames), else it refuses
 *   with RDS Proxy's "no credentials for the role" error.
 * - Then it opens the backend connection as that user and relays the session unchanged.
 *
 * Not emulated: real AWS credentials and STS (the caller's keys are fixed test keys), the
 * database-side IAM token check of RDS PostgreSQL's rds_iam (the backend trusts rds_iam members
 * from the proxy via pg_hba, the proxy having checked its own policy), ACM certificates (a
 * self-signed one given to the client as `ca`), pooling/multiplexing and pinning.
 */
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as tls from 'tls';
import { runSimulation } from '@cloud-copilot/iam-simulate';

export const FAKE = {
  account: '123456789012',
  region: 'eu-west-1',
  proxyResourceId: 'prx-0123456789abcdef0',
  clusterResourceId: 'cluster-ABCDEFGHIJKL01234',
} as const;

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Resolves the intrinsic functions of a template value with stand-in attribute values. */
export function resolveIntrinsics(value: Json, template: Json): Json {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, template));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const [k] = keys;
    const arg = value[k];
    if (k === 'Ref') {
      const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': FAKE.region, 'AWS::AccountId': FAKE.account, 'AWS::URLSuffix': 'amazonaws.com' };
      return pseudo[arg] ?? arg;
    }
    if (k === 'Fn::GetAtt') {
      const [id, attr] = arg as [string, string];
      const type = template.Resources[id]?.Type;
      if (attr === 'DBProxyArn') return `arn:aws:rds:${FAKE.region}:${FAKE.account}:db-proxy:${FAKE.proxyResourceId}`;
      if (attr === 'DBClusterResourceId') return FAKE.clusterResourceId;
      if (attr === 'Arn' && type === 'AWS::IAM::Role') return `arn:aws:iam::${FAKE.account}:role/${id}`;
      return `${id}.${attr}`;
    }
    if (k === 'Fn::Join') {
      const [sep, parts] = arg as [string, Json[]];
      return resolveIntrinsics(parts, template).join(sep);
    }
    if (k === 'Fn::Split') {
      const [sep, source] = arg as [string, Json];
      return String(resolveIntrinsics(source, template)).split(sep);
    }
    if (k === 'Fn::Select') {
      const [index, list] = arg as [number, Json];
      return resolveIntrinsics(list, template)[Number(index)];
    }
  }
  return Object.fromEntries(keys.map((k) => [k, resolveIntrinsics(value[k], template)]));
}

/** The identity policies attached to a role of the template (AWS::IAM::Policy and inline policies), resolved. */
export function rolePolicies(template: Json, roleLogicalId: string): { name: string; policy: Json }[] {
  const found: { name: string; policy: Json }[] = [];
  for (const [id, r] of Object.entries<Json>(template.Resources)) {
    if (r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles ?? []).some((x: Json) => x.Ref === roleLogicalId)) {
      found.push({ name: id, policy: resolveIntrinsics(r.Properties.PolicyDocument, template) });
    }
  }
  for (const p of template.Resources[roleLogicalId]?.Properties?.Policies ?? []) {
    found.push({ name: p.PolicyName, policy: resolveIntrinsics(p.PolicyDocument, template) });
  }
  return found;
}

async function allowed(principal: string, identityPolicies: { name: string; policy: Json }[], resource: string): Promise<boolean> {
  const response = await runSimulation({
    request: { principal, action: 'rds-db:connect', resource: { resource, accountId: FAKE.account }, contextVariables: {} },
    identityPolicies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  }, {});
  if (response.resultType === 'error') throw new Error(`iam-simulate: ${JSON.stringify(response.errors)}`);
  return response.overallResult === 'Allowed';
}

/** A caller of the proxy: test credentials and the role (of the template) they belong to. */
export interface ProxyCaller {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Logical id of the caller's AWS::IAM::Role in the template. */
  readonly roleLogicalId: string;
}

export interface RdsProxyEmulatorOptions {
  /** The synthesized template holding the AWS::RDS::DBProxy. */
  readonly template: Json;
  readonly callers: ProxyCaller[];
  /** The local database server. */
  readonly backend: { host: string; port: number };
  /** Answers whether a user is a member of rds_iam (queried as the administrator). */
  readonly hasRdsIam: (user: string) => Promise<boolean>;
}

export interface RunningRdsProxyEmulator {
  readonly host: string;
  readonly port: number;
  /** PEM of the proxy's certificate, to give the client as `ca`. */
  readonly ca: string;
  /** Why each refused login was refused (for assertions). */
  readonly refusals: string[];
  stop(): Promise<void>;
}

function selfSignedCertificate(): { key: string; cert: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proxy-cert-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'pipe' });
    return { key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key: crypto.BinaryLike, data: string) => crypto.createHmac('sha256', key).update(data).digest();
const sha256 = (data: string) => crypto.createHash('sha256').update(data).digest('hex');

/** Verifies an RDS IAM token (a SigV4-presigned `connect` URL); returns the caller or why it is refused. */
export function verifyAuthToken(token: string, expectedHost: string, user: string, callers: ProxyCaller[], now = new Date()): ProxyCaller | string {
  const [hostPort, query] = token.split('/?');
  if (!query) return 'the password is not an IAM authentication token';
  if (hostPort !== expectedHost) return `the token is for ${hostPort}, not ${expectedHost}`;
  const params = new URLSearchParams(query);
  if (params.get('Action') !== 'connect') return 'the token is not for Action=connect';
  if (params.get('DBUser') !== user) return `the token is for DBUser=${params.get('DBUser')}, not ${user}`;
  const [accessKeyId, date, region, service, terminator] = (params.get('X-Amz-Credential') ?? '').split('/');
  const caller = callers.find((c) => c.accessKeyId === accessKeyId);
  if (!caller) return `unknown access key ${accessKeyId}`;
  if (region !== FAKE.region || service !== 'rds-db' || terminator !== 'aws4_request') return 'the token\'s credential scope is not rds-db in the proxy\'s region';
  const amzDate = params.get('X-Amz-Date') ?? '';
  const signedAt = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (!(now.getTime() - signedAt <= Number(params.get('X-Amz-Expires')) * 1000) || Number(params.get('X-Amz-Expires')) > 900) return 'the token has expired';
  const canonicalQuery = [...params.entries()].filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [rfc3986(k), rfc3986(v)]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join('&');
  const canonicalRequest = ['GET', '/', canonicalQuery, `host:${hostPort}\n`, params.get('X-Amz-SignedHeaders'), sha256('')].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${caller.secretAccessKey}`, date), region), service), 'aws4_request');
  const signature = crypto.createHmac('sha256', key).update(stringToSign).digest('hex');
  if (signature !== params.get('X-Amz-Signature')) return 'the token\'s signature does not match';
  return caller;
}

function errorResponse(message: string): Buffer {
  const fields = Buffer.concat([
    ...[['S', 'FATAL'], ['V', 'FATAL'], ['C', '28000'], ['M', message]].map(([t, v]) => Buffer.concat([Buffer.from(t), Buffer.from(`${v}\0`)])),
    Buffer.from([0]),
  ]);
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([head, fields]);
}

/** Reads exactly n bytes (or a whole message when n is a function of the buffered bytes). */
function reader(socket: net.Socket) {
  let buffered = Buffer.alloc(0);
  const waiters: (() => void)[] = [];
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    waiters.splice(0).forEach((w) => w());
  };
  socket.on('data', onData);
  const take = async (n: number): Promise<Buffer> => {
    while (buffered.length < n) await new Promise<void>((resolve, reject) => { waiters.push(resolve); socket.once('close', () => reject(new Error('closed'))); });
    const out = buffered.subarray(0, n);
    buffered = buffered.subarray(n);
    return out;
  };
  return { take, detach: () => { socket.off('data', onData); return buffered; } };
}

export async function startRdsProxyEmulator(options: RdsProxyEmulatorOptions): Promise<RunningRdsProxyEmulator> {
  const { template } = options;
  const [, proxy] = Object.entries<Json>(template.Resources).find(([, r]) => r.Type === 'AWS::RDS::DBProxy')!;
  const props = proxy.Properties;
  const proxyRoleId: string = props.RoleArn['Fn::GetAtt'][0];
  const iamEndToEnd = props.DefaultAuthScheme === 'IAM_AUTH';
  // SECRETS: the users the proxy holds secrets for (the generated secret's username in the template).
  const secretUsers = (props.Auth ?? []).map((a: Json) => {
    const secretId = a.SecretArn.Ref;
    const generate = template.Resources[secretId]?.Properties?.GenerateSecretString;
    return generate ? JSON.parse(generate.SecretStringTemplate).username : undefined;
  });
  const { key, cert } = selfSignedCertificate();
  const refusals: string[] = [];
  const sockets = new Set<net.Socket>();
  let address = '';

  const authorize = async (user: string, password: string): Promise<string | undefined> => {
    const caller = verifyAuthToken(password, address, user, options.callers);
    if (typeof caller === 'string') return `PAM authentication failed for user "${user}": ${caller}`;
    const callerArn = `arn:aws:iam::${FAKE.account}:role/${caller.roleLogicalId}`;
    const proxyUserArn = `arn:aws:rds-db:${FAKE.region}:${FAKE.account}:dbuser:${FAKE.proxyResourceId}/${user}`;
    if (!await allowed(callerArn, rolePolicies(template, caller.roleLogicalId), proxyUserArn)) {
      return `PAM authentication failed for user "${user}": ${caller.roleLogicalId} is not allowed rds-db:connect on ${proxyUserArn}`;
    }
    if (iamEndToEnd) {
      const dbUserArn = `arn:aws:rds-db:${FAKE.region}:${FAKE.account}:dbuser:${FAKE.clusterResourceId}/${user}`;
      if (!await allowed(`arn:aws:iam::${FAKE.account}:role/${proxyRoleId}`, rolePolicies(template, proxyRoleId), dbUserArn)) {
        return `the proxy role ${proxyRoleId} is not allowed rds-db:connect on ${dbUserArn}`;
      }
      if (!await options.hasRdsIam(user)) return `PAM authentication failed for user "${user}" (the database user has no rds_iam grant)`;
      return undefined;
    }
    if (!secretUsers.includes(user)) return `This RDS Proxy has no credentials for the role ${user}. Check the credentials for this role and try again.`;
    return 'the emulator does not log in with secrets (only end-to-end IAM)';
  };

  const handle = async (raw: net.Socket) => {
    const plain = reader(raw);
    const sslRequest = await plain.take(8);
    if (sslRequest.readInt32BE(4) !== 80877103) {
      raw.end(errorResponse('This RDS Proxy requires TLS connections'));
      return;
    }
    plain.detach();
    raw.write('S');
    const secure = new tls.TLSSocket(raw, { isServer: true, key, cert });
    sockets.add(secure);
    const client = reader(secure);
    const length = (await client.take(4)).readInt32BE(0);
    const body = await client.take(length - 4);
    const startup = Buffer.concat([Buffer.from([0, 0, 0, 0]), body]);
    startup.writeInt32BE(length, 0);
    const fields = body.subarray(4).toString('utf8').split('\0');
    const params: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i]) params[fields[i]] = fields[i + 1];
    const askPassword = Buffer.alloc(9);
    askPassword.write('R', 0);
    askPassword.writeInt32BE(8, 1);
    askPassword.writeInt32BE(3, 5); // AuthenticationCleartextPassword, as RDS asks for IAM tokens
    secure.write(askPassword);
    const head = await client.take(5);
    const password = (await client.take(head.readInt32BE(1) - 4)).toString('utf8').replace(/\0$/, '');
    const refusal = await authorize(params.user, password);
    if (refusal) {
      refusals.push(refusal);
      secure.end(errorResponse(refusal));
      return;
    }
    const rest = client.detach();
    const backend = net.connect(options.backend.port, options.backend.host);
    sockets.add(backend);
    backend.write(startup);
    if (rest.length) backend.write(rest);
    backend.pipe(secure);
    secure.pipe(backend);
    const close = () => { backend.destroy(); secure.destroy(); };
    backend.on('error', close).on('close', close);
    secure.on('error', close).on('close', close);
  };

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    handle(socket).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  address = `127.0.0.1:${port}`;
  return {
    host: '127.0.0.1',
    port,
    ca: cert,
    refusals,
    stop: async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
