import { defaultGradePolicy } from '@internal/plugin-release-common';
import {
  director,
  dev,
  hybrisRelease,
  inWindow,
  pl,
  releaseService,
} from '../engine/__testUtils__/engineWorld';
import type { ReleaseService } from '../service/ReleaseService';
import type { Knex } from 'knex';
import type { MessageRelayOptions } from '../messages/MessageRelay';

export { dev, inWindow, pl, director as superior };

const ctx = { requestId: 'req-1' };
/** The Asana task the release links to. */
export const RELEASE_TASK = '1200000000000777';

/** The grade B hybris release the flow creates. */
export const releaseRequest = hybrisRelease('B');

/** The release core at a fixed time inside the window, nudging `messages` after each write. */
export const releaseCore = (knex: Knex, messages?: { nudge(): void }) =>
  releaseService(knex, () => inWindow, messages);

/** The relay's settings for a test portal: the default policy, these channels, no one on call. */
export function relaySettings(
  channels: Record<string, string>,
  systems = { slack: true, asana: true },
): MessageRelayOptions['settings'] {
  return {
    policy: defaultGradePolicy,
    channels,
    onCall: {},
    paymentBrands: [],
    pageUrlOf: id => `http://portal.test/releases/${id}`,
    systems,
  };
}

/**
 * A grade B hybris release from its creation to done, through the core as the doors and the
 * engine write it; `between` runs after each write (e.g. to let time pass).
 */
export async function releaseToTheEnd(
  releases: ReleaseService,
  options: { task?: string; between?: () => Promise<void> } = {},
): Promise<string> {
  const between = options.between ?? (async () => undefined);
  const r = await releases.create(dev, releaseRequest, ctx);
  await between();
  await releases.addLink(
    dev,
    r.id,
    {
      title: 'Asana',
      url: `https://app.asana.com/0/1200000000000010/${
        options.task ?? RELEASE_TASK
      }`,
    },
    ctx,
  );
  await between();
  await releases.requestApproval(dev, r.id, ctx);
  await between();
  await releases.decide(
    pl,
    r.id,
    { decision: 'approve', stage: 'approval' },
    ctx,
  );
  await between();
  const move = (
    action: string,
    to: 'deploying' | 'awaiting_signoff' | 'done',
  ) =>
    releases.engineMove(
      r.id,
      { ...ctx, onBehalfOf: dev.ref },
      {
        action,
        person: dev,
        record: async () => ({
          to,
          meta: { kind: 'deploy', environment: 'prod' },
        }),
      },
    );
  await move('deploy.start', 'deploying');
  await between();
  await move('deploy.step.start', 'awaiting_signoff');
  await between();
  await releases.decide(
    director,
    r.id,
    { decision: 'approve', stage: 'signoff' },
    ctx,
  );
  await between();
  await move('deploy.end', 'done');
  await between();
  return r.id;
}
