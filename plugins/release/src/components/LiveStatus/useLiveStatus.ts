import { useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type { ReleaseStatus } from '@internal/plugin-release-common';
import { releaseApiRef } from '../../api';
import { releaseTranslationRef } from '../../translation';
import { LOAD_TIMEOUT_MS, withTimeout } from '../timeout';

/** How often `GET /status` is read while the stream is down. */
export const STATUS_POLL_MS = 10_000;
/** With no status after this long, the view says so instead of spinning. */
export const STATUS_STALL_MS = 15_000;

/** The live status and how it is arriving. */
export interface LiveStatusState {
  status?: ReleaseStatus;
  /** How the status shown arrived. */
  source?: 'stream' | 'poll';
  /** Why the stream is not delivering while polling stands in for it. */
  streamError?: Error;
  /** The last poll's failure; cleared by the next good status. */
  pollError?: Error;
  /** Nothing arrived within `stallMs`. */
  stalled: boolean;
}

/**
 * Follows the status stream; while it is down (or silent at first) reads `GET /status` every
 * `pollMs` instead, and stops polling as soon as the stream delivers again.
 */
export function useLiveStatus(
  options: { pollMs?: number; stallMs?: number } = {},
): LiveStatusState {
  const { pollMs = STATUS_POLL_MS, stallMs = STATUS_STALL_MS } = options;
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  // A ref, so a change of language does not reopen the stream.
  const timeoutMessage = useRef('');
  timeoutMessage.current = t('loadErrors.timeout', {
    what: t('loadErrors.whatStatus'),
    seconds: String(LOAD_TIMEOUT_MS / 1000),
  });
  const [state, setState] = useState<LiveStatusState>({ stalled: false });

  useEffect(() => {
    let active = true;
    let received = false;
    // Each polling run gets a number, so a poll still in flight from an earlier run is ignored.
    let run = 0;
    let polling = false;
    let pollTimer: ReturnType<typeof setTimeout> | undefined;
    const update = (patch: Partial<LiveStatusState>) => {
      if (active) setState(previous => ({ ...previous, ...patch }));
    };
    const poll = async (mine: number) => {
      try {
        const status = await withTimeout(
          api.getStatus(),
          LOAD_TIMEOUT_MS,
          timeoutMessage.current,
        );
        if (mine !== run || !polling) return;
        received = true;
        update({
          status,
          source: 'poll',
          pollError: undefined,
          stalled: false,
        });
      } catch (error) {
        if (mine !== run || !polling) return;
        update({ pollError: error as Error });
      }
      if (active && mine === run && polling) {
        pollTimer = setTimeout(() => poll(mine), pollMs);
      }
    };
    const startPolling = () => {
      if (polling || !active) return;
      polling = true;
      run += 1;
      void poll(run);
    };
    const stopPolling = () => {
      polling = false;
      run += 1;
      clearTimeout(pollTimer);
    };
    const unsubscribe = api.streamStatus({
      onStatus: status => {
        received = true;
        stopPolling();
        update({
          status,
          source: 'stream',
          streamError: undefined,
          pollError: undefined,
          stalled: false,
        });
      },
      onError: error => {
        update({ streamError: error });
        startPolling();
      },
    });
    const stallTimer = setTimeout(() => {
      if (received) return;
      update({ stalled: true });
      startPolling();
    }, stallMs);
    return () => {
      active = false;
      stopPolling();
      clearTimeout(stallTimer);
      unsubscribe();
    };
  }, [api, pollMs, stallMs]);

  return state;
}
