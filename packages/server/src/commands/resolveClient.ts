/**
 * Finds or creates the client a session start refers to, and updates the profile
 * fields the request carries. Runs in its own short transaction; a concurrent
 * first start with the same external id is settled by the unique index and retried.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, type StartSessionBody } from '@parley/protocol';
import type { AppContext } from '../context.js';
import { AppError } from '../domain/errors.js';
import { isUniqueViolation } from '../persistence/errors.js';
import type { ChatRow, ClientRow, ClientsTable } from '../persistence/schema.js';
import { findClient, findClientByExternalId, insertClient, updateClient } from '../persistence/repos/directory.js';
import type { Updateable } from 'kysely';

function profileOf(body: StartSessionBody): Updateable<ClientsTable> {
  const p: Updateable<ClientsTable> = {};
  if (body.clientName !== undefined) p.name = body.clientName;
  if (body.clientFirstName !== undefined) p.first_name = body.clientFirstName;
  if (body.clientMiddleName !== undefined) p.middle_name = body.clientMiddleName;
  if (body.clientLastName !== undefined) p.last_name = body.clientLastName;
  if (body.clientNameForOperator !== undefined) p.name_for_operator = body.clientNameForOperator;
  if (body.clientPhone !== undefined) p.phone = String(body.clientPhone);
  if (body.clientEmail !== undefined) p.email = body.clientEmail;
  if (body.clientDeviceId !== undefined) p.device_id = body.clientDeviceId;
  if (body.clientTimezone !== undefined) p.timezone = body.clientTimezone;
  return p;
}

function metadataOf(body: StartSessionBody): Record<string, string> | undefined {
  if (!body.clientMetadata) return undefined;
  return Object.fromEntries(Object.entries(body.clientMetadata).map(([k, v]) => [k, String(v)]));
}

export async function resolveClient(ctx: AppContext, chat: ChatRow, body: StartSessionBody): Promise<ClientRow> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await ctx.uow.run(async (tx) => {
        const now = ctx.clock.now();
        let client: ClientRow | undefined;
        if (body.clientId !== undefined) {
          client = await findClient(tx.db, body.clientId.toLowerCase());
          if (!client || client.company_id !== chat.company_id) throw new AppError(ErrorCode.CLIENT_NOT_FOUND, `client ${body.clientId} not found`);
        } else if (body.clientExternalId !== undefined) {
          client = await findClientByExternalId(tx.db, chat.company_id, body.clientExternalId);
        }
        const profile = profileOf(body);
        const metadata = metadataOf(body);
        if (client) {
          const merged = metadata ? JSON.stringify({ ...(JSON.parse(client.metadata) as Record<string, string>), ...metadata }) : undefined;
          const patch = { ...profile, ...(merged ? { metadata: merged } : {}) };
          if (Object.keys(patch).length === 0) return client;
          await updateClient(tx.db, client.id, { ...patch, updated_at: now });
          return { ...client, ...patch, updated_at: now } as ClientRow;
        }
        const row: ClientRow = {
          id: randomUUID(), company_id: chat.company_id, external_id: body.clientExternalId ?? null,
          name: null, first_name: null, middle_name: null, last_name: null, name_for_operator: null,
          phone: null, email: null, device_id: null, timezone: null,
          ...(profile as Partial<ClientRow>),
          metadata: JSON.stringify(metadata ?? {}), created_at: now, updated_at: now,
        };
        await insertClient(tx.db, row);
        return row;
      });
    } catch (err) {
      if (attempt === 0 && isUniqueViolation(err)) continue;
      throw err;
    }
  }
}
