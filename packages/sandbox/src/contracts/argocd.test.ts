import type { IAppProject } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject';
import type { IApplication } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import type { z } from 'zod';
import { argoCdContract, argoCdResourceSchemas } from './argocd';
import { expectFits } from './fits';

// The API server leaves out apiVersion and kind; every other field the schemas name is Argo CD's.
expectFits<
  z.infer<typeof argoCdResourceSchemas.application>,
  Omit<IApplication, 'apiVersion' | 'kind'>
>(true);
expectFits<
  z.infer<typeof argoCdResourceSchemas.appProject>,
  Omit<IAppProject, 'apiVersion' | 'kind'>
>(true);
type ApplicationStatus = NonNullable<IApplication['status']>;
type History<Id> = { history: Array<{ id: Id; deployedAt: string }> };
expectFits<History<number>, ApplicationStatus>(true);
// @ts-expect-error a field Argo CD's Application status does not have
expectFits<{ healthStatus: string }, ApplicationStatus>(true);
// @ts-expect-error a field of the wrong type
expectFits<History<string>, ApplicationStatus>(true);

const contract = argoCdContract();

const app = {
  metadata: { name: 'web', labels: { 'kop/app': 'web' } },
  spec: {
    project: 'kop',
    destination: { server: 'https://kubernetes.default.svc', namespace: 'kop' },
  },
};

describe('the Argo CD contract', () => {
  it('accepts an Application as the API server shows it', () => {
    expect(
      contract.errors('v1alpha1Application', {
        ...app,
        status: {
          sync: { status: 'Synced', revision: 'abc' },
          health: { status: 'Healthy' },
          history: [
            { id: 0, revision: 'abc', deployedAt: '2026-11-12T01:02:03Z' },
          ],
        },
      }),
    ).toEqual([]);
  });

  it('refuses a misspelt field, a wrong type, a missing required field and an unknown value', () => {
    expect(
      contract.errors('v1alpha1Application', {
        ...app,
        status: { healthStatus: 'Healthy' },
      }),
    ).toEqual([
      "v1alpha1Application/status Unrecognized key(s) in object: 'healthStatus'",
    ]);
    expect(
      contract.errors('v1alpha1Application', {
        ...app,
        status: {
          history: [{ id: 'one', deployedAt: '2026-11-12T01:02:03Z' }],
        },
      }),
    ).toEqual([
      'v1alpha1Application/status/history/0/id Expected number, received string',
      'v1alpha1Application/status/history/0/id must be integer',
    ]);
    // Argo CD's own types require spec; so does the API server's answer.
    expect(
      contract.errors('v1alpha1Application', { metadata: { name: 'web' } }),
    ).toEqual([
      'v1alpha1Application/spec Required',
      'v1alpha1Application must have required property spec',
    ]);
    expect(
      contract.errors('v1alpha1Application', {
        ...app,
        status: { sync: { status: 'Syncd' } },
      }),
    ).toEqual([
      expect.stringMatching(
        /^v1alpha1Application\/status\/sync\/status Invalid enum value/,
      ),
    ]);
    expect(contract.errors('v1alpha1Application', 'web')).toEqual([
      'v1alpha1Application Expected object, received string',
      'v1alpha1Application must be an object',
    ]);
  });

  it('checks every item of a list, and takes null for no items', () => {
    expect(
      contract.errors('v1alpha1ApplicationList', { metadata: {}, items: null }),
    ).toEqual([]);
    expect(
      contract.errors('v1alpha1ApplicationList', {
        metadata: {},
        items: [app, { ...app, spec: { ...app.spec, projet: 'kop' } }],
      }),
    ).toEqual([
      "v1alpha1ApplicationList/items/1/spec Unrecognized key(s) in object: 'projet'",
    ]);
  });

  it('checks a stream line and the Application in it', () => {
    expect(
      contract.errors('streamApplicationsResult', {
        result: { type: 'ADDED', application: app },
      }),
    ).toEqual([]);
    expect(
      contract.errors('streamApplicationsResult', {
        error: { http_code: 503, message: 'unavailable' },
      }),
    ).toEqual([]);
    expect(
      contract.errors('streamApplicationsResult', {
        result: { type: 'CHANGED', application: { metadata: {} } },
      }),
    ).toEqual([
      expect.stringMatching(/^streamApplicationsResult Invalid input/),
      'streamApplicationsResult/result/application/spec Required',
      'streamApplicationsResult/result/application must have required property spec',
    ]);
  });

  it('checks error bodies, requests and the other answers', () => {
    expect(
      contract.errors('runtimeError', {
        error: 'permission denied',
        code: 7,
        message: 'permission denied',
      }),
    ).toEqual([]);
    expect(contract.errors('runtimeError', { code: '7' })).toEqual([
      'runtimeError/code Expected number, received string',
    ]);
    expect(
      contract.errors('applicationApplicationSyncRequest', {
        name: 'web',
        revision: 'abc',
        infos: [{ name: 'kop-release-portal', value: 'r1' }],
      }),
    ).toEqual([]);
    expect(
      contract.errors('applicationApplicationSyncRequest', {
        info: [{ name: 'kop-release-portal', value: 'r1' }],
      }),
    ).toEqual([
      "applicationApplicationSyncRequest Unrecognized key(s) in object: 'info'",
    ]);
    expect(
      contract.errors('applicationApplicationRollbackRequest', { id: 1.5 }),
    ).toEqual([
      'applicationApplicationRollbackRequest/id Expected integer, received float',
    ]);
    expect(
      contract.errors('v1alpha1ApplicationTree', {
        nodes: [{ kind: 'Pod', name: 'web-1', healthy: true }],
      }),
    ).toEqual([
      "v1alpha1ApplicationTree/nodes/0 Unrecognized key(s) in object: 'healthy'",
    ]);
    expect(
      contract.errors('applicationOperationTerminateResponse', { ok: true }),
    ).not.toEqual([]);
    expect(
      contract.errors('v1alpha1AppProject', { metadata: { name: 'kop' } }),
    ).toEqual([
      'v1alpha1AppProject/spec Required',
      'v1alpha1AppProject must have required property spec',
    ]);
  });
});
