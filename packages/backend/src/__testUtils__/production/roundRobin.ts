import {
  createServer,
  request,
  type IncomingMessage,
  type Server,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * One address in front of several backends, as a load balancer: each request goes to the next
 * backend in turn, and to the one after it when that one does not take the connection (stopped).
 * `served` counts the requests each backend answered.
 */
export async function startRoundRobin(targets: string[]) {
  let next = 0;
  const served = targets.map(() => 0);
  const forward = (
    req: IncomingMessage,
    body: Buffer,
    index: number,
    tries: number,
  ): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const target = new URL(targets[index]);
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        res => {
          served[index] += 1;
          resolve(res);
        },
      );
      upstream.on('error', error => {
        if (tries + 1 >= targets.length) reject(error);
        else
          forward(req, body, (index + 1) % targets.length, tries + 1).then(
            resolve,
            reject,
          );
      });
      upstream.end(body);
    });
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const index = next;
    next = (next + 1) % targets.length;
    try {
      const upstream = await forward(req, Buffer.concat(chunks), index, 0);
      res.writeHead(upstream.statusCode ?? 502, upstream.headers);
      upstream.pipe(res);
    } catch (error) {
      res.writeHead(502).end(`no backend answered: ${error}`);
    }
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
