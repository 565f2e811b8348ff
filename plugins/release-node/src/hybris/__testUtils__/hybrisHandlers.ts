import { http, HttpResponse } from 'msw';

/** What one colour's pods say: down (no endpoint answers) or its JGroups view. */
export type FakeColourState =
  | { up: false }
  | { up: true; expectedNodes: number; joined: number; neverJoined?: number };

/** Pod names as Kubernetes gives them to a Deployment's pods. */
export function podNames(colour: string, count: number, from = 0): string[] {
  return Array.from(
    { length: count },
    (_, i) => `hybris-${colour}-7c9d8f6b5a-${(10_000 + from + i).toString(36)}`,
  );
}

/**
 * msw handlers answering `<base>/cluster/status` as config.d.ts documents it (`{ environment,
 * colour, expectedNodes, viewSize, members, missing, complete, coordinator, viewId }`), and 503 with
 * the ingress' HTML page while no node of the colour is up. `state` may be changed between calls.
 */
export function createHybrisHandlers(options: {
  endpoints: Record<string, Record<string, string>>;
  state: Record<string, FakeColourState>;
  path?: string;
}) {
  const path = options.path ?? '/cluster/status';
  return Object.entries(options.endpoints).flatMap(([environment, colours]) =>
    Object.entries(colours).map(([colour, base]) =>
      http.get(`${base.replace(/\/+$/, '')}${path}`, () => {
        const s = options.state[`${environment}/${colour}`] ?? { up: false };
        if (!s.up) {
          return new HttpResponse(
            '<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>',
            { status: 503, headers: { 'content-type': 'text/html' } },
          );
        }
        const members = podNames(colour, s.joined);
        const missing = podNames(colour, s.neverJoined ?? 0, s.joined);
        return HttpResponse.json({
          environment,
          colour,
          expectedNodes: s.expectedNodes,
          viewSize: members.length,
          members,
          missing,
          complete: members.length === s.expectedNodes && missing.length === 0,
          ...(members.length
            ? {
                coordinator: members[0],
                viewId: `[${members[0]}|3] (${members.length})`,
              }
            : {}),
        });
      }),
    ),
  );
}
