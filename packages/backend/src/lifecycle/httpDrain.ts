import type { LoggerService } from '@backstage/backend-plugin-api';
import { rootHttpRouterServiceFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { EVENTS_NOTIFY_TIMEOUT_HEADER } from '@backstage/plugin-events-node';
import type { Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** How long a request still being answered at shutdown may take before its connection is cut. */
export const DRAIN_MS = 5_000;

/**
 * A response that waits for news rather than computing an answer: an event stream, or the event
 * bus's long-poll (its 202 carries the notify timeout). Nobody sends it news once the plugins
 * have stopped, so ending it is the answer its client expects.
 */
function waitsForNews(res: ServerResponse): boolean {
  if (!res.headersSent) return false;
  // The head as sent: headers given to writeHead (the scaffolder's task stream) are not in getHeader.
  const head = (res as ServerResponse & { _header?: string })._header ?? '';
  return (
    /^content-type:\s*text\/event-stream/im.test(head) ||
    (res.statusCode === 202 &&
      new RegExp(`^${EVENTS_NOTIFY_TIMEOUT_HEADER}:`, 'im').test(head))
  );
}

/**
 * Ends what would hold the HTTP server open after the plugins stopped: Node's server.close()
 * waits for every open request and never closes an upgraded socket (a browser's signals
 * WebSocket), and the events backend leaves its bus long-polls open for up to 55 s on PostgreSQL.
 * At shutdown the streams and long-polls are ended and WebSockets closed at once (their clients
 * reconnect to another replica); a request still being answered gets drainMs, then is cut.
 */
export function drainOnShutdown(
  server: Server,
  logger: LoggerService,
  drainMs = DRAIN_MS,
): () => Promise<void> {
  const open = new Set<ServerResponse>();
  const upgraded = new Set<Duplex>();
  server.on('request', (_req, res: ServerResponse) => {
    open.add(res);
    res.once('close', () => open.delete(res));
  });
  server.on('upgrade', (_req, socket: Duplex) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
  });
  return async () => {
    let streams = 0;
    for (const res of open) {
      if (waitsForNews(res)) {
        streams += 1;
        res.end();
      }
    }
    const sockets = upgraded.size;
    for (const socket of upgraded) socket.end();
    logger.info(
      `Shutting down: ended ${streams} event streams and long-polls, closed ${sockets} WebSockets, ${
        open.size - streams
      } requests left to finish`,
    );
    const deadline = Date.now() + drainMs;
    while (open.size > 0 || upgraded.size > 0) {
      if (Date.now() >= deadline) {
        logger.warn(
          `Shutting down: cut ${open.size} requests and ${upgraded.size} sockets still open after ${drainMs} ms`,
        );
        server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
        return;
      }
      await new Promise(resolve => setTimeout(resolve, 50));
    }
  };
}

/** Backstage's root HTTP router with its defaults, drained at shutdown as drainOnShutdown says. */
export const drainingRootHttpRouter = rootHttpRouterServiceFactory({
  configure({ applyDefaults, server, lifecycle, logger }) {
    lifecycle.addShutdownHook(drainOnShutdown(server, logger));
    applyDefaults();
  },
});
