import { ConfigReader } from '@backstage/config';
import { InputError } from '@backstage/errors';
import type { JsonValue } from '@backstage/types';
import { readEngineSettings } from './config';

const settingsOf = (engine: JsonValue) =>
  readEngineSettings(new ConfigReader({ release: { engine } }));

describe('readEngineSettings: release.engine.onStepFailure', () => {
  it('pauses in every environment when release.engine is left out', () => {
    const settings = readEngineSettings(new ConfigReader({}));
    expect(['prod', 'beta'].map(env => settings.onStepFailure(env))).toEqual([
      'pause',
      'pause',
    ]);
  });

  it('reads pause, fail and abort per environment, pause where none is named', () => {
    const settings = settingsOf({
      onStepFailure: { prod: 'abort', beta: 'fail', dev: 'pause' },
    });
    expect(
      ['prod', 'beta', 'dev', 'qa'].map(env => settings.onStepFailure(env)),
    ).toEqual(['abort', 'fail', 'pause', 'pause']);
  });

  it('keeps pause as the default when release.engine names no policy', () => {
    const settings = settingsOf({ pollMs: 100 });
    expect(settings.onStepFailure('prod')).toBe('pause');
    expect(settings.step).toEqual({ pollMs: 100 });
  });

  it.each([
    ['a word it does not know', 'stop', '"stop"'],
    ['a different case', 'Abort', '"Abort"'],
    ['a number', 1, '1'],
    ['a list', ['abort'], '["abort"]'],
  ])('refuses %s at start, naming the key', (_what, value, shown) => {
    const read = () =>
      settingsOf({ onStepFailure: { beta: 'fail', prod: value } });
    expect(read).toThrow(InputError);
    expect(read).toThrow(
      `release.engine.onStepFailure.prod must be one of pause, fail, abort, got ${shown}`,
    );
  });
});
