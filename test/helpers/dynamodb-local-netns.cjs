/**
 * Runs inside a fresh network namespace (started by test/helpers/dynamodb-local.ts through
 * `unshare --net`): brings up its loopback interface, starts Amazon DynamoDB Local (which listens
 * on every interface of its namespace, and this namespace has only `lo`), and relays each
 * connection made to a unix socket to it. A unix socket lives in the file system, not in a
 * network namespace, so the test process (in the machine's namespace) reaches DynamoDB Local
 * through it and nothing else on the network can.
 *
 * argv: <unix socket path> <DynamoDB Local folder> <port inside the namespace>
 * stdout: one JSON line, { ready: true, javaPid } or { error }.
 * Stops (and stops java) when its stdin closes (the test process ended or called stop()), or on
 * SIGTERM/SIGINT. java runs with a parent-death signal, so it cannot outlive this process.
 */
'use strict';
const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');

const [socketPath, home, portArg] = process.argv.slice(2);
const port = Number(portArg);

function report(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function fail(error) {
  report({ error: String(error && error.message ? error.message : error) });
  shutdown(1);
}

let java;
let server;
let stopping = false;
function shutdown(code) {
  if (stopping) return;
  stopping = true;
  if (server) server.close();
  try { fs.rmSync(socketPath, { force: true }); } catch { /* gone */ }
  if (java && java.exitCode === null && java.signalCode === null) {
    const killer = setTimeout(() => java.kill('SIGKILL'), 2000);
    java.once('exit', () => { clearTimeout(killer); process.exit(code); });
    java.kill('SIGTERM');
  } else {
    process.exit(code);
  }
}

process.stdin.on('end', () => shutdown(0));
process.stdin.on('error', () => shutdown(0));
process.stdin.resume();
process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));

try {
  execFileSync('ip', ['link', 'set', 'lo', 'up'], { stdio: 'pipe' });
} catch (error) {
  fail(new Error(`could not bring up lo in the network namespace: ${error.message}`));
}

const args = [
  `-Djava.library.path=${path.join(home, 'DynamoDBLocal_lib')}`,
  // start fast, stay small: a test database
  '-XX:TieredStopAtLevel=1', '-Xss1m', '-Xmx512m',
  '-jar', path.join(home, 'DynamoDBLocal.jar'), '-inMemory', '-port', String(port),
];
// setpriv --pdeathsig: java gets SIGKILL if this relay dies in any way (even SIGKILL).
const hasSetpriv = (() => { try { execFileSync('setpriv', ['--help'], { stdio: 'ignore' }); return true; } catch { return false; } })();
java = hasSetpriv
  ? spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'java', ...args], { cwd: home, stdio: ['ignore', 'pipe', 'pipe'] })
  : spawn('java', args, { cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
let javaOutput = '';
const keep = (chunk) => { javaOutput = (javaOutput + chunk.toString()).slice(-4000); };
java.stdout.on('data', keep);
java.stderr.on('data', keep);
java.once('error', (error) => fail(new Error(`could not start java: ${error.message}`)));
java.once('exit', (code, signal) => {
  if (!stopping) fail(new Error(`DynamoDB Local exited (${signal ?? code}) before it was stopped: ${javaOutput.trim()}`));
});

function probe() {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

(async () => {
  const deadline = Date.now() + 60_000;
  while (!(await probe())) {
    if (stopping) return;
    if (Date.now() > deadline) return fail(new Error(`DynamoDB Local did not listen within 60 s: ${javaOutput.trim()}`));
    await new Promise((r) => setTimeout(r, 50));
  }
  fs.rmSync(socketPath, { force: true });
  server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    const close = () => { client.destroy(); upstream.destroy(); };
    client.once('error', close);
    upstream.once('error', close);
    client.once('close', close);
    upstream.once('close', close);
  });
  server.once('error', fail);
  server.listen(socketPath, () => {
    fs.chmodSync(socketPath, 0o600);
    report({ ready: true, javaPid: java.pid });
  });
})();
