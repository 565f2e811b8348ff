import {
  matchesAll,
  signature,
  type Labels,
  type Matcher,
  type Point,
  type SeriesSource,
} from './promql';

/** Samples of every series scraped in the last `retentionMs`, oldest dropped first. */
export class SampleHistory implements SeriesSource {
  private readonly series = new Map<
    string,
    { labels: Labels; points: Point[] }
  >();

  constructor(private readonly retentionMs: number) {}

  append(labels: Labels, value: number, time: number): void {
    const key = signature(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels: { ...labels }, points: [] };
      this.series.set(key, s);
    }
    const last = s.points[s.points.length - 1];
    if (last && last[0] >= time) return;
    s.points.push([time, value]);
    const cutoff = time - this.retentionMs;
    let drop = 0;
    while (drop < s.points.length && s.points[drop][0] < cutoff) drop += 1;
    if (drop) s.points.splice(0, drop);
  }

  select(matchers: Matcher[]): Array<{ labels: Labels; points: Point[] }> {
    return [...this.series.values()].filter(s =>
      matchesAll(s.labels, matchers),
    );
  }

  /** Series count and samples held, for the sandbox page. */
  size(): { series: number; samples: number } {
    let samples = 0;
    for (const s of this.series.values()) samples += s.points.length;
    return { series: this.series.size, samples };
  }
}

const LINE =
  /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+(-?\d+))?\s*$/;
const LABEL = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/y;

function sampleValue(text: string): number | undefined {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const n = Number(text);
  return text.trim() !== '' && !Number.isNaN(n) ? n : undefined;
}

/**
 * The samples of a Prometheus text exposition (format 0.0.4). Throws on a line it cannot read, as
 * a Prometheus scrape fails on one.
 */
export function parseExposition(
  text: string,
): Array<{ labels: Labels; value: number }> {
  const out: Array<{ labels: Labels; value: number }> = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = LINE.exec(line);
    const value = m ? sampleValue(m[3]) : undefined;
    if (!m || value === undefined) {
      throw new Error(`line ${index + 1} is not a sample: ${line}`);
    }
    const labels: Labels = { __name__: m[1] };
    const body = m[2] ?? '';
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < body.length) {
      const start = LABEL.lastIndex;
      const l = LABEL.exec(body);
      if (!l) {
        if (body.slice(start).trim() === '') break;
        throw new Error(`line ${index + 1} has bad labels: ${line}`);
      }
      labels[l[1]] = l[2].replace(/\\(.)/g, (_all, c: string) =>
        c === 'n' ? '\n' : c,
      );
    }
    out.push({ labels, value });
  });
  return out;
}
