import { releaseStates } from '@internal/plugin-release-common';
import { releaseMessages } from './translation';
import ko from './translations/ko';

function flatten(messages: object, prefix = ''): Record<string, string> {
  return Object.entries(messages).reduce(
    (out, [key, value]) =>
      typeof value === 'string'
        ? { ...out, [`${prefix}${key}`]: value }
        : { ...out, ...flatten(value, `${prefix}${key}.`) },
    {} as Record<string, string>,
  );
}

const placeholders = (text: string) => (text.match(/{{\w+}}/g) ?? []).sort();

describe('release translations', () => {
  const en = flatten(releaseMessages);

  it('has Korean for exactly the English keys', () => {
    expect(Object.keys(ko).sort()).toEqual(Object.keys(en).sort());
  });

  it('names every release state in English and Korean, never by its raw name', () => {
    for (const state of releaseStates) {
      const key = `state.${state}`;
      expect([key, en[key]]).toEqual([key, expect.any(String)]);
      expect(en[key]).not.toBe(state);
      expect(ko[key as keyof typeof ko]).not.toBe(state);
    }
    expect(ko['state.awaiting_approval']).toBe('승인 대기');
    expect(ko['state.prepared']).toBe('준비됨');
  });

  it('keeps every placeholder in Korean', () => {
    for (const [key, text] of Object.entries(en)) {
      expect([key, placeholders(ko[key as keyof typeof ko])]).toEqual([
        key,
        placeholders(text),
      ]);
    }
  });
});
