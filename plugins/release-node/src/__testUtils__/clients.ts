import type { LoggerService } from '@backstage/backend-plugin-api';
import type { CallClock } from '../http/retryingCaller';

/** A clock that does not wait: it notes each sleep and moves its time on by it. */
export function recordingClock(start = Date.now()) {
  let now = start;
  const sleeps: number[] = [];
  const clock: CallClock = {
    now: () => now,
    sleep: async ms => {
      sleeps.push(ms);
      now += ms;
    },
  };
  return { clock, sleeps };
}

/** A logger that keeps every line (message and meta) for a test to search. */
export function captureLogger() {
  const lines: string[] = [];
  const make = (context: object): LoggerService => {
    const log = (level: string) => (message: string, meta?: Error | object) => {
      lines.push(
        `${level} ${message} ${JSON.stringify(context)} ${
          meta instanceof Error
            ? `${meta.message} ${meta.stack}`
            : JSON.stringify(meta ?? {})
        }`,
      );
    };
    return {
      error: log('error'),
      warn: log('warn'),
      info: log('info'),
      debug: log('debug'),
      child: meta => make({ ...context, ...meta }),
    };
  };
  return { logger: make({}), lines };
}
