import { InputError } from '@backstage/errors';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Today in Korea (the team's calendar), as YYYY-MM-DD. */
export function seoulDate(at: Date): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Seoul',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

/** Checks a YYYY-MM-DD date input, naming the field. */
export function parseDateInput(value: string, field: string) {
  const m = DATE.exec(value);
  const valid =
    m && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value);
  if (!m || !valid) {
    throw new InputError(
      `${field} must be a date like 2026-01-08, got '${value}'`,
    );
  }
  return { yyyy: m[1], MM: m[2], dd: m[3] };
}

/** Fills a branch pattern such as `deploy-{yyyy}-{MM}-{dd}` with a date. */
export function branchFromPattern(
  pattern: string,
  date: string,
  field: string,
) {
  const parts = parseDateInput(date, field);
  return pattern.replace(
    /\{(yyyy|MM|dd)\}/g,
    (_, k: 'yyyy' | 'MM' | 'dd') => parts[k],
  );
}
