import type { ReactNode } from 'react';
import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';

/** @public */
export type StatusKind =
  | 'ok'
  | 'warning'
  | 'error'
  | 'pending'
  | 'running'
  | 'aborted';

const icons: Record<
  StatusKind,
  (props: { children?: ReactNode }) => JSX.Element
> = {
  ok: StatusOK,
  warning: StatusWarning,
  error: StatusError,
  pending: StatusPending,
  running: StatusRunning,
  aborted: StatusAborted,
};

/**
 * A coloured status dot and its text. The text stays outside Backstage's Status element, which
 * hides its children from screen readers.
 */
export const StatusText = (props: {
  kind: StatusKind;
  children: ReactNode;
}) => {
  const Icon = icons[props.kind];
  return (
    // Inline flex: Backstage's Status is a block flex box, which alone puts the text under the dot.
    <span
      data-status={props.kind}
      style={{
        display: 'inline-flex',
        alignItems: 'baseline',
        whiteSpace: 'nowrap',
      }}
    >
      <Icon />
      {props.children}
    </span>
  );
};
