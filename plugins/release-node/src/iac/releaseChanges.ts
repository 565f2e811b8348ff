import type { ReleaseAppVersion } from '@internal/plugin-release-common';
import type { ReleaseLayout } from '../layout';
import type { IacChange } from './planIacEdit';

/**
 * The IaC values a release leaves behind once it is done: hybris's idle colour on the new image at
 * the last step's replicas with the switch keys naming it, and each cms/web Argo CD app on the new
 * image. The deploy reaches this in steps; the review shows where it ends.
 *
 * @public
 */
export function releaseIacChanges(options: {
  layout: ReleaseLayout;
  apps: Array<Pick<ReleaseAppVersion, 'app' | 'version' | 'steps'>>;
  /** The colour hybris serves from now. */
  liveColour?: string;
}): IacChange[] {
  const { layout, apps } = options;
  const changes: IacChange[] = [];
  for (const a of apps) {
    if (a.app === 'hybris') {
      const h = layout.apps.hybris;
      const colours = Object.keys(h.colours);
      const idle = colours.find(c => c !== options.liveColour);
      if (!options.liveColour || !idle) {
        throw new Error(
          `hybris: the live colour is unknown (${colours.join(
            ', ',
          )}), so the idle colour to deploy to is too`,
        );
      }
      const target = h.colours[idle];
      const steps = a.steps?.length ? a.steps : h.steps;
      changes.push(
        { argocdApp: target.argocdApp, key: target.image, value: a.version },
        {
          argocdApp: target.argocdApp,
          key: target.replicas,
          value: steps[steps.length - 1],
        },
        ...h.switch.keys.map(key => ({
          argocdApp: h.switch.argocdApp,
          key,
          value: idle,
        })),
      );
    } else {
      const layoutApp = layout.apps[a.app];
      for (const argocdApp of layoutApp.argocdApps) {
        changes.push({ argocdApp, key: layoutApp.imageKey, value: a.version });
      }
    }
  }
  return changes;
}
