import { ResponseErrorPanel } from '@backstage/core-components';
import { ResponseError } from '@backstage/errors';

/** The backend's own message (which says what to fix), not "Request failed with 503". */
export function messageOf(error: Error): string {
  if (ResponseError.is(error)) {
    const reason = error.cause?.message || error.statusText;
    return `${error.statusCode} ${reason}`.trim();
  }
  return error.message;
}

/**
 * A failed load as a red panel whose title says what failed and why, so the reason shows without
 * opening the panel; the request and the full error stay in its details.
 */
export const LoadError = (props: { title: string; error: Error }) => (
  <ResponseErrorPanel
    title={`${props.title}: ${messageOf(props.error)}`}
    error={props.error}
  />
);
