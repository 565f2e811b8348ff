import type { StatusListener } from '../status/StatusCache';
import { wakeOnStatusChanges, type StatusWake } from './wakeOnStatus';

function setUp() {
  const rows = new Set<StatusListener>();
  const apps = new Set<() => void>();
  const status = {
    subscribe: (l: StatusListener) => {
      rows.add(l);
      return () => rows.delete(l);
    },
    onAppChange: (l: () => void) => {
      apps.add(l);
      return () => apps.delete(l);
    },
  };
  const pending: Array<() => void> = [];
  const engine = {
    wakeWaiting: jest.fn(
      () => new Promise<void>(resolve => pending.push(resolve)),
    ),
  };
  const heard: StatusWake[] = [];
  const stop = wakeOnStatusChanges(status, engine, w => heard.push(w));
  const rowChange = () =>
    [...rows].forEach(l => l.change({ json: '{}' } as never));
  const appChange = () => [...apps].forEach(l => l());
  const finishWake = async () => {
    pending.shift()!();
    await new Promise(r => setImmediate(r));
  };
  return { engine, heard, stop, rowChange, appChange, finishWake, rows, apps };
}

describe('wakeOnStatusChanges', () => {
  it('wakes the engine on an Argo CD app change and on a change of the rows', async () => {
    const { engine, appChange, rowChange, finishWake, heard } = setUp();
    appChange();
    expect(engine.wakeWaiting).toHaveBeenCalledTimes(1);
    await finishWake();
    rowChange();
    expect(engine.wakeWaiting).toHaveBeenCalledTimes(2);
    expect(heard).toEqual(['woke', 'woke']);
  });

  it('folds the changes heard during a wake into one more wake after it', async () => {
    const { engine, appChange, rowChange, finishWake, heard } = setUp();
    appChange();
    rowChange();
    appChange();
    expect(engine.wakeWaiting).toHaveBeenCalledTimes(1);
    await finishWake();
    expect(engine.wakeWaiting).toHaveBeenCalledTimes(2);
    await finishWake();
    expect(engine.wakeWaiting).toHaveBeenCalledTimes(2);
    expect(heard).toEqual(['woke', 'folded', 'folded']);
  });

  it('stops listening to both when stopped', () => {
    const { stop, rows, apps } = setUp();
    expect([rows.size, apps.size]).toEqual([1, 1]);
    stop();
    expect([rows.size, apps.size]).toEqual([0, 0]);
  });
});
