/** The small HTTP fronts of the local cloud (EventBridge, S3 notifications) listen on loopback only. */
import type { Server } from 'http';
import type { AddressInfo } from 'net';

/** Listens on a free port of 127.0.0.1 and answers the server's base URL. */
export async function listenOnLoopback(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes the server, dropping its open (keep-alive) connections. */
export async function closeServer(server: Server | undefined): Promise<void> {
  if (server) await new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
}
