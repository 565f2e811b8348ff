import http from 'node:http';

/** One parsed server-sent event; comments (heartbeats) come as `comment`. */
export interface ReadEvent {
  event?: string;
  id?: string;
  data?: string;
  comment?: string;
  retry?: string;
}

/**
 * Opens a text/event-stream with plain node http (no client library), collecting events as they
 * come; `next(test)` resolves with the first unread event that `test` accepts.
 */
export async function openEventStream(
  url: string,
  headers: Record<string, string>,
) {
  const events: ReadEvent[] = [];
  const waiters: Array<{
    test: (e: ReadEvent) => boolean;
    resolve: (e: ReadEvent) => void;
  }> = [];
  let read = 0;
  let ended = false;
  const onEnd: Array<() => void> = [];
  const req = http.get(url, { headers });
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  const offer = () => {
    for (const waiter of [...waiters]) {
      for (let i = read; i < events.length; i++) {
        if (waiter.test(events[i])) {
          read = i + 1;
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(events[i]);
          break;
        }
      }
    }
  };
  let buffer = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    buffer += chunk;
    const blocks = buffer.split('\n\n');
    buffer = blocks.pop() ?? '';
    for (const block of blocks) {
      const event: ReadEvent = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) event.comment = line.slice(1).trim();
        const match = /^(event|id|data|retry): ?(.*)$/.exec(line);
        if (match) event[match[1] as 'event'] = match[2];
      }
      events.push(event);
    }
    offer();
  });
  res.on('end', () => {
    ended = true;
    onEnd.splice(0).forEach(f => f());
  });
  res.on('error', () => undefined);
  return {
    status: res.statusCode,
    headers: res.headers,
    events,
    next(test: (e: ReadEvent) => boolean = () => true): Promise<ReadEvent> {
      return new Promise(resolve => {
        waiters.push({ test, resolve });
        offer();
      });
    },
    /** Resolves when the server ends the stream. */
    ended(): Promise<void> {
      return ended
        ? Promise.resolve()
        : new Promise(resolve => onEnd.push(resolve));
    },
    close(): void {
      req.destroy();
    },
  };
}
