import { useEffect, useMemo, useState } from 'react';
import { useApiHolder } from '@backstage/core-plugin-api';
import { appLanguageApiRef } from '@backstage/core-plugin-api/alpha';

/** The locale each language of Settings formats in; British English writes 7 Dec 10:00. */
const localeOfLanguage: Record<string, string> = {
  en: 'en-GB',
  ko: 'ko-KR',
};

/** The Intl locale for a language chosen in Settings, e.g. ko → ko-KR. */
export function localeOf(language: string): string {
  return localeOfLanguage[language] ?? language;
}

const relativeUnits: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['day', 24 * 60 * 60 * 1000],
  ['hour', 60 * 60 * 1000],
  ['minute', 60 * 1000],
];

/** Dates and numbers written in one locale. */
export interface Formatters {
  locale: string;
  /** A moment as date and time, e.g. 25 Nov 2026, 11:00 or 2026. 11. 25. 오전 11:00. */
  formatDateTime(
    value: string | number | Date,
    options?: Intl.DateTimeFormatOptions,
  ): string;
  formatNumber(value: number, options?: Intl.NumberFormatOptions): string;
  /** How far a moment is from now, e.g. in 4 days or 4일 후. */
  formatRelative(value: string | number | Date, now?: number): string;
  /** A length of time in its two largest units, e.g. 1 hr 5 min or 1시간 5분; seconds at least. */
  formatDuration(ms: number): string;
}

const durationUnits: Array<[string, number]> = [
  ['hour', 60 * 60 * 1000],
  ['minute', 60 * 1000],
  ['second', 1000],
];

/** Formatters for a locale, in the reader's time zone unless the options name another. */
export function createFormatters(locale: string): Formatters {
  const dateTimeDefaults: Intl.DateTimeFormatOptions = {
    dateStyle: 'medium',
    timeStyle: 'short',
  };
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  // Building an Intl formatter costs more than using one, and a table formats a column alike.
  const dateTimes = new Map<string, Intl.DateTimeFormat>();
  const numbers = new Map<string, Intl.NumberFormat>();
  const cached = <F>(cache: Map<string, F>, options: object, make: () => F) => {
    const key = JSON.stringify(options);
    let formatter = cache.get(key);
    if (!formatter) {
      formatter = make();
      cache.set(key, formatter);
    }
    return formatter;
  };
  return {
    locale,
    formatDateTime: (value, options = dateTimeDefaults) =>
      cached(
        dateTimes,
        options,
        () => new Intl.DateTimeFormat(locale, options),
      ).format(new Date(value)),
    formatNumber: (value, options = {}) =>
      cached(
        numbers,
        options,
        () => new Intl.NumberFormat(locale, options),
      ).format(value),
    formatRelative: (value, now = Date.now()) => {
      const ms = new Date(value).getTime() - now;
      const [unit, size] = relativeUnits.find(([, s]) => Math.abs(ms) >= s) ?? [
        'second',
        1000,
      ];
      return relative.format(Math.round(ms / size), unit);
    },
    formatDuration: ms => {
      // Intl.DurationFormat is not in Node 22 nor every browser yet: each unit is a number with a unit.
      let left = Math.max(0, Math.round(ms / 1000)) * 1000;
      const parts: string[] = [];
      for (const [unit, size] of durationUnits) {
        const count = Math.floor(left / size);
        left -= count * size;
        if (count > 0 || (unit === 'second' && parts.length === 0)) {
          parts.push(
            cached(
              numbers,
              { style: 'unit', unit, unitDisplay: 'short' },
              () =>
                new Intl.NumberFormat(locale, {
                  style: 'unit',
                  unit,
                  unitDisplay: 'short',
                }),
            ).format(count),
          );
        }
      }
      return parts.slice(0, 2).join(' ');
    },
  };
}

/** The language chosen in Settings, following changes; English where the app offers no choice. */
export function useAppLanguage(): string {
  // Optional: the legacy app and bare test renders have no language API.
  const languageApi = useApiHolder().get(appLanguageApiRef);
  const [language, setLanguage] = useState(
    () => languageApi?.getLanguage().language ?? 'en',
  );
  useEffect(() => {
    if (!languageApi) return undefined;
    setLanguage(languageApi.getLanguage().language);
    const subscription = languageApi
      .language$()
      .subscribe(next => setLanguage(next.language));
    return () => subscription.unsubscribe();
  }, [languageApi]);
  return language;
}

/**
 * Dates and numbers in the language chosen in Settings, not the browser's: every date and number
 * the release pages show goes through here.
 */
export function useFormatters(): Formatters {
  const language = useAppLanguage();
  return useMemo(() => createFormatters(localeOf(language)), [language]);
}
