import { setupServer } from 'msw/node';
import { http, passthrough, type RequestHandler } from 'msw';

/**
 * fetch for clients under msw: a mocked body's `cancel()` never settles in msw 2.15, and some clients
 * cancel the body of an answer they do not read; a buffered copy cancels at once.
 */
export const bufferedFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  const empty = [204, 205, 304].includes(response.status);
  return new Response(empty ? null : await response.arrayBuffer(), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
};

/** An msw server that refuses any request no handler answers, and notes every request it saw. */
export function strictServer(...handlers: RequestHandler[]): {
  server: ReturnType<typeof setupServer>;
  requests: string[];
} {
  const server = setupServer(...handlers);
  const requests: string[] = [];
  server.events.on('request:start', ({ request }) => {
    requests.push(`${request.method} ${new URL(request.url).pathname}`);
  });
  return { server, requests };
}

/** A clock that never waits: each sleep moves its time on. */
export function instantClock(start = Date.parse('2026-01-08T01:00:00Z')) {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
  };
}

/** `strictServer` that also lets every request to a sandbox through. */
export function strictServerWithSandbox(
  sandboxUrl: string,
  ...handlers: RequestHandler[]
) {
  return strictServer(
    ...handlers,
    http.all(`${sandboxUrl}/*`, () => passthrough()),
  );
}
