import type { SignalApi } from '@backstage/plugin-signals-react';

type Message = Parameters<Parameters<SignalApi['subscribe']>[1]>[0];

/** A signal API whose messages the test sends, as the backend would publish them. */
export function fakeSignals() {
  const subscribers = new Map<string, Set<(message: Message) => void>>();
  const api: SignalApi = {
    subscribe(channel, onMessage) {
      const listeners = subscribers.get(channel) ?? new Set();
      subscribers.set(channel, listeners);
      const listener = onMessage as (message: Message) => void;
      listeners.add(listener);
      return { unsubscribe: () => listeners.delete(listener) };
    },
  };
  return {
    api,
    /** Delivers a message to everyone subscribed to the channel now. */
    emit(channel: string, message: Message) {
      subscribers.get(channel)?.forEach(listener => listener(message));
    },
    /** How many subscribe to the channel now. */
    subscribers: (channel: string) => subscribers.get(channel)?.size ?? 0,
  };
}
