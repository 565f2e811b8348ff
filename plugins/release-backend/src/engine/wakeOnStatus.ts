import type { StatusCache } from '../status/StatusCache';
import type { DeployEngine } from './DeployEngine';

/** What became of one change the status cache told of. */
export type StatusWake = 'woke' | 'folded';

/**
 * Has the engine's waiting runs look at the systems again on what the status cache hears: an Argo
 * CD application's change at once, any other change of the rows after their batching. One wake
 * runs at a time; a change heard while it is under way is looked at once more after it.
 */
export function wakeOnStatusChanges(
  status: Pick<StatusCache, 'subscribe' | 'onAppChange'>,
  engine: Pick<DeployEngine, 'wakeWaiting'>,
  heard?: (what: StatusWake) => void,
): () => void {
  let waking: Promise<void> | undefined;
  let heardMeanwhile = false;
  const run = (): void => {
    waking = engine.wakeWaiting().finally(() => {
      waking = undefined;
      if (heardMeanwhile) {
        heardMeanwhile = false;
        run();
      }
    });
  };
  const wake = (): void => {
    heard?.(waking ? 'folded' : 'woke');
    if (waking) heardMeanwhile = true;
    else run();
  };
  const stopRows = status.subscribe({
    change: wake,
    close: () => undefined,
  });
  const stopApps = status.onAppChange(wake);
  return () => {
    stopRows();
    stopApps();
  };
}
