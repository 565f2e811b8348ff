import { ConfigReader } from '@backstage/config';
import { hybrisSwitchValues } from 'sandbox';
import type { ArgoCdAppState } from './argocd/ArgoCdClient';
import type { GitlabFile } from './gitlab/GitlabClient';
import { readReleaseLayout } from './layout';
import { iacLiveColour, readLiveColour, switchColourAt } from './liveColour';

const layout = readReleaseLayout(new ConfigReader({}));
const PROJECT = 'kop/kop-deploy-prod';
const HEAD = 'a'.repeat(40);
const SYNCED = 'b'.repeat(40);

/** GitLab holding the switch values at the branch head and at older commits. */
function gitlabWith(files: { head?: string; at?: Record<string, string> }) {
  const reads: string[] = [];
  return {
    reads,
    gitlab: {
      readFile: async (
        project: string,
        ref: string,
        path: string,
      ): Promise<GitlabFile | undefined> => {
        reads.push(`${project}@${ref}:${path}`);
        const content = ref === 'main' ? files.head : files.at?.[ref];
        if (content === undefined) return undefined;
        return {
          content,
          commitId: ref === 'main' ? HEAD : ref,
          lastCommitId: HEAD,
          blobId: 'c'.repeat(40),
        };
      },
    },
  };
}

/** Argo CD having synced the switch app to `revision`, or failing with `error`. */
function argocdAt(answer: { revision?: string; error?: Error }) {
  return {
    instance: 'prod',
    getApplicationState: async (name: string) => {
      if (answer.error) throw answer.error;
      return {
        name,
        syncedRevision: answer.revision,
      } as ArgoCdAppState;
    },
  };
}

const split = hybrisSwitchValues('blue').replace(
  'hybrisServiceName: blue # www',
  'hybrisServiceName: green # www',
);

