import { http, passthrough } from 'msw';
import { setupServer } from 'msw/node';

/**
 * Lets reads (GET, HEAD) through to the given systems and refuses everything else: msw answers any
 * other request with an error (`onUnhandledRequest: 'error'`) and notes it in `writes`.
 */
export function readOnlyGuard(...baseUrls: string[]) {
  const writes: string[] = [];
  const server = setupServer(
    ...baseUrls.flatMap(base => [
      http.get(`${base}/*`, () => passthrough()),
      http.head(`${base}/*`, () => passthrough()),
    ]),
  );
  server.events.on('request:unhandled', ({ request }) => {
    writes.push(`${request.method} ${request.url}`);
  });
  return {
    writes,
    /** Runs `fn` with only reads allowed. */
    async run<T>(fn: () => Promise<T>): Promise<T> {
      server.listen({ onUnhandledRequest: 'error' });
      try {
        return await fn();
      } finally {
        server.close();
      }
    },
  };
}

/** Lets every request through to the given systems and notes each one (method and path), in order. */
export function requestRecorder(...baseUrls: string[]) {
  const seen: string[] = [];
  const server = setupServer(
    ...baseUrls.map(base => http.all(`${base}/*`, () => passthrough())),
  );
  server.events.on('request:start', ({ request }) => {
    seen.push(`${request.method} ${new URL(request.url).pathname}`);
  });
  return {
    seen,
    async run<T>(fn: () => Promise<T>): Promise<T> {
      server.listen({ onUnhandledRequest: 'error' });
      try {
        return await fn();
      } finally {
        server.close();
      }
    },
  };
}
