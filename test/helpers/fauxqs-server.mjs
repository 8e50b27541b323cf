// Runs fauxqs (SQS, SNS, S3) on 127.0.0.1 at a free port in its own process and prints
// {"port": N} on stdout. fauxqs is ESM-only, which jest's CommonJS runtime cannot load, so the
// test helper starts it as a child process instead of in the test process.
import { buildApp } from 'fauxqs';

const app = buildApp({ logger: false });
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ port: app.server.address().port })}\n`);
const stop = async () => { await app.close(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// Stop with the parent: stdin closes when the test process exits, even when it is killed.
process.stdin.on('end', stop);
process.stdin.resume();
