import type { ReleaseStatusPoint } from '@internal/plugin-release-common';
import { useTheme } from '@material-ui/core/styles';
import type { Formatters } from '../formatters';

/** A number short enough for a table cell: three significant digits at most, in the reader's language. */
export function formatMetric(
  value: number,
  formatNumber: Formatters['formatNumber'],
): string {
  if (!Number.isFinite(value)) return String(value);
  return formatNumber(value, { maximumSignificantDigits: 3 });
}

/** The newest point's value, if there is one. */
export function latestValue(points: ReleaseStatusPoint[]): number | undefined {
  let latest: ReleaseStatusPoint | undefined;
  for (const p of points) {
    if (Number.isFinite(p.v) && (!latest || p.t >= latest.t)) latest = p;
  }
  return latest?.v;
}

/**
 * A tiny line chart of a metric, oldest point on the left, zero at the bottom unless the values go
 * below it, and the gate's limit (when given) as a dashed line.
 */
export const Sparkline = (props: {
  points: ReleaseStatusPoint[];
  label: string;
  limit?: number;
  width?: number;
  height?: number;
}) => {
  const { points, label, limit, width = 96, height = 24 } = props;
  const alarm = useTheme().palette.error.main;
  const sorted = points
    .filter(p => Number.isFinite(p.v))
    .sort((a, b) => a.t - b.t);
  const values = sorted.map(p => p.v);
  const bounds = limit !== undefined ? [...values, limit] : values;
  const min = Math.min(0, ...bounds);
  const max = Math.max(...bounds);
  const span = max - min || 1;
  const yOf = (v: number) => height - 1 - ((v - min) / span) * (height - 2);
  const step = sorted.length > 1 ? (width - 2) / (sorted.length - 1) : 0;
  const coordinates = sorted
    .map((p, i) => {
      const x = sorted.length > 1 ? 1 + i * step : width / 2;
      return `${x.toFixed(1)},${yOf(p.v).toFixed(1)}`;
    })
    .join(' ');
  const over = limit !== undefined && values.some(v => v > limit);
  return (
    <svg
      role="img"
      aria-label={label}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      style={{ verticalAlign: 'middle' }}
    >
      <title>{label}</title>
      <line
        x1={0}
        x2={width}
        y1={height - 0.5}
        y2={height - 0.5}
        stroke="currentColor"
        strokeOpacity={0.2}
      />
      {limit !== undefined && (
        <line
          data-testid="sparkline-limit"
          x1={0}
          x2={width}
          y1={yOf(limit)}
          y2={yOf(limit)}
          stroke={alarm}
          strokeOpacity={0.6}
          strokeDasharray="3 2"
        />
      )}
      {sorted.length > 0 && (
        <polyline
          data-testid="sparkline-line"
          points={coordinates}
          fill="none"
          stroke={over ? alarm : 'currentColor'}
          strokeWidth={1.5}
          strokeLinejoin="round"
        />
      )}
    </svg>
  );
};