describe('readLiveColour', () => {
  it('agrees when Argo CD runs the commit the branch head holds, reading GitLab once', async () => {
    const { gitlab, reads } = gitlabWith({ head: hybrisSwitchValues('blue') });
    const live = await readLiveColour({
      layout,
      environment: 'prod',
      gitlab,
      argocd: argocdAt({ revision: HEAD }),
    });
    expect(live).toEqual({
      iac: { at: `hybris/values.yaml at main of ${PROJECT}`, colour: 'blue' },
      argocd: {
        at: `hybris/values.yaml at ${HEAD.slice(0, 12)} of ${PROJECT}`,
        colour: 'blue',
      },
      agree: true,
      errors: [],
    });
    expect(reads).toEqual([`${PROJECT}@main:hybris/values.yaml`]);
  });

  it('disagrees when the switch is committed but not synced, showing both readings', async () => {
    const { gitlab, reads } = gitlabWith({
      head: hybrisSwitchValues('green'),
      at: { [SYNCED]: hybrisSwitchValues('blue') },
    });
    const live = await readLiveColour({
      layout,
      environment: 'prod',
      gitlab,
      argocd: argocdAt({ revision: SYNCED }),
    });
    expect(live.iac.colour).toBe('green');
    expect(live.argocd?.colour).toBe('blue');
    expect(live.agree).toBe(false);
    expect(live.errors).toEqual([
      `hybris: the IaC repository names green live (hybris/values.yaml at main of ${PROJECT}), but Argo CD runs blue (hybris/values.yaml at ${SYNCED.slice(
        0,
        12,
      )} of ${PROJECT}): sync hybris or revert the switch before going on`,
    ]);
    expect(reads).toEqual([
      `${PROJECT}@main:hybris/values.yaml`,
      `${PROJECT}@${SYNCED}:hybris/values.yaml`,
    ]);
  });

  it('names the keys when they split between colours, at the head and in what Argo CD runs', async () => {
    const { gitlab } = gitlabWith({
      head: split,
      at: { [SYNCED]: split },
    });
    const live = await readLiveColour({
      layout,
      environment: 'prod',
      gitlab,
      argocd: argocdAt({ revision: SYNCED }),
    });
    const keys =
      'storefront.hybrisServiceName=green, backoffice.hybrisServiceName=blue, api.hybrisServiceName=blue';
    expect(live.iac.colour).toBeUndefined();
    expect(live.argocd?.colour).toBeUndefined();
    expect(live.agree).toBe(false);
    expect(live.errors).toEqual([
      `GitLab: find the live hybris colour in hybris/values.yaml at main of ${PROJECT} failed: the switch keys name more than one colour (${keys}): finish or revert the switch first`,
      `hybris: the switch keys in hybris/values.yaml at ${SYNCED.slice(
        0,
        12,
      )} of ${PROJECT} name more than one colour (${keys}): a switch is half done`,
    ]);
  });

  it('keeps the IaC reading when Argo CD does not answer, and does not agree', async () => {
    const { gitlab } = gitlabWith({ head: hybrisSwitchValues('blue') });
    const live = await readLiveColour({
      layout,
      environment: 'prod',
      gitlab,
      argocd: argocdAt({
        error: new Error(
          'Argo CD: get application hybris failed: fetch failed',
        ),
      }),
    });
    expect(live.iac.colour).toBe('blue');
    expect(live.argocd).toEqual({
      at: 'what hybris runs in Argo CD (prod)',
      error: new Error('Argo CD: get application hybris failed: fetch failed'),
    });
    expect(live.agree).toBe(false);
    expect(live.errors).toEqual([
      'Argo CD: get application hybris failed: fetch failed',
    ]);
  });

  it('says when Argo CD has synced no revision of the switch app yet', async () => {
    const { gitlab } = gitlabWith({ head: hybrisSwitchValues('blue') });
    const live = await readLiveColour({
      layout,
      environment: 'prod',
      gitlab,
      argocd: argocdAt({}),
    });
    expect(live.agree).toBe(false);
    expect(live.errors).toEqual([
      'Argo CD (prod): hybris has synced no revision yet',
    ]);
  });

  it('reads only the IaC repository without an Argo CD client', async () => {
    const { gitlab, reads } = gitlabWith({ head: hybrisSwitchValues('green') });
    const live = await readLiveColour({ layout, environment: 'prod', gitlab });
    expect(live).toEqual({
      iac: { at: `hybris/values.yaml at main of ${PROJECT}`, colour: 'green' },
      agree: false,
      errors: [],
    });
    expect(reads).toHaveLength(1);
  });

  it('passes on what GitLab said when it failed', async () => {
    const failure = new Error(
      'GitLab: read hybris/values.yaml at main in kop/kop-deploy-prod failed (HTTP 503)',
    );
    const live = await readLiveColour({
      layout,
      environment: 'prod',
      gitlab: {
        readFile: async () => {
          throw failure;
        },
      },
    });
    expect(live.iac.error).toBe(failure);
    expect(live.errors).toEqual([failure.message]);
  });

  it('refuses an environment with no IaC repository', async () => {
    const { gitlab } = gitlabWith({});
    await expect(
      readLiveColour({ layout, environment: 'staging', gitlab }),
    ).rejects.toThrow(
      "unknown environment 'staging' (release.iac.repos has beta, prod)",
    );
  });
});

describe('iacLiveColour', () => {
  it('is the colour the branch head names', async () => {
    const { gitlab } = gitlabWith({ head: hybrisSwitchValues('green') });
    await expect(
      iacLiveColour({ layout, environment: 'beta', gitlab }),
    ).resolves.toBe('green');
  });

  it('throws when the switch values file is not there', async () => {
    const { gitlab } = gitlabWith({});
    await expect(
      iacLiveColour({ layout, environment: 'prod', gitlab }),
    ).rejects.toThrow(
      `GitLab: find the live hybris colour in hybris/values.yaml at main of ${PROJECT} failed: hybris/values.yaml is not there`,
    );
  });
});

describe('switchColourAt', () => {
  it('names a key whose value is no colour, at the commit read', () => {
    expect(
      switchColourAt(layout, 'prod', 'argocd', {
        ref: SYNCED,
        values: {
          'storefront.hybrisServiceName': 'purple',
          'backoffice.hybrisServiceName': 'blue',
          'api.hybrisServiceName': 'blue',
        },
      }).error?.message,
    ).toBe(
      `hybris: storefront.hybrisServiceName in hybris/values.yaml at ${SYNCED.slice(
        0,
        12,
      )} of ${PROJECT} is 'purple', not one of the colours blue, green`,
    );
  });

  it('takes a colour named by its Argo CD app', () => {
    expect(
      switchColourAt(layout, 'prod', 'iac', {
        ref: 'main',
        values: {
          'storefront.hybrisServiceName': 'hybris-green',
          'backoffice.hybrisServiceName': 'green',
          'api.hybrisServiceName': 'hybris-green',
        },
      }).colour,
    ).toBe('green');
  });
});
