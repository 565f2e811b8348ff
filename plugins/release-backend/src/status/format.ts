/** An ISO timestamp, as the snapshot and its errors say when something was seen. */
export const iso = (ms: number) => new Date(ms).toISOString();

/** A duration as a person reads it in an error: "5 s", "0.5 s". */
export const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
