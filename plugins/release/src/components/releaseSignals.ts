import { useEffect, useRef } from 'react';
import { useSignal } from '@backstage/plugin-signals-react';
import {
  isReleaseState,
  releaseSignalChannel,
  type ReleaseSignal,
} from '@internal/plugin-release-common';

/** A message from the channel, checked: it comes over the wire from whatever publishes there. */
export function asReleaseSignal(message: unknown): ReleaseSignal | undefined {
  const m = message as Partial<Record<keyof ReleaseSignal, unknown>> | null;
  if (
    !m ||
    typeof m.releaseId !== 'string' ||
    !isReleaseState(m.state) ||
    typeof m.revision !== 'number' ||
    typeof m.action !== 'string'
  ) {
    return undefined;
  }
  return {
    releaseId: m.releaseId,
    state: m.state,
    revision: m.revision,
    action: m.action,
  };
}

/**
 * Calls `onSignal` for every change to a release the backend publishes (another person's approval,
 * the engine's move), so a page can read again without a reload. Without the signals plugin, never.
 */
export function useReleaseSignal(onSignal: (signal: ReleaseSignal) => void) {
  const { lastSignal } = useSignal(releaseSignalChannel);
  // The latest callback, so a page's new closure does not count as a new signal.
  const callback = useRef(onSignal);
  callback.current = onSignal;
  useEffect(() => {
    const signal = asReleaseSignal(lastSignal);
    if (signal) callback.current(signal);
  }, [lastSignal]);
}
