/** Entry point: read config, start, seed the demo with --demo, stop cleanly on signals. */
import { ConfigError, loadConfig } from './config.js';
import { startParley } from './container.js';
import { banner, seedDemo } from './demo.js';

async function main(): Promise<void> {
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
