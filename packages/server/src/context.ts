/**
 * What commands and queries receive: explicit collaborators, built once by the container.
 */
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Clock } from './domain/time.js';
import type { EventBus } from './events/bus.js';
import type { Db } from './persistence/db.js';
import type { UnitOfWork } from './persistence/tx.js';
import type { AvatarLookup } from './queries/messageRefs.js';

export interface AppContext {
  readonly config: Config;
  readonly db: Db;
  readonly uow: UnitOfWork;
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly log: Logger;
  readonly avatars: AvatarLookup;
}
