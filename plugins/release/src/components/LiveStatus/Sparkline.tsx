import type { MetricPoint } from '../../api';

/** A number short enough for a table cell: three significant digits at most. */
export function formatMetric(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(3)));
}

/**
 * A tiny line chart of a metric, oldest point on the left, with zero at the bottom unless the
 * values go below it.
 */
export const Sparkline = (props: {
  points: MetricPoint[];
  label: string;
  width?: number;
  height?: number;
}) => {
  const { points, label, width = 96, height = 24 } = props;
  const sorted = [...points]
    .filter(p => Number.isFinite(p.v))
    .sort((a, b) => a.t - b.t);
  const values = sorted.map(p => p.v);
  const min = Math.min(0, ...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const step = sorted.length > 1 ? (width - 2) / (sorted.length - 1) : 0;
  const coordinates = sorted
    .map((p, i) => {
      const x = sorted.length > 1 ? 1 + i * step : width / 2;
      const y = height - 1 - ((p.v - min) / span) * (height - 2);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
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
      {sorted.length > 0 && (
        <polyline
          data-testid="sparkline-line"
          points={coordinates}
          fill="none"
          stroke="currentColor"
          strokeWidth={1.5}
          strokeLinejoin="round"
        />
      )}
    </svg>
  );
};
