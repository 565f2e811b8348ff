import type { ReleaseApp } from '@internal/plugin-release-common';
import type { YamlScalar } from '../gitlab/yamlEdit';
import type { ReleaseLayout } from '../layout';
import { IacInputError } from './errors';

/** What a values key means to the portal, which decides the values it may take. @public */
export type IacKeyKind = 'image' | 'replicas' | 'switch' | 'editable';

/** One Argo CD app's values file in the IaC repository and the keys the portal may change there. @public */
export interface IacTarget {
  argocdApp: string;
  app: ReleaseApp;
  file: string;
  keys: Map<string, IacKeyKind>;
}

/** Largest replica count a form may ask for; the team's "normal" is 9. */
const MAX_REPLICAS = 60;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Every Argo CD app of the layout with its values file and editable keys: a hybris colour's image and
 * replica keys, the switch keys (which name a colour), each cms/web app's image key and replicaCount,
 * and the keys `editableKeys` adds.
 *
 * @public
 */
export function iacTargets(layout: ReleaseLayout): Map<string, IacTarget> {
  const targets = new Map<string, IacTarget>();
  const add = (target: IacTarget) => {
    const existing = targets.get(target.argocdApp);
    if (existing) {
      target.keys.forEach((kind, key) => existing.keys.set(key, kind));
    } else {
      targets.set(target.argocdApp, target);
    }
  };
  const { hybris } = layout.apps;
  for (const colour of Object.values(hybris.colours)) {
    const keys = new Map<string, IacKeyKind>(
      hybris.editableKeys.map(k => [k, 'editable']),
    );
    keys.set(colour.image, 'image');
    keys.set(colour.replicas, 'replicas');
    add({
      argocdApp: colour.argocdApp,
      app: 'hybris',
      file: colour.values,
      keys,
    });
  }
  add({
    argocdApp: hybris.switch.argocdApp,
    app: 'hybris',
    file: hybris.switch.values,
    keys: new Map(hybris.switch.keys.map(k => [k, 'switch'])),
  });
  for (const app of ['cms', 'web'] as const) {
    const a = layout.apps[app];
    for (const argocdApp of a.argocdApps) {
      const keys = new Map<string, IacKeyKind>(
        a.editableKeys.map(k => [k, 'editable']),
      );
      keys.set('replicaCount', 'replicas');
      keys.set(a.imageKey, 'image');
      add({ argocdApp, app, file: a.values[argocdApp], keys });
    }
  }
  return targets;
}

/**
 * Checks one requested value against what its key means, naming the field; returns the value to
 * write (replica counts as whole numbers, image tags as text).
 *
 * @public
 */
export function checkIacValue(options: {
  field: string;
  argocdApp: string;
  key: string;
  kind: IacKeyKind;
  value: YamlScalar;
  colours: string[];
  /** Values a plan writes for an image tag its build step pushes later, taken as they are. */
  imagePlaceholders?: readonly string[];
}): YamlScalar {
  const { field, argocdApp, key, kind, value } = options;
  const what = `${field} (${key} of ${argocdApp})`;
  switch (kind) {
    case 'replicas': {
      const n = typeof value === 'string' ? Number(value.trim()) : value;
      if (
        typeof n !== 'number' ||
        !Number.isInteger(n) ||
        n < 0 ||
        n > MAX_REPLICAS
      ) {
        throw new IacInputError(
          `${what} must be a whole number of replicas from 0 to ${MAX_REPLICAS}, got ${JSON.stringify(
            value,
          )}`,
        );
      }
      return n;
    }
    case 'image': {
      const tag = String(value);
      if (options.imagePlaceholders?.includes(tag)) return tag;
      if (typeof value === 'boolean' || !IMAGE_TAG.test(tag)) {
        throw new IacInputError(
          `${what} must be an image tag (letters, digits, '.', '_', '-'), got ${JSON.stringify(
            value,
          )}`,
        );
      }
      return tag;
    }
    case 'switch': {
      if (typeof value !== 'string' || !options.colours.includes(value)) {
        throw new IacInputError(
          `${what} must name a hybris colour (${options.colours.join(
            ', ',
          )}), got ${JSON.stringify(value)}`,
        );
      }
      return value;
    }
    default: {
      if (typeof value === 'string' && value.length > 500) {
        throw new IacInputError(`${what} is longer than 500 characters`);
      }
      if (typeof value === 'number' && !Number.isFinite(value)) {
        throw new IacInputError(`${what} must be a finite number`);
      }
      return value;
    }
  }
}
