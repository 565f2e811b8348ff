import express from 'express';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultInjector, type Fault } from './faults';
import { escapeHtml } from './html';
import type {
  RunningSandbox,
  SandboxContext,
  SandboxOptions,
  SandboxService,
} from './types';

/** Starts the sandbox on 127.0.0.1 only; port 0 picks a free one. */
export async function startSandbox(
  options: SandboxOptions = {},
): Promise<RunningSandbox> {
  const context: SandboxContext = {
    dataDir: options.dataDir ?? mkdtempSync(join(tmpdir(), 'kop-sandbox-')),
    faults: new FaultInjector(),
    timeScale: options.timeScale ?? 1,
  };
  // One after another: later stand-ins (Argo CD, hybris) read what earlier ones (GitLab) seeded.
  const services: SandboxService[] = [];
  for (const make of options.services ?? []) services.push(await make(context));
  const app = express();
  app.use(express.json({ limit: '5mb' }));

  app.post('/_sandbox/faults', (req, res) => {
    try {
      const list: Fault[] = Array.isArray(req.body) ? req.body : [req.body];
      list.forEach(f => context.faults.add(f));
      res.status(201).json({ pending: context.faults.pending() });
    } catch (e) {
      res.status(400).json({ message: (e as Error).message });
    }
  });
  app.delete('/_sandbox/faults', (_req, res) => {
    context.faults.clear();
    res.status(204).end();
  });
  app.get('/_sandbox/health', (_req, res) => {
    res.json({ status: 'ok', services: services.map(s => s.name) });
  });
  app.use(context.faults.middleware());
  for (const service of services) app.use(service.prefix, service.router);

  app.get('/', async (_req, res) => {
    const sections = await Promise.all(
      services.map(async s => {
        const rows = (await s.describe?.()) ?? [];
        const cols = [...new Set(rows.flatMap(r => Object.keys(r)))];
        const table = rows.length
          ? `<table><tr>${cols
              .map(c => `<th>${escapeHtml(c)}</th>`)
              .join('')}</tr>${rows
              .map(
                r =>
                  `<tr>${cols
                    .map(c => `<td>${escapeHtml(String(r[c] ?? ''))}</td>`)
                    .join('')}</tr>`,
              )
              .join('')}</table>`
          : '<p>nothing yet</p>';
        return `<h2>${escapeHtml(s.name)}</h2>${table}`;
      }),
    );
    res
      .type('html')
      .send(
        `<!doctype html><meta charset="utf-8"><title>kop sandbox</title><style>body{font-family:sans-serif}td,th{border:1px solid #ccc;padding:2px 6px}</style><h1>kop sandbox</h1>${sections.join(
          '',
        )}`,
      );
  });

  const server = app.listen(options.port ?? 0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    context,
    services,
    async close() {
      await Promise.all(services.map(s => s.close?.()));
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
}
