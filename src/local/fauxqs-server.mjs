// Runs fauxqs (SQS, SNS, S3) on 127.0.0.1 at a free port in its own process and prints
// {"port": N} on stdout. fauxqs is ESM-only, which CommonJS hosts (jest, the local cloud's CLI
// bundle) cannot load, so it runs as a child process. Shared by the local cloud and the tests.
import { buildApp } from 'fauxqs';

const app = buildApp({ logger: false });
await app.listen({ port: Number(process.env.FAUXQS_PORT ?? 0), host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ port: app.server.address().port })}\n`);
const stop = async () => { await app.close(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// Stop with the parent: stdin closes when the parent exits, even when it is killed.
process.stdin.on('end', stop);
process.stdin.resume();
