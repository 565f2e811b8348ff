import {
  argocdAndHybrisServices,
  hybrisScrapeTargets,
  InMemoryIacRepository,
  kopInitialValues,
  prometheusService,
  startSandbox,
  type HybrisSandbox,
  type PrometheusSandbox,
  type RunningSandbox,
} from 'sandbox';

/** A sandbox with the kop hybris colours (beta and prod; blue live with 9 nodes, green at 0). */
export interface HybrisTestSandbox {
  sandbox: RunningSandbox;
  hybris: HybrisSandbox;
  /** Present when started with `prometheus`. */
  prometheus?: PrometheusSandbox;
  /** hybris.clusterStatus as app-config would set it for this sandbox. */
  endpoints: Record<string, Record<string, string>>;
  /** Commits a colour's replica count and syncs it, as a deploy step does; resolves once every pod is ready. */
  deploy(environment: string, colour: string, replicas: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts Argo CD + hybris stand-ins (pods start at once), and with `prometheus` the sandbox's own
 * Prometheus API scraping them every `scrapeIntervalMs` (0: only on `scrapeNow()`), at the times
 * `now` gives.
 */
export async function startHybrisSandbox(
  options: {
    prometheus?: { scrapeIntervalMs: number; now?: () => number };
  } = {},
): Promise<HybrisTestSandbox> {
  const repo = new InMemoryIacRepository(kopInitialValues());
  const [argocd, hybrisFactory] = argocdAndHybrisServices({
    desiredState: repo.desiredState,
    reconcileIntervalMs: 0,
  });
  let hybris: HybrisSandbox | undefined;
  let prometheus: PrometheusSandbox | undefined;
  const sandbox = await startSandbox({
    timeScale: 0,
    services: [
      argocd,
      ctx => {
        hybris = hybrisFactory(ctx);
        return hybris;
      },
      ...(options.prometheus
        ? [
            (ctx: Parameters<typeof prometheusService>[0]) => {
              prometheus = prometheusService(ctx, {
                targets: hybrisScrapeTargets(hybris!),
                scrapeIntervalMs: options.prometheus!.scrapeIntervalMs,
                now: options.prometheus!.now,
              });
              return prometheus;
            },
          ]
        : []),
    ],
  });
  const endpoints = Object.fromEntries(
    ['beta', 'prod'].map(env => [
      env,
      Object.fromEntries(
        ['blue', 'green'].map(c => [c, `${sandbox.url}/hybris/${env}/${c}`]),
      ),
    ]),
  );
  const deploy = async (
    environment: string,
    colour: string,
    replicas: number,
  ) => {
    const app = `hybris-${colour}`;
    const sha = repo.commit({
      [`${environment}/${app}`]: {
        ...(repo.valuesAt(`${environment}/${app}`) ?? repo.valuesAt(app)),
        replicaCount: replicas,
      },
    });
    const res = await fetch(
      `${sandbox.url}/argocd/${environment}/api/v1/applications/${app}/sync`,
      {
        method: 'POST',
        headers: {
          authorization: 'Bearer hybris-test-token',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ revision: sha }),
      },
    );
    if (res.status !== 200) {
      throw new Error(`sandbox sync of ${app} answered ${res.status}`);
    }
    for (let i = 0; i < 500; i++) {
      const status = hybris!.clusterStatus(environment, colour);
      if (status.expectedNodes === replicas && status.pods.ready === replicas) {
        return;
      }
      await new Promise(r => setTimeout(r, 5));
    }
    throw new Error(
      `hybris ${colour} in ${environment} never got ${replicas} ready pods`,
    );
  };
  return {
    sandbox,
    hybris: hybris!,
    prometheus,
    endpoints,
    deploy,
    close: () => sandbox.close(),
  };
}
