import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local port nothing listens on, for a system that cannot be reached: connecting is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise(resolve => server.close(resolve));
  return port;
}
