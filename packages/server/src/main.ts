/**
 * Entry point: read config, start, seed the demo with --demo, stop cleanly on signals.
 * On one CPU it first starts itself again with the V8 flags of runtime.ts; the rest of
 * Parley is loaded only by the process that runs it.
 */
import { relaunchWithV8Flags } from './runtime.js';

async function main(): Promise<void> {
  if (relaunchWithV8Flags()) return;
  const { ConfigError, loadConfig } = await import('./config.js');
  const { startParley } = await import('./container.js');
  const { banner, seedDemo } = await import('./demo.js');
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const parley = await startParley(config);
  if (process.argv.includes('--demo')) {
    const demo = await seedDemo(parley);
    console.log(banner(parley, demo));
  } else {
    parley.ctx.log.info({ url: parley.url }, 'Parley is listening');
    if (config.adminTokenGenerated) parley.ctx.log.warn({ adminToken: config.adminToken }, 'ADMIN_TOKEN is not set; this generated admin token is valid until restart');
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    parley.ctx.log.info({ signal }, 'shutting down');
    parley.close().then(
      () => process.exit(0),
      (err: unknown) => {
        parley.ctx.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
