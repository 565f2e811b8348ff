import { defaultSandboxServices } from './defaultServices';
import { startSandbox } from './server';

// Started by ./kop start beside the portal; the port is fixed so app-config can point at it.
const port = Number(process.env.KOP_SANDBOX_PORT ?? 7100);

startSandbox({
  port,
  dataDir: process.env.KOP_SANDBOX_DIR,
  services: defaultSandboxServices(),
}).then(
  sandbox => {
    process.stdout.write(
      `kop sandbox on ${sandbox.url} (state in ${sandbox.context.dataDir})\n`,
    );
    const stop = () => sandbox.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  },
  error => {
    process.stderr.write(`kop sandbox failed to start: ${error.message}\n`);
    process.exit(1);
  },
);
