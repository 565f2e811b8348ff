import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Entity } from '@backstage/catalog-model';

const root = resolve(__dirname, '../../../..');

function load(file: string): Entity[] {
  return parseAllDocuments(readFileSync(resolve(root, file), 'utf8'))
    .map(d => d.toJS() as Entity)
    .filter(Boolean)
    .map(e => ({
      ...e,
      metadata: { namespace: 'default', ...e.metadata },
    }));
}

/** The real demo catalog, so tests and the running portal agree on who holds which role. */
export const orgEntities = [
  ...load('catalog/org.yaml'),
  ...load('catalog-info.yaml'),
];

/** Group refs a user belongs to, as a sign-in would put them in the token. */
export function groupsOf(userRef: string): string[] {
  const name = userRef.replace(/^user:default\//, '');
  const user = orgEntities.find(
    e => e.kind === 'User' && e.metadata.name === name,
  );
  const memberOf = (user?.spec?.memberOf as string[] | undefined) ?? [];
  return memberOf.map(g => `group:default/${g}`);
}

export const HYBRIS_TEAM = 'group:default/kop-hybris';
export const WEB_TEAM = 'group:default/kop-web';
export const user = (name: string) => `user:default/${name}`;
