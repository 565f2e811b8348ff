import type { HttpAuthService } from '@backstage/backend-plugin-api';
import { ServiceUnavailableError } from '@backstage/errors';
import type express from 'express';
import type { StatusCache, StatusSnapshotBody } from './StatusCache';

export interface StatusRouteOptions {
  httpAuth: HttpAuthService;
  /** Absent when this backend runs no status cache. */
  status?: StatusCache;
  /** How often the stream sends a comment so proxies and the browser keep it open (default 15 s). */
  heartbeatMs?: number;
}

function cacheOf(options: StatusRouteOptions): StatusCache {
  if (!options.status) {
    throw new ServiceUnavailableError(
      'The live status is not available: this backend runs no status cache',
    );
  }
  return options.status;
}

/** One server-sent event carrying a whole snapshot. */
function statusEvent(body: StatusSnapshotBody): string {
  return `id: ${body.version}\nevent: status\ndata: ${body.json}\n\n`;
}

/** `GET /status` and `GET /status/stream`: the live status of every app, from the cache. */
export function addStatusRoutes(
  router: express.Router,
  options: StatusRouteOptions,
): void {
  const { httpAuth } = options;

  router.get('/status', async (req, res) => {
    // A service too: an automation token's smoke test reads it.
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const body = await cacheOf(options).snapshotBody();
    res.setHeader('etag', body.etag);
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('vary', 'accept-encoding');
    const known = req.header('if-none-match');
    if (known && known.split(',').some(tag => tag.trim() === body.etag)) {
      res.status(304).end();
      return;
    }
    res.setHeader('content-type', 'application/json; charset=utf-8');
    // Gzipped once per snapshot rather than by the compression middleware for every viewer.
    const gzip = req.acceptsEncodings('gzip') === 'gzip';
    const bytes = gzip ? body.gzipped() : body.buffer;
    if (gzip) res.setHeader('content-encoding', 'gzip');
    res.setHeader('content-length', bytes.length);
    res.end(bytes);
  });

  router.get('/status/stream', async (req, res) => {
    // Limited access too, so a browser EventSource with the Backstage auth cookie may read it.
    await httpAuth.credentials(req, {
      allow: ['user'],
      allowLimitedAccess: true,
    });
    const cache = cacheOf(options);
    const first = await cache.snapshotBody();
    if (req.destroyed) return;
    res.status(200);
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    // no-transform keeps compression middleware from buffering the events.
    res.setHeader('cache-control', 'no-cache, no-transform');
    res.setHeader('connection', 'keep-alive');
    res.setHeader('x-accel-buffering', 'no');
    res.flushHeaders();

    const flushable = res as typeof res & { flush?: () => void };
    let sent = first.version;
    let waiting: StatusSnapshotBody | undefined;
    let draining = false;
    const write = (text: string) => {
      const ok = res.write(text);
      flushable.flush?.();
      return ok;
    };
    const send = (body: StatusSnapshotBody) => {
      if (body.version <= sent) return;
      // A slow reader gets the newest snapshot once it has caught up, not every one in between.
      if (draining) {
        waiting = body;
        return;
      }
      sent = body.version;
      if (!write(statusEvent(body))) {
        draining = true;
        res.once('drain', () => {
          draining = false;
          const next = waiting;
          waiting = undefined;
          if (next) send(next);
        });
      }
    };

    write('retry: 5000\n\n');
    write(statusEvent(first));
    const heartbeat = setInterval(() => {
      if (!draining) write(`: heartbeat ${new Date().toISOString()}\n\n`);
    }, options.heartbeatMs ?? 15_000);
    let unsubscribe = () => {};
    const cleanUp = () => {
      clearInterval(heartbeat);
      unsubscribe();
    };
    unsubscribe = cache.subscribe({
      change: send,
      close: () => {
        cleanUp();
        res.end();
      },
    });
    req.on('close', cleanUp);
    res.on('close', cleanUp);
  });
}
