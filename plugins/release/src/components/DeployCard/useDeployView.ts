import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type { DeployView } from '@internal/plugin-release-common';
import { releaseApiRef } from '../../api';
import { releaseTranslationRef } from '../../translation';
import { useReleaseSignal } from '../releaseSignals';
import { useTimedLoad } from '../releaseView';
import { isMovingRun } from './deployModel';

/** How often a moving run is read again when no signal arrives. */
export const DEPLOY_POLL_MS = 5_000;

/**
 * A release's deploy view, read again on every signal for the release, when `revision` changes,
 * and every DEPLOY_POLL_MS while its newest run moves (the fallback without signals).
 */
export function useDeployView(id: string, revision?: number) {
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const timed = useTimedLoad();
  const [view, setView] = useState<DeployView>();
  const [error, setError] = useState<Error>();
  // Only the newest read may land: a slow answer must not overwrite a newer one.
  const latest = useRef(0);
  const what = t('releasePage.deploy.loading');

  const reload = useCallback(() => {
    const call = ++latest.current;
    // Through an async function: a client that throws at once fails the read, not the page.
    (async () => timed(api.getDeploy(id), what))().then(
      value => {
        if (call !== latest.current) return;
        setView(value);
        setError(undefined);
      },
      (e: Error) => {
        if (call === latest.current) setError(e);
      },
    );
  }, [api, id, timed, what]);

  useEffect(() => {
    reload();
  }, [reload, revision]);
  useEffect(
    () => () => {
      latest.current += 1;
    },
    [],
  );

  useReleaseSignal(signal => {
    if (signal.releaseId === id) reload();
  });

  const moving = isMovingRun(view?.runs[0]);
  useEffect(() => {
    if (!moving) return undefined;
    const timer = setInterval(reload, DEPLOY_POLL_MS);
    return () => clearInterval(timer);
  }, [moving, reload]);

  /** Shows an answer a control returned at once, without waiting for the next read. */
  const show = useCallback((next: (current: DeployView) => DeployView) => {
    latest.current += 1;
    setView(current => (current ? next(current) : current));
  }, []);

  return { view, error, reload, show };
}
