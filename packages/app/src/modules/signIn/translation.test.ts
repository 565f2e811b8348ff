import { signInMessages } from './translation';
import ko from './translation.ko';

const placeholders = (text: string) => (text.match(/{{\w+}}/g) ?? []).sort();

describe('sign-in translations', () => {
  it('has Korean for exactly the English keys, with the same placeholders', () => {
    expect(Object.keys(ko).sort()).toEqual(Object.keys(signInMessages).sort());
    for (const [key, text] of Object.entries(signInMessages)) {
      expect([key, placeholders(ko[key as keyof typeof ko])]).toEqual([
        key,
        placeholders(text),
      ]);
    }
  });
});
